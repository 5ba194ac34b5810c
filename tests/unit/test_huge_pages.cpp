// The arrays that grow with the program live in 2 MiB-aligned blocks advised transparent huge pages
// (npu/common/huge_pages.hpp).
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "npu/common/huge_pages.hpp"

using namespace npusim;

namespace {

/// The value of `field` ("VmFlags:", "Rss:") for the mapping holding `p`, from /proc/self/smaps
/// ("" if no mapping holds it).
std::string smaps_field(const void* p, const std::string& field) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= a && a < hi;
    } else if (inside && line.rfind(field, 0) == 0) {
      return line.substr(field.size());
    }
  }
  return "";
}

/// The VmFlags of the mapping holding `p`, space-separated with a space at each end ("" if none).
std::string vm_flags_at(const void* p) {
  const std::string flags = smaps_field(p, "VmFlags:");
  return flags.empty() ? "" : flags + " ";
}

/// The resident KiB of the mapping holding `p` (-1 if none holds it).
long rss_kib_at(const void* p) {
  const std::string rss = smaps_field(p, "Rss:");
  return rss.empty() ? -1 : std::stol(rss);
}

}  // namespace

TEST_CASE("release_unused_capacity() gives back the pages past a HugeVector's elements, which stay", "[memory]") {
  if (!npu::kMapsHugeBlocks) {
    WARN("this build keeps large blocks on the heap (not Linux, or AddressSanitizer): nothing to check");
    return;
  }
  npu::HugeVector<std::uint32_t> v(std::size_t{2} << 20);  // 8 MiB, all written
  for (std::uint32_t i = 0; i < v.size(); ++i) v[i] = i;
  REQUIRE(rss_kib_at(v.data()) >= 8192);
  const std::size_t kept = (std::size_t{3} << 18) + 10;  // 3 MiB and 40 bytes
  v.resize(kept);
  npu::release_unused_capacity(v);
  CHECK(rss_kib_at(v.data()) <= 3072 + 4);
  CHECK(v[kept - 1] == kept - 1);  // the elements are untouched
  CHECK(v.capacity() == std::size_t{2} << 20);
  // From the huge page holding the end on, out of khugepaged's reach (it would fill the freed
  // pages in again); the whole huge pages before stay advised.
  CHECK(vm_flags_at(v.data() + kept).find(" nh ") != std::string::npos);
  CHECK(vm_flags_at(v.data()).find(" hg ") != std::string::npos);
  v.resize(std::size_t{2} << 20);  // growing again into the storage given back: it reads zeros, as written
  CHECK(v.back() == 0);
  v.back() = 7;
  CHECK(v.back() == 7);

  npu::HugeVector<std::uint32_t> small(1000, 5);  // on the heap: left alone
  small.resize(10);
  npu::release_unused_capacity(small);
  CHECK(small[9] == 5);
}

TEST_CASE("large HugeVectors are mapped on their own, 2 MiB-aligned and advised huge pages; small ones are not",
          "[memory]") {
  if (!npu::kMapsHugeBlocks) {
    WARN("this build keeps large blocks on the heap (not Linux, or AddressSanitizer): nothing to check");
    return;
  }
  npu::HugeVector<std::uint64_t> big(std::size_t{1} << 20);  // 8 MiB
  const auto at = reinterpret_cast<std::uintptr_t>(big.data());
  CHECK(at % npu::kHugePageBytes == 0);
  const std::string flags = vm_flags_at(big.data() + big.size() - 1);  // its last element: the mapping is whole
  REQUIRE_FALSE(flags.empty());
  if (std::filesystem::exists("/sys/kernel/mm/transparent_hugepage")) {
    CHECK(flags.find(" hg ") != std::string::npos);
  } else {
    WARN("this kernel has no transparent huge pages: the advice is not checked");
  }
  big = {};
  big.shrink_to_fit();
  CHECK(vm_flags_at(reinterpret_cast<const void*>(at)).empty());  // unmapped when freed

  // Grown by push_back past kHugeBlockBytes: the storage moved into a mapped block.
  npu::HugeVector<std::uint32_t> grown;
  for (std::uint32_t i = 0; i < (1u << 19); ++i) grown.push_back(i);  // 2 MiB
  CHECK(reinterpret_cast<std::uintptr_t>(grown.data()) % npu::kHugePageBytes == 0);
  CHECK(grown[12345] == 12345);

  // Below kHugeBlockBytes: operator new's memory, never advised.
  const npu::HugeVector<std::uint64_t> small(1000);
  CHECK(vm_flags_at(small.data()).find(" hg ") == std::string::npos);
}

TEST_CASE("a huge block larger than the address space is std::bad_alloc", "[memory]") {
  if (npu::kMapsHugeBlocks) {  // (AddressSanitizer's operator new aborts on such a size instead)
    npu::HugePageAllocator<std::uint8_t> a;
    CHECK_THROWS_AS(a.allocate(std::size_t(-1) - 4096), std::bad_alloc);
  }
  npu::HugePageAllocator<std::uint64_t> b;
  CHECK_THROWS_AS(b.allocate(std::size_t(-1) / 4), std::bad_alloc);  // n * 8 overflows
}
