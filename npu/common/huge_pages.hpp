#pragma once
/// Memory for the arrays that grow with the program (instructions, timing records, producer
/// lists): large blocks come straight from the kernel, aligned to 2 MiB and advised transparent
/// huge pages. A run touches each of their bytes once or twice; with 4 KiB pages that is a page
/// fault per 4 KiB and a TLB miss on most accesses, which on the machines we measure cost more
/// than the simulation itself (`./bench/run page-faults`: 12-14 us per fault on the 2-core VM,
/// 25 under load; see README, Performance). A 2 MiB page takes one fault (0.1-0.3 ms there) for
/// 512. Alignment matters: a
/// huge page is granted only to a whole aligned 2 MiB inside an advised range, and malloc's
/// large blocks start 16 bytes into a mapping, so advising them afterwards loses up to 2 MiB at
/// each end. Linux grants huge pages to the ranges a process asks for when
/// /sys/kernel/mm/transparent_hugepage/enabled is "madvise" (Debian's default) or "always";
/// elsewhere the blocks are ordinary pages, and on other systems (or under AddressSanitizer) they
/// come from operator new.
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NPUSIM_ASAN 1
#endif
#endif
#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && !defined(NPUSIM_ASAN)
#define NPUSIM_MAP_HUGE_BLOCKS 1
#else
#define NPUSIM_MAP_HUGE_BLOCKS 0  // elsewhere, and in sanitized builds (whose heap has red zones), all on the heap
#endif

namespace npusim::npu {

/// Whether large blocks are mapped as below (Linux, not under AddressSanitizer).
constexpr bool kMapsHugeBlocks = NPUSIM_MAP_HUGE_BLOCKS;

/// The size of a huge page, and the alignment of a mapped block.
constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;
/// Blocks of at least this many bytes (one whole huge page) are mapped on their own; smaller
/// ones come from operator new, whose heap reuses what a process frees (a program built and
/// run after another touches no new page), where a fresh mapping would fault on every page
/// again without holding a single huge one.
constexpr std::size_t kHugeBlockBytes = kHugePageBytes;

/// `bytes` of memory (uninitialised), mapped and advised as above when `bytes` >= kHugeBlockBytes.
/// Throws std::bad_alloc when there is none.
void* allocate_huge(std::size_t bytes);
/// Frees a block from allocate_huge(`bytes`).
void deallocate_huge(void* p, std::size_t bytes) noexcept;

/// A standard allocator over allocate_huge(): std::vector<T, HugePageAllocator<T>> (HugeVector)
/// keeps a vector's storage in huge pages once it reaches kHugeBlockBytes, however it grew.
template <typename T>
struct HugePageAllocator {
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "operator new's alignment serves small blocks");
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    if (n > std::size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(allocate_huge(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { deallocate_huge(p, n * sizeof(T)); }
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) { return true; }
  friend bool operator!=(const HugePageAllocator&, const HugePageAllocator&) { return false; }
};

template <typename T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

/// Gives back to the kernel the pages of a mapped block from `used` bytes on (the whole 4 KiB
/// pages past them): a huge page holds its 2 MiB as soon as one byte of it is written, so a
/// vector that grew past its size (doubling, or a reservation larger than its use) holds up
/// to 2 MiB it does not use. That part of the block stays in 4 KiB pages from then on (or
/// khugepaged would make it whole again). Blocks on the heap are left alone.
void release_after(void* block, std::size_t used, std::size_t capacity) noexcept;

/// release_after() for a HugeVector's capacity past its size, once it has stopped growing. The
/// storage stays the vector's: writing there again (growing) is allowed and reads zeros first.
template <typename T>
void release_unused_capacity(HugeVector<T>& v) noexcept {
  release_after(v.data(), v.size() * sizeof(T), v.capacity() * sizeof(T));
}

/// A fixed array of `n` T whose bytes are all zero at first, for tables that a run mostly
/// leaves empty (memo caches): calloc() does not write a block it gets fresh from the kernel,
/// so a page costs its fault only once something is stored in it. std::vector would write
/// every element, a fault per 4 KiB up front.
template <typename T>
class ZeroedArray {
  static_assert(std::is_trivially_copyable_v<T>, "all-zero bytes must be a value of T");

 public:
  explicit ZeroedArray(std::size_t n) : m_data(static_cast<T*>(std::calloc(n, sizeof(T)))) {
    if (!m_data && n) throw std::bad_alloc();
  }
  T& operator[](std::size_t i) { return m_data.get()[i]; }
  const T& operator[](std::size_t i) const { return m_data.get()[i]; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> m_data;
};

}  // namespace npusim::npu
