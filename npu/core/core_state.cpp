#include "npu/core/core_state.hpp"

#include <algorithm>
#include <systemc>

namespace npusim::npu {

namespace {
constexpr std::uint64_t kPicosecondsPerCycle = 1000;  // default time resolution is 1 ps
}

Cycle now_cycles() { return sc_core::sc_time_stamp().value() / kPicosecondsPerCycle; }

sc_core::sc_time cycles_to_time(Cycle c) { return sc_core::sc_time::from_value(c * kPicosecondsPerCycle); }

CoreState::CoreState(const Program& p, const std::vector<const Stream*>& streams, const NpuConfig& hw_,
                     std::uint32_t core_, bool numerics_, std::vector<std::uint8_t>* dram, SharedRun& shared_)
    : program(p), hw(hw_), core(core_), numerics(numerics_), shared(shared_), contexts(hw_.core.vector.contexts, 0) {
  threads.reserve(streams.size());
  for (std::uint32_t t = 0; t < streams.size(); ++t) {
    threads.emplace_back(*streams[t], t);
    if (threads.back().size() > 0) working.push_back(t);
  }
  const std::uint32_t units = unit_count(hw.core);
  counters.resize(units);
  for (auto& c : counters) c.dependency_cycles.assign(units, 0);
  if (numerics) scratchpad.assign(hw.core.scratchpad.size_bytes, 0);
  memories.dram = dram;
  memories.scratchpad = &scratchpad;
}

namespace {

/// The entry of a side table (sorted by idx) for instruction `idx`, or nullptr.
template <typename T>
const T* find_entry(const std::vector<T>& table, std::uint32_t idx) {
  const auto it = std::lower_bound(table.begin(), table.end(), idx, [](const T& e, std::uint32_t i) { return e.idx < i; });
  return it != table.end() && it->idx == idx ? &*it : nullptr;
}

template <typename T>
void sort_by_idx(std::vector<T>& table) {
  std::sort(table.begin(), table.end(), [](const T& a, const T& b) { return a.idx < b.idx; });
}

}  // namespace

void Timeline::put_wide(std::uint32_t idx, std::uint32_t& packed, Cycle Wide::*field, Cycle value) {
  NPUSIM_ASSERT(value <= kMaxCycles, "an instruction's times out of order or past 2^53 cycles");
  packed = PackedRecord::kWide;
  m_wide[idx].*field = value;
}

void Timeline::put_wide_contention(std::uint32_t idx, std::int64_t cycles) {
  m_records[idx].contention = PackedRecord::kWideContention;
  m_wide[idx].contention = cycles;
}

void Timeline::throw_too_many_deps() {
  throw SimError("a thread with more than 2^32 dependencies: split the program");
}

void Timeline::drop_completed_producers() {
  with_done([this](auto done) {
    std::uint32_t out = 0, begin = 0;
    for (std::uint32_t i = 0; i < m_records.size(); ++i) {
      const std::uint32_t end_at = m_records[i].deps_end;
      const Cycle dispatched = m_records[i].dispatch;
      for (std::uint32_t k = begin; k < end_at; ++k) {
        const std::uint32_t d = dep_pool[k];
        if (done(d) > dispatched) dep_pool[out++] = d;
      }
      begin = end_at;
      m_records[i].deps_end = out;
    }
    dep_pool.resize(out);  // no shrink_to_fit: a copy now, at the run's end, would be its peak
  });
}

Cycle Timeline::last_completion() const {
  return with_done([this](auto done) {
    Cycle latest = 0;
    const auto n = static_cast<std::uint32_t>(m_records.size());
    for (std::uint32_t i = 0; i < n; ++i) latest = std::max(latest, done(i));
    return latest;
  });
}

const UnitPrev* Timeline::find_unit_prev(std::uint32_t idx) const { return find_entry(unit_prevs, idx); }

Cycle Timeline::find_handoff_cycles(std::uint32_t idx) const {
  const HandoffCycles* h = find_entry(handoffs, idx);
  return h ? h->cycles : 0;
}

void Timeline::sort() {
  sort_by_idx(unit_prevs);
  sort_by_idx(handoffs);
}

bool CoreState::unfinished() const {
  for (const ThreadState& t : threads) {
    if (t.unfinished > 0) return true;
  }
  return false;
}

}  // namespace npusim::npu
