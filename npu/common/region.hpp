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
