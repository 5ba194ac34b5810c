// The arrays that grow with the program ask Linux for transparent huge pages (npu/common/huge_pages.hpp).
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "npu/common/huge_pages.hpp"

using namespace npusim;

namespace {

/// The VmFlags of the mapping holding `p`, from /proc/self/smaps ("" if none holds it).
std::string vm_flags_at(const void* p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= a && a < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line.substr(8) + " ";
    }
  }
  return "";
}

}  // namespace

TEST_CASE("arrays reserved with reserve_huge() are advised huge pages; small ones are left alone", "[memory]") {
  if (!std::filesystem::exists("/sys/kernel/mm/transparent_hugepage")) {
    WARN("this kernel has no transparent huge pages: nothing to check");
    return;
  }
  std::vector<std::uint64_t> big;
  npu::reserve_huge(big, std::size_t{1} << 20);  // 8 MiB: holds three whole 2 MiB pages at least
  REQUIRE(big.capacity() >= std::size_t{1} << 20);
  const std::string flags = vm_flags_at(big.data() + (std::size_t{1} << 19));  // its middle
  REQUIRE_FALSE(flags.empty());
  CHECK(flags.find(" hg ") != std::string::npos);

  // Less than a whole huge page: no advice (and no error); nothing to advise at all is fine too.
  std::vector<std::uint64_t> small;
  npu::reserve_huge(small, 1000);
  CHECK(small.capacity() >= 1000);
  npu::advise_huge_pages(nullptr, 0);
  npu::advise_huge_pages(small.data(), 0);
}
