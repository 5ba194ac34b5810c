#include "npu/scratchpad/layout_map.hpp"

#include <algorithm>

namespace npusim::npu {

void LayoutMap::assign(const Region& r, Layout l) {
  if (l == Layout::neutral && (m_spans.empty() || outside_spans(r.address, r.end()))) return;  // nothing to clear
  if (r.contiguous()) {
    assign_range(r.address, r.address + r.bytes(), l);
    return;
  }
  if (r.rows == 0 || r.row_bytes == 0) return;
  // Strided rows: one span of `l` over their whole extent, or (for neutral) no span in it,
  // leaves nothing to change; answer without visiting the rows.
  const Extent e = extent(r.address, r.end());
  if ((e.covering && e.covering->layout == l) || (l == Layout::neutral && e.untouched)) return;
  for (std::uint32_t k = 0; k < r.rows; ++k) {
    const std::uint64_t row = r.address + k * r.stride_bytes;
    assign_range(row, row + r.row_bytes, l);
  }
}

std::uint64_t LayoutMap::bytes_in(const Region& r, Layout l) const {
  if (l != Layout::neutral && !holds(l)) return 0;
  return bytes_by_layout(r)[static_cast<std::size_t>(l)];
}

std::array<std::uint64_t, 3> LayoutMap::bytes_by_layout(const Region& r) const {
  std::array<std::uint64_t, 3> n{};
  if (m_spans.empty() || r.rows == 0 || r.row_bytes == 0 || outside_spans(r.address, r.end())) return n;
  if (r.contiguous()) {
    count_ranges(r.address, r.address + r.bytes(), n);
    return n;
  }
  // Strided rows: no span anywhere in their extent, or one span over all of it, answer
  // without visiting the rows.
  const Extent e = extent(r.address, r.end());
  if (e.covering) n[static_cast<std::size_t>(e.covering->layout)] = r.bytes();
  if (e.covering || e.untouched) return n;
  for (std::uint32_t k = 0; k < r.rows; ++k) {
    const std::uint64_t row = r.address + k * r.stride_bytes;
    count_ranges(row, row + r.row_bytes, n);
  }
  return n;
}

LayoutMap::Extent LayoutMap::extent(std::uint64_t lo, std::uint64_t hi) const {
  Extent e;
  const auto first = m_spans.upper_bound(lo);
  if (first != m_spans.begin() && std::prev(first)->second.end > lo) {  // a span starts before lo
    if (std::prev(first)->second.end >= hi) e.covering = &std::prev(first)->second;
  } else {
    e.untouched = first == m_spans.end() || first->first >= hi;
  }
  return e;
}

void LayoutMap::count_ranges(std::uint64_t lo, std::uint64_t hi, std::array<std::uint64_t, 3>& n) const {
  auto it = m_spans.upper_bound(lo);
  if (it != m_spans.begin()) --it;
  for (; it != m_spans.end() && it->first < hi; ++it) {
    const std::uint64_t a = std::max(lo, it->first), b = std::min(hi, it->second.end);
    if (b > a) n[static_cast<std::size_t>(it->second.layout)] += b - a;
  }
}

void LayoutMap::assign_range(std::uint64_t lo, std::uint64_t hi, Layout l) {
  if (lo >= hi) return;
  // Fast paths: nothing to change (a unit rewriting its own data, DMA into neutral memory).
  auto covering = m_spans.upper_bound(lo);
  if (covering != m_spans.begin()) {
    const auto& span = std::prev(covering);
    if (span->second.end >= hi && span->second.layout == l) return;
  }
  if (l == Layout::neutral && (covering == m_spans.end() || covering->first >= hi) &&
      (covering == m_spans.begin() || std::prev(covering)->second.end <= lo)) {
    return;
  }
  // Cut spans that straddle lo or hi, then drop everything inside [lo, hi).
  auto it = m_spans.lower_bound(lo);
  if (it != m_spans.begin()) {
    auto prev = std::prev(it);
    if (prev->second.end > lo) {
      const Span tail{prev->second.end, prev->second.layout};
      prev->second.end = lo;
      if (tail.end > hi) insert(hi, Span{tail.end, tail.layout});
    }
  }
  it = m_spans.lower_bound(lo);
  while (it != m_spans.end() && it->first < hi) {
    if (it->second.end > hi) {
      const Span rest{it->second.end, it->second.layout};
      erase(it);
      insert(hi, rest);
      break;
    }
    it = erase(it);
  }
  if (l == Layout::neutral) return;
  // Merge with equal neighbours so that repeated writes keep the map small.
  std::uint64_t start = lo, end = hi;
  auto next = m_spans.lower_bound(hi);
  if (next != m_spans.end() && next->first == hi && next->second.layout == l) {
    end = next->second.end;
    erase(next);
  }
  auto at = m_spans.lower_bound(lo);
  if (at != m_spans.begin()) {
    auto prev = std::prev(at);
    if (prev->second.end == lo && prev->second.layout == l) {
      start = prev->first;
      erase(prev);
    }
  }
  insert(start, Span{end, l});
}

void LayoutMap::insert(std::uint64_t start, Span s) {
  if (!m_spans.emplace(start, s).second) return;
  ++m_spans_in[static_cast<std::size_t>(s.layout)];
  m_lo = std::min(m_lo, start);
  m_hi = std::max(m_hi, s.end);
}

LayoutMap::Spans::iterator LayoutMap::erase(Spans::iterator it) {
  --m_spans_in[static_cast<std::size_t>(it->second.layout)];
  it = m_spans.erase(it);
  if (m_spans.empty()) {
    m_lo = UINT64_MAX;
    m_hi = 0;
  }
  return it;
}

}  // namespace npusim::npu
