#include "npu/sequencer/scoreboard.hpp"

namespace npusim::npu {
namespace {

constexpr std::uint64_t kScratchpadTag = std::uint64_t{1} << 63;

}  // namespace

void Scoreboard::footprint(const AccessSet& access, Footprint& f) {
  // Copies only what is set: the unset reads are never looked at.
  f.access.nreads = access.nreads;
  for (int i = 0; i < access.nreads; ++i) f.access.reads[i] = access.reads[i];
  f.access.write = access.write;
  f.access.has_write = access.has_write;
  auto bounds = [](const Region& r) {
    Interval out;
    if (r.rows == 0 || r.row_bytes == 0) return out;
    const std::uint64_t tag = r.space == Space::scratchpad ? kScratchpadTag : 0;
    out.lo = tag | r.address;
    out.hi = tag | r.end();
    return out;
  };
  f.write = access.has_write ? bounds(access.write) : Interval{};
  f.all_reads = Interval{};
  for (int i = 0; i < access.nreads; ++i) {
    f.reads[i] = bounds(access.reads[i]);
    f.all_reads.lo = std::min(f.all_reads.lo, f.reads[i].lo);
    f.all_reads.hi = std::max(f.all_reads.hi, f.reads[i].hi);
  }
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
  std::uint32_t slot;
  if (m_free.empty()) {
    slot = static_cast<std::uint32_t>(m_pool.size());
    m_pool.emplace_back();
  } else {
    slot = m_free.back();
    m_free.pop_back();
  }
  Footprint& mine = m_pool[slot];
  footprint(access, mine);
  const Interval write = mine.write, reads = mine.all_reads;
  for (std::size_t k = m_head; k < m_ring.size(); ++k) {
    Entry& e = m_ring[k];
    if (e.slot == kRetired) continue;
    if (e.done == kUnknownCycle) e.done = m_timeline.done(e.idx);  // final once known
    if (e.done != kUnknownCycle && e.done <= at) {
      m_free.push_back(e.slot);
      e.slot = kRetired;
      continue;
    }
    if ((write.meets(e.write) || write.meets(e.reads) || reads.meets(e.write)) && conflicts(mine, m_pool[e.slot])) {
      deps.push_back(e.idx);
    }
  }
  while (m_head < m_ring.size() && m_ring[m_head].slot == kRetired) ++m_head;
  if (m_head > 64 && 2 * m_head > m_ring.size()) {
    m_ring.erase(m_ring.begin(), m_ring.begin() + static_cast<std::ptrdiff_t>(m_head));
    m_head = 0;
  }
  m_ring.push_back(Entry{idx, slot, write, reads, kUnknownCycle});
}

}  // namespace npusim::npu
