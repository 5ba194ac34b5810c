#include "npu/core/exec_unit.hpp"

#include <algorithm>

#include "npu/core/signal_trace.hpp"

namespace npusim::npu {

ExecUnit::ExecUnit(CoreState& state, std::uint32_t unit, UnitHost& host)
    : m_state(state), m_counters(state.counters[unit]), m_host(host), m_unit(unit) {
  m_lanes.reserve(state.threads.size());
  for (std::size_t t = 0; t < state.threads.size(); ++t) m_lanes.emplace_back(state.hw.core.sequencer.queue_depth);
}

Cycle ExecUnit::slot_free_later(std::uint32_t thread, std::uint32_t oldest, Cycle ready) {
  const Timeline& t = m_state.threads[thread];
  Cycle started;
  while ((started = t.start(oldest)) == kUnknownCycle) {
    if (!try_start()) return kUnknownCycle;
  }
  return std::max(ready, started);
}

void ExecUnit::dispatch(std::uint32_t thread, std::uint32_t idx) {
  ThreadState& t = m_state.threads[thread];
  Lane& l = m_lanes[thread];
  QueueEntry& e = l.queue.push();  // filled in place: a copy of a just-written entry stalls
  ++m_queued;
  e.idx = idx;
  e.thread = thread;
  prepare(t, e);
  const Cycle dispatched = t.dispatch(idx);
  t.set_earliest_done(idx, dispatched + e.busy + e.ideal_transfer + e.latency);
  l.recent[l.recent_next] = idx;
  if (++l.recent_next == l.recent.size()) l.recent_next = 0;
  ++t.unfinished;
  if (m_unit == kMatrixUnit) ++t.matrix_unfinished;
  if (m_unit == kVectorUnit) ++t.vector_unfinished;
  if (m_state.trace) m_state.trace->queue(m_state.core, m_unit, dispatched, +1);
}

bool ExecUnit::scan_producers(std::uint32_t lane) {
  Lane& l = m_lanes[lane];
  const ThreadState& t = m_state.threads[lane];
  if (l.stopped.holds(t)) return false;
  const DepRange deps = t.deps(l.queue.front().idx);
  // Producers complete in any order: resume the scan where the last attempt stopped.
  for (; l.scanned < deps.size(); ++l.scanned) {
    const std::uint32_t dep = deps[l.scanned];
    const Cycle done = t.done(dep);
    if (done == kUnknownCycle) {
      l.stopped.mark(t);
      return false;
    }
    if (l.binding == kNoInstruction || done > l.latest) {
      l.latest = done;
      l.binding = dep;
    }
  }
  return true;
}

bool ExecUnit::scan(std::uint32_t lane) {
  Lane& l = m_lanes[lane];
  if (l.known) return true;
  if (!scan_producers(lane)) return false;
  l.known = true;
  l.dispatch = m_state.threads[lane].dispatch(l.queue.front().idx);
  l.ready = std::max(l.dispatch, l.latest);
  return true;
}

std::uint32_t ExecUnit::best_lane() {
  std::uint32_t best = kNoThread;
  Cycle best_start = 0, best_dispatch = 0;
  for (const std::uint32_t lane : m_state.working) {
    if (m_lanes[lane].queue.empty() || !scan(lane)) continue;
    const Cycle s = head_start(lane);
    const Cycle d = m_lanes[lane].dispatch;
    if (best == kNoThread || s < best_start || (s == best_start && d < best_dispatch)) {
      best = lane;
      best_start = s;
      best_dispatch = d;
    }
  }
  return best;
}

bool ExecUnit::certain(std::uint32_t lane, Cycle start) const {
  const Cycle dispatch = m_lanes[lane].dispatch;
  // Could `other`, able to start no earlier than `s` with dispatch `d`, come first?
  auto before = [&](std::uint32_t other, Cycle s, Cycle d) {
    return s < start || (s == start && (d < dispatch || (d == dispatch && other < lane)));
  };
  for (const std::uint32_t other : m_state.working) {
    if (other == lane) continue;
    const Lane& l = m_lanes[other];
    const ThreadState& t = m_state.threads[other];
    if (l.queue.empty()) {
      const Cycle d = m_host.next_dispatch(other);
      if (d != kUnknownCycle && before(other, std::max(m_free_at, d), d)) return false;
      continue;
    }
    if (l.known) continue;  // no earlier than `start` (best_lane scanned every head)
    const std::uint32_t head = l.queue.front().idx;
    const DepRange deps = t.deps(head);
    Cycle s = std::max({m_free_at, t.dispatch(head), l.latest});
    for (std::size_t k = l.scanned; k < deps.size(); ++k) {
      const Cycle done = t.done(deps[k]);
      s = std::max(s, done != kUnknownCycle ? done : t.earliest_done(deps[k]));
    }
    if (before(other, s, t.dispatch(head))) return false;
  }
  return true;
}

bool ExecUnit::start_next() {
  if (m_state.working.size() == 1) {  // no other thread to arbitrate with
    const std::uint32_t lane = m_state.working[0];
    if (!scan_producers(lane)) return false;  // its lane holds every queued entry
    start(lane);
    return true;
  }
  const std::uint32_t lane = best_lane();
  if (lane == kNoThread || !certain(lane, head_start(lane))) return false;
  start(lane);
  return true;
}

Cycle ExecUnit::pending_start() {
  if (m_running) return kUnknownCycle;
  const std::uint32_t lane = best_lane();
  return lane == kNoThread ? kUnknownCycle : head_start(lane);
}

void ExecUnit::force_start() { start(best_lane()); }

void ExecUnit::start(std::uint32_t lane) {
  Lane& l = m_lanes[lane];
  ThreadState& t = m_state.threads[lane];
  const QueueEntry& entry = l.queue.front();  // its slot keeps it until the next push
  const std::uint32_t binding = l.binding;
  const Cycle latest = l.latest;
  l.scanned = 0;
  l.binding = kNoInstruction;
  l.latest = 0;
  l.stopped.clear();
  l.known = false;
  const Cycle ready = std::max(m_free_at, t.dispatch(entry.idx));
  const Cycle start = std::max(ready, latest);
  m_counters.stall(Stall::issue) += ready - m_free_at;
  if (start > ready) {
    m_counters.dependency_cycles[unit_of(t.instruction(binding))] += start - ready;
    t.set_binding_dep(entry.idx, binding);
  }
  if (m_last_thread != kNoThread && m_last_thread != lane) t.unit_prevs.push_back({entry.idx, m_last_thread, m_last_idx});
  m_last_thread = lane;
  m_last_idx = entry.idx;
  l.queue.pop();
  --m_queued;
  t.set_start(entry.idx, start);
  ++m_counters.instructions;
  if (m_state.trace) {
    m_state.trace->queue(m_state.core, m_unit, start, -1);
    m_state.trace->busy(m_state.core, m_unit, start, true);
  }
  m_running = true;
  run(entry, start);
}

void ExecUnit::finish(const QueueEntry& entry, Cycle end, Cycle latency) {
  ThreadState& t = m_state.threads[entry.thread];
  const Cycle done = end + latency;
  t.set_end(entry.idx, end, done);
  m_free_at = end;
  m_running = false;
  --t.unfinished;
  t.latest_done = std::max(t.latest_done, done);
  if (m_unit == kMatrixUnit) {
    --t.matrix_unfinished;
    t.matrix_latest_done = std::max(t.matrix_latest_done, done);
  }
  if (m_unit == kVectorUnit) {
    --t.vector_unfinished;
    t.vector_latest_done = std::max(t.vector_latest_done, done);
  }
  if (m_state.trace) m_state.trace->busy(m_state.core, m_unit, end, false);
}

}  // namespace npusim::npu
