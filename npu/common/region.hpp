#pragma once
/// A 2-D strided byte region in one address space: what an operand touches in memory.
#include <cstdint>

namespace npusim::npu {

/// Which address space an operand lives in.
enum class Space : std::uint8_t { dram, scratchpad };

struct Region {
  Space space{};
  std::uint64_t address = 0;      ///< first byte
  std::uint32_t rows = 0;
  std::uint32_t row_bytes = 0;    ///< contiguous bytes per row
  std::uint64_t stride_bytes = 0; ///< distance between row starts (>= row_bytes)

  bool contiguous() const { return rows <= 1 || stride_bytes == row_bytes; }
  std::uint64_t bytes() const { return std::uint64_t{rows} * row_bytes; }
  /// One past the last byte touched.
  std::uint64_t end() const { return rows == 0 ? address : address + (rows - 1) * stride_bytes + row_bytes; }
};

/// The bytes a region spans, from its first to one past its last ([lo, hi), empty when lo >= hi),
/// tagged with its space (bit 63 set in the scratchpad) so that extents of two spaces never
/// meet: one compare tells most pairs of regions apart, before the exact test of strided rows.
struct Extent {
  static constexpr std::uint64_t kScratchpadTag = std::uint64_t{1} << 63;
  std::uint64_t lo = UINT64_MAX, hi = 0;

  bool meets(const Extent& o) const { return lo < o.hi && o.lo < hi; }
  /// The smallest extent holding both.
  Extent hull(const Extent& o) const { return {lo < o.lo ? lo : o.lo, hi > o.hi ? hi : o.hi}; }
};

/// The extent of `r` (empty when it holds no byte).
inline Extent extent_of(const Region& r) {
  if (r.bytes() == 0) return {};
  const std::uint64_t tag = r.space == Space::scratchpad ? Extent::kScratchpadTag : 0;
  return {tag | r.address, tag | r.end()};
}

/// Exact test for strided regions whose bounds overlap (out of line, rarely needed).
bool strided_regions_overlap(const Region& a, const Region& b);

/// True when the two regions share at least one byte (exact for strided rows, not just bounds).
inline bool regions_overlap(const Region& a, const Region& b) {
  if (a.space != b.space || a.rows == 0 || b.rows == 0) return false;
  if (a.end() <= b.address || b.end() <= a.address) return false;
  if (a.contiguous() && b.contiguous()) return true;
  return strided_regions_overlap(a, b);
}

}  // namespace npusim::npu
