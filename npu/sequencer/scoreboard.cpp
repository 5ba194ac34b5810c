#include "npu/sequencer/scoreboard.hpp"

#include <algorithm>

namespace npusim::npu {
namespace {

constexpr std::uint64_t kScratchpadTag = std::uint64_t{1} << 63;
constexpr std::size_t kFirstCapacity = 16;  ///< a power of two

}  // namespace

Scoreboard::Scoreboard(const Timeline& timeline)
    : m_timeline(timeline), m_entries(kFirstCapacity), m_footprints(kFirstCapacity), m_mask(kFirstCapacity - 1) {}

Scoreboard::Interval Scoreboard::bounds(const Region& r) {
  Interval out;
  if (r.rows == 0 || r.row_bytes == 0) return out;
  const std::uint64_t tag = r.space == Space::scratchpad ? kScratchpadTag : 0;
  out.lo = tag | r.address;
  out.hi = tag | r.end();
  return out;
}

bool Scoreboard::conflicts(const Footprint& later, const Footprint& earlier) {
  const AccessSet& l = later.access;
  const AccessSet& e = earlier.access;
  if (l.has_write) {
    if (e.has_write && later.write.meets(earlier.write) && regions_overlap(l.write, e.write)) return true;  // WAW
    for (int i = 0; i < e.nreads; ++i) {
      if (later.write.meets(earlier.reads[i]) && regions_overlap(l.write, e.reads[i])) return true;  // WAR
    }
  }
  if (e.has_write) {
    for (int i = 0; i < l.nreads; ++i) {
      if (later.reads[i].meets(earlier.write) && regions_overlap(l.reads[i], e.write)) return true;  // RAW
    }
  }
  return false;
}

void Scoreboard::dispatch(std::uint32_t idx, const AccessSet& access, Cycle at, std::vector<std::uint32_t>& deps) {
  Footprint& mine = m_footprints[m_tail & m_mask];
  // Copies only what is set: the unset reads are never looked at.
  mine.access.nreads = access.nreads;
  mine.access.write = access.write;
  mine.access.has_write = access.has_write;
  mine.write = access.has_write ? bounds(access.write) : Interval{};
  Interval reads;
  for (int i = 0; i < access.nreads; ++i) {
    mine.access.reads[i] = access.reads[i];
    const Interval r = mine.reads[i] = bounds(access.reads[i]);
    reads.lo = std::min(reads.lo, r.lo);
    reads.hi = std::max(reads.hi, r.hi);
  }
  const Interval write = mine.write;
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
        conflicts(mine, m_footprints[k & m_mask])) {
      deps.push_back(e.idx);
    }
  }
  m_entries[m_tail & m_mask] = Entry{idx, kUnknownCycle, write, reads};
  ++m_tail;
  if (m_tail - m_head > 2 * live + kFirstCapacity) squeeze(at);
  if (m_tail - m_head == m_entries.size()) grow();
}

void Scoreboard::squeeze(Cycle at) {
  std::size_t out = m_head;
  for (std::size_t k = m_head; k != m_tail; ++k) {
    if (m_entries[k & m_mask].done <= at) continue;
    if (out != k) {
      m_entries[out & m_mask] = m_entries[k & m_mask];
      m_footprints[out & m_mask] = m_footprints[k & m_mask];
    }
    ++out;
  }
  m_tail = out;
}

void Scoreboard::grow() {
  const std::size_t n = m_entries.size();
  std::vector<Entry> entries(2 * n);
  std::vector<Footprint> footprints(2 * n);
  for (std::size_t k = 0; k < n; ++k) {
    entries[k] = m_entries[(m_head + k) & m_mask];
    footprints[k] = m_footprints[(m_head + k) & m_mask];
  }
  m_entries.swap(entries);
  m_footprints.swap(footprints);
  m_mask = 2 * n - 1;
  m_head = 0;
  m_tail = n;
}

}  // namespace npusim::npu
