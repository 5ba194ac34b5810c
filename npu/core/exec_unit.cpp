#include "npu/core/exec_unit.hpp"

#include "npu/core/signal_trace.hpp"

namespace npusim::npu {

ExecUnit::ExecUnit(CoreState& state, std::uint32_t unit)
    : m_state(state),
      m_counters(state.counters[unit]),
      m_unit(unit),
      m_queue(state.hw.core.sequencer.queue_depth),
      m_recent(state.hw.core.sequencer.queue_depth, kNoInstruction) {}

Cycle ExecUnit::slot_free(Cycle ready) {
  // The queue holds the last `depth` dispatched instructions that have not started; it is full
  // at `ready` if the oldest of them starts later.
  const std::uint32_t oldest = m_recent[m_recent_next];
  if (oldest == kNoInstruction) return ready;
  if (m_state.records[oldest].start == kUnknownCycle && !try_start()) return kUnknownCycle;
  return std::max(ready, m_state.records[oldest].start);
}

void ExecUnit::dispatch(std::uint32_t idx, const AccessSet& access) {
  m_queue.push(prepare(idx, access));
  m_recent[m_recent_next] = idx;
  if (++m_recent_next == m_recent.size()) m_recent_next = 0;
  ++m_state.unfinished;
  if (m_state.trace) m_state.trace->queue(m_state.core, m_unit, m_state.records[idx].dispatch, +1);
}

bool ExecUnit::try_start() {
  if (m_running || m_queue.empty()) return false;
  const QueueEntry& entry = m_queue.front();
  InstrRecord& rec = m_state.records[entry.idx];
  // Producers complete in any order: resume the scan where the last attempt stopped.
  for (; m_scanned < rec.deps_count; ++m_scanned) {
    const std::uint32_t dep = m_state.dep_pool[rec.deps_begin + m_scanned];
    const Cycle done = m_state.records[dep].done;
    if (done == kUnknownCycle) return false;
    if (m_binding == kNoInstruction || done > m_latest) {
      m_latest = done;
      m_binding = dep;
    }
  }
  const std::uint32_t binding = m_binding;
  const Cycle latest = m_latest;
  m_scanned = 0;
  m_binding = kNoInstruction;
  m_latest = 0;
  const Cycle ready = std::max(m_free_at, rec.dispatch);
  const Cycle start = std::max(ready, latest);
  m_counters.stall(Stall::issue) += ready - m_free_at;
  if (start > ready) {
    m_counters.dependency_cycles[m_state.unit_of_instruction(binding)] += start - ready;
    rec.binding_dep = binding;
  }
  const QueueEntry started = entry;
  m_queue.pop();
  rec.start = start;
  ++m_counters.instructions;
  if (m_state.trace) {
    m_state.trace->queue(m_state.core, m_unit, start, -1);
    m_state.trace->busy(m_state.core, m_unit, start, true);
  }
  m_running = true;
  run(started, start);
  return true;
}

void ExecUnit::finish(std::uint32_t idx, Cycle end, Cycle latency) {
  InstrRecord& rec = m_state.records[idx];
  rec.end = end;
  rec.done = end + latency;
  m_free_at = end;
  m_running = false;
  --m_state.unfinished;
  m_state.latest_done = std::max(m_state.latest_done, rec.done);
  if (m_state.trace) m_state.trace->busy(m_state.core, m_unit, end, false);
}

}  // namespace npusim::npu
