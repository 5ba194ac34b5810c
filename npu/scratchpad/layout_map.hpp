#pragma once
/// Which unit's data layout each scratchpad byte is in. The matrix unit writes results in its
/// tile layout and the vector unit in its own; data written by DMA is neutral (arranged in DRAM
/// for its consumer). Reading bytes of the other compute unit's layout costs a hand-off
/// (config `handoff`), which is how npusim makes matrix <-> vector exchange visible.
#include <array>
#include <cstdint>
#include <map>

#include "npu/common/region.hpp"

namespace npusim::npu {

enum class Layout : std::uint8_t { neutral, matrix, vector };

class LayoutMap {
 public:
  /// Marks every byte of `r` as written in layout `l`.
  void assign(const Region& r, Layout l);
  /// True when every byte is neutral.
  bool empty() const { return m_spans.empty(); }
  /// True when some byte is in layout `l` (matrix or vector: neutral bytes are not tracked).
  bool holds(Layout l) const { return m_spans_in[static_cast<std::size_t>(l)] > 0; }
  /// Counts the bytes of `r` currently in layout `l`.
  std::uint64_t bytes_in(const Region& r, Layout l) const;
  /// Counts the bytes of `r` in each layout, in one pass: [neutral, matrix, vector].
  std::array<std::uint64_t, 3> bytes_by_layout(const Region& r) const;

 private:
  struct Span {
    std::uint64_t end;
    Layout layout;
  };
  using Spans = std::map<std::uint64_t, Span>;
  /// How the spans meet a byte range: the one span over all of it (else nullptr), or none.
  struct Extent {
    const Span* covering = nullptr;
    bool untouched = false;  ///< no span meets the range
  };

  void assign_range(std::uint64_t lo, std::uint64_t hi, Layout l);
  Extent extent(std::uint64_t lo, std::uint64_t hi) const;
  /// Adds the bytes of [lo, hi) in each layout to `n`.
  void count_ranges(std::uint64_t lo, std::uint64_t hi, std::array<std::uint64_t, 3>& n) const;
  /// Adds or removes a span, keeping m_spans_in.
  void insert(std::uint64_t start, Span s);
  Spans::iterator erase(Spans::iterator it);

  /// True when no span meets [lo, hi) (tested against the bounds of all spans).
  bool outside_spans(std::uint64_t lo, std::uint64_t hi) const { return hi <= m_lo || lo >= m_hi; }

  Spans m_spans;  ///< start -> span; disjoint; neutral bytes are absent
  /// Every byte outside [m_lo, m_hi) is neutral: the bounds of the spans added since the map
  /// was last empty (a DMA into a buffer apart from the units' results answers at once).
  std::uint64_t m_lo = UINT64_MAX, m_hi = 0;
  /// Spans of each layout: a layout with none has no byte anywhere (a GEMM's matmuls ask for
  /// vector-layout bytes the map never holds).
  std::array<std::uint32_t, 3> m_spans_in{};
};

}  // namespace npusim::npu
