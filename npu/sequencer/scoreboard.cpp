#include "npu/sequencer/scoreboard.hpp"

#include <algorithm>

namespace npusim::npu {
namespace {

bool conflicts(const AccessSet& later, const AccessSet& earlier) {
  if (later.has_write) {
    if (earlier.has_write && regions_overlap(later.write, earlier.write)) return true;  // WAW
    for (int i = 0; i < earlier.nreads; ++i) {
      if (regions_overlap(later.write, earlier.reads[i])) return true;  // WAR
    }
  }
  if (earlier.has_write) {
    for (int i = 0; i < later.nreads; ++i) {
      if (regions_overlap(later.reads[i], earlier.write)) return true;  // RAW
    }
  }
  return false;
}

}  // namespace

void Scoreboard::retire(Cycle at) {
  const auto& records = m_state.records;
  m_entries.erase(std::remove_if(m_entries.begin(), m_entries.end(),
                                 [&](const Entry& e) { return records[e.idx].done <= at; }),
                  m_entries.end());
}

void Scoreboard::dispatch(std::uint32_t idx, const AccessSet& access, Cycle at) {
  retire(at);
  const Entry e{idx, access};
  InstrRecord& rec = m_state.records[idx];
  rec.deps_begin = static_cast<std::uint32_t>(m_state.dep_pool.size());
  for (const Entry& other : m_entries) {
    if (conflicts(e.access, other.access)) m_state.dep_pool.push_back(other.idx);
  }
  rec.deps_count = static_cast<std::uint32_t>(m_state.dep_pool.size() - rec.deps_begin);
  m_entries.push_back(e);
}

std::vector<std::uint32_t> Scoreboard::in_flight(Cycle at) {
  retire(at);
  std::vector<std::uint32_t> out;
  for (const Entry& e : m_entries) out.push_back(e.idx);
  return out;
}

}  // namespace npusim::npu
