#include "npu/common/huge_pages.hpp"

#include <cstdint>

#if NPUSIM_MAP_HUGE_BLOCKS
#include <sys/mman.h>
#endif

namespace npusim::npu {
namespace {

constexpr std::size_t kPageBytes = 4096;

/// The length of a mapped block: `bytes` rounded up to whole 4 KiB pages. The kernel gives a
/// huge page only to an aligned 2 MiB wholly inside the mapping, so the block's whole 2 MiB
/// pages are huge and its last, partial one stays in 4 KiB pages: a block of n bytes, all
/// written, holds no more memory than with 4 KiB pages (a huge page there would hold up to
/// 2 MiB nothing uses; its faults cost up to 511 small ones instead).
std::size_t mapped_length(std::size_t bytes) { return (bytes + kPageBytes - 1) & ~(kPageBytes - 1); }

}  // namespace

void* allocate_huge(std::size_t bytes) {
#if NPUSIM_MAP_HUGE_BLOCKS
  if (bytes >= kHugeBlockBytes) {
    if (bytes > std::size_t(-1) - 2 * kHugePageBytes) throw std::bad_alloc();
    // Map one huge page more than needed, then return the unaligned head and the tail.
    const std::size_t length = mapped_length(bytes);
    void* raw = mmap(nullptr, length + kHugePageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto lo = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t begin = (lo + kHugePageBytes - 1) & ~std::uintptr_t{kHugePageBytes - 1};
    if (begin > lo) munmap(raw, begin - lo);
    munmap(reinterpret_cast<void*>(begin + length), lo + kHugePageBytes - begin);  // never empty: begin < lo + 2 MiB
#if defined(MADV_HUGEPAGE)
    // A failure (no THP in this kernel) only means 4 KiB pages.
    (void)madvise(reinterpret_cast<void*>(begin), length, MADV_HUGEPAGE);
#endif
    return reinterpret_cast<void*>(begin);
  }
#endif
  return ::operator new(bytes);
}

void release_after(void* block, std::size_t used, std::size_t capacity) noexcept {
#if NPUSIM_MAP_HUGE_BLOCKS
  if (capacity < kHugeBlockBytes) return;
  const std::size_t from = mapped_length(used), to = mapped_length(capacity);
  if (to <= from) return;
  char* const base = static_cast<char*>(block);
  // khugepaged would fill the freed pages in again: it collapses any 2 MiB of an advised range
  // that has one page in use (max_ptes_none 511 by default). So the huge page holding `from`
  // and all after it are advised 4 KiB pages first; then MADV_DONTNEED splits that huge page
  // and frees the 4 KiB pages from `from` on.
  const std::size_t split = from & ~(kHugePageBytes - 1);
  (void)madvise(base + split, to - split, MADV_NOHUGEPAGE);
  (void)madvise(base + from, to - from, MADV_DONTNEED);
#else
  (void)block;
  (void)used;
  (void)capacity;
#endif
}

void deallocate_huge(void* p, std::size_t bytes) noexcept {
#if NPUSIM_MAP_HUGE_BLOCKS
  if (bytes >= kHugeBlockBytes) {
    munmap(p, mapped_length(bytes));
    return;
  }
#endif
  ::operator delete(p);
}

}  // namespace npusim::npu
