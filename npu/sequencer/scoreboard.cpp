#include "npu/sequencer/scoreboard.hpp"

#include <algorithm>

namespace npusim::npu {
namespace {

constexpr std::uint64_t kScratchpadTag = std::uint64_t{1} << 63;
constexpr std::size_t kFirstCapacity = 16;  ///< a power of two

}  // namespace

Scoreboard::Scoreboard(const Timeline& timeline)
    : m_timeline(timeline), m_entries(kFirstCapacity), m_accesses(kFirstCapacity), m_mask(kFirstCapacity - 1) {}

Scoreboard::Interval Scoreboard::bounds(const Region& r) {
  Interval out;
  if (r.rows == 0 || r.row_bytes == 0) return out;
  const std::uint64_t tag = r.space == Space::scratchpad ? kScratchpadTag : 0;
  out.lo = tag | r.address;
  out.hi = tag | r.end();
  return out;
}

bool Scoreboard::conflicts(const AccessSet& later, const AccessSet& earlier) {
  auto overlap = [](const Region& a, const Region& b) { return bounds(a).meets(bounds(b)) && regions_overlap(a, b); };
  if (later.has_write) {
    if (earlier.has_write && overlap(later.write, earlier.write)) return true;  // WAW
    for (int i = 0; i < earlier.nreads; ++i) {
      if (overlap(later.write, earlier.reads[i])) return true;  // WAR
    }
  }
  if (earlier.has_write) {
    for (int i = 0; i < later.nreads; ++i) {
      if (overlap(later.reads[i], earlier.write)) return true;  // RAW
    }
  }
  return false;
}

void Scoreboard::dispatch(std::uint32_t idx, const AccessSet& access, Cycle at, std::vector<std::uint32_t>& deps) {
  const Interval write = access.has_write ? bounds(access.write) : Interval{};
  Interval reads;
  for (int i = 0; i < access.nreads; ++i) {
    const Interval r = bounds(access.reads[i]);
    reads.lo = std::min(reads.lo, r.lo);
    reads.hi = std::max(reads.hi, r.hi);
  }
  // Refreshes an entry's completion; true once it has completed by `at` (kUnknownCycle: in flight).
  auto retired = [&](Entry& e) {
    if (e.done == kUnknownCycle) e.done = m_timeline.done(e.idx);  // final once known
    return e.done <= at;
  };
  while (m_head != m_tail && retired(m_entries[m_head & m_mask])) ++m_head;
  std::size_t live = 0;
  for (std::size_t k = m_head; k != m_tail; ++k) {
    Entry& e = m_entries[k & m_mask];
    if (retired(e)) continue;
    ++live;
    if ((write.meets(e.write) || write.meets(e.reads) || reads.meets(e.write)) &&
        conflicts(access, m_accesses[k & m_mask])) {
      deps.push_back(e.idx);
    }
  }
  if (m_tail - m_head > 2 * live + kFirstCapacity) squeeze(at);
  if (m_tail - m_head == m_entries.size()) grow();
  m_entries[m_tail & m_mask] = Entry{idx, kUnknownCycle, write, reads};
  m_accesses[m_tail & m_mask] = access;
  ++m_tail;
}

void Scoreboard::squeeze(Cycle at) {
  std::size_t out = m_head;
  for (std::size_t k = m_head; k != m_tail; ++k) {
    if (m_entries[k & m_mask].done <= at) continue;
    if (out != k) {
      m_entries[out & m_mask] = m_entries[k & m_mask];
      m_accesses[out & m_mask] = m_accesses[k & m_mask];
    }
    ++out;
  }
  m_tail = out;
}

void Scoreboard::grow() {
  const std::size_t n = m_entries.size();
  std::vector<Entry> entries(2 * n);
  std::vector<AccessSet> accesses(2 * n);
  for (std::size_t k = 0; k < n; ++k) {
    entries[k] = m_entries[(m_head + k) & m_mask];
    accesses[k] = m_accesses[(m_head + k) & m_mask];
  }
  m_entries.swap(entries);
  m_accesses.swap(accesses);
  m_mask = 2 * n - 1;
  m_head = 0;
  m_tail = n;
}

}  // namespace npusim::npu
