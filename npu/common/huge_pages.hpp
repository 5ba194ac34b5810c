#pragma once
/// Transparent huge pages for the arrays that grow with the program (instructions, timing
/// records, producer lists). A run touches each of their bytes once or twice; with 4 KiB pages
/// that is a page fault per 4 KiB and a TLB miss on most accesses, which on the machines we
/// measure cost as much as the simulation itself (see README, Performance). 2 MiB pages cut
/// both by 512x. Linux only grants them to ranges a process asks for when
/// /sys/kernel/mm/transparent_hugepage/enabled is "madvise" (Debian's default); elsewhere, or
/// on other systems, the advice is a no-op and nothing else changes.
#include <cstddef>
#include <vector>

namespace npusim::npu {

/// Asks the kernel to back the whole 2 MiB pages inside [p, p + bytes) with huge pages. Only
/// pages not yet touched are affected; a range holding no whole huge page is left alone.
void advise_huge_pages(const void* p, std::size_t bytes);

/// v.reserve(n), with the capacity advised as above: call before the elements are written.
template <typename T, typename A>
void reserve_huge(std::vector<T, A>& v, std::size_t n) {
  v.reserve(n);
  advise_huge_pages(v.data(), v.capacity() * sizeof(T));
}

}  // namespace npusim::npu
