#include "npu/common/region.hpp"

#include <algorithm>

namespace npusim::npu {
namespace {

// Does the contiguous byte range [lo, hi) meet any row of strided region r?
bool segment_meets(std::uint64_t lo, std::uint64_t hi, const Region& r) {
  if (hi <= r.address || lo >= r.end()) return false;
  if (r.contiguous()) return true;
  // Row k covers [address + k*stride, address + k*stride + row_bytes). The rows that can meet
  // [lo, hi) start before hi and end after lo.
  const std::uint64_t s = r.stride_bytes;
  const std::uint64_t first_end_after_lo =
      lo + 1 > r.address + r.row_bytes ? (lo + 1 - r.address - r.row_bytes + s - 1) / s : 0;
  const std::uint64_t last_start_before_hi = (hi - 1 - std::min(hi - 1, r.address)) / s;
  const std::uint64_t k_hi = std::min<std::uint64_t>(last_start_before_hi, r.rows - 1);
  return first_end_after_lo <= k_hi && r.address + first_end_after_lo * s < hi;
}

}  // namespace

bool strided_regions_overlap(const Region& a, const Region& b) {
  const Region& few = a.rows <= b.rows ? a : b;
  const Region& many = a.rows <= b.rows ? b : a;
  for (std::uint32_t k = 0; k < few.rows; ++k) {
    const std::uint64_t lo = few.address + k * few.stride_bytes;
    if (segment_meets(lo, lo + few.row_bytes, many)) return true;
  }
  return false;
}

}  // namespace npusim::npu
