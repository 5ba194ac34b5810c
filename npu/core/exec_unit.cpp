#include "npu/core/exec_unit.hpp"

namespace npusim::npu {

ExecUnit::ExecUnit(const sc_core::sc_module_name& name, CoreState& state, std::uint32_t unit,
                   std::uint32_t queue_depth)
    : sc_core::sc_module(name), m_state(state), m_counters(state.counters[unit]), m_unit(unit), m_queue(queue_depth) {
  SC_HAS_PROCESS(ExecUnit);
  SC_THREAD(thread);
}

std::uint32_t ExecUnit::wait_for_producers(std::uint32_t idx) {
  const InstrRecord& rec = m_state.records[idx];
  std::uint32_t binding = kNoInstruction;
  Cycle latest = 0;
  for (std::uint32_t k = 0; k < rec.deps_count; ++k) {
    const std::uint32_t dep = m_state.dep_pool[rec.deps_begin + k];
    m_state.wait_done(dep);
    if (binding == kNoInstruction || m_state.records[dep].done > latest) {
      latest = m_state.records[dep].done;
      binding = dep;
    }
  }
  return binding;
}

void ExecUnit::thread() {
  Cycle free_at = now_cycles();
  for (;;) {
    while (m_queue.empty()) sc_core::wait(m_queue.pushed());
    const QueueEntry entry = m_queue.front();
    const std::uint32_t idx = entry.idx;
    InstrRecord& rec = m_state.records[idx];
    const Cycle now = now_cycles();
    if (rec.dispatch > now) wait_cycles(rec.dispatch - now);
    const Cycle ready = std::max(free_at, rec.dispatch);
    m_counters.stall(Stall::issue) += ready - free_at;
    const std::uint32_t binding = wait_for_producers(idx);
    const Cycle start = now_cycles();
    if (start > ready) {
      m_counters.dependency_cycles[m_state.unit_of_instruction(binding)] += start - ready;
      rec.binding_dep = binding;
    }
    m_queue.pop();
    rec.start = start;
    ++m_counters.instructions;
    sc_core::sc_signal<bool>* busy = m_state.signals ? m_state.signals->busy[m_unit].get() : nullptr;
    if (busy) busy->write(true);
    run(entry);
    if (busy) busy->write(false);
    free_at = now_cycles();
  }
}

void ExecUnit::finish_compute(std::uint32_t idx, const InstructionCost& c, Cycle extra_busy) {
  InstrRecord& rec = m_state.records[idx];
  if (m_state.numerics) {
    execute(m_state.program, m_state.instruction(idx), m_state.hw.core, m_state.memories, m_state.numerics_counters);
  }
  const Cycle busy = c.busy + extra_busy;
  rec.end = rec.start + busy;
  rec.done = rec.end + c.latency;
  m_state.progress(m_unit).notify(sc_core::SC_ZERO_TIME);

  UnitCounters& u = m_counters;
  u.busy_cycles += busy;
  u.stall(Stall::bank_conflict) += c.bank_conflict_cycles;
  u.sp_read_bytes += c.sp_read_bytes;
  u.sp_write_bytes += c.sp_write_bytes;
  u.macs += c.macs;
  u.peak_mac_cycles += c.peak_mac_cycles;
  u.elements += c.elements;
  u.vectors += c.vectors;
  u.lane_slots += c.lane_slots;
  wait_cycles(busy);
}

}  // namespace npusim::npu
