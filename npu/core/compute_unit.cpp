#include "npu/core/compute_unit.hpp"

#include "npu/dma/dma_timing.hpp"

namespace npusim::npu {

ComputeUnit::ComputeUnit(CoreState& state, std::uint32_t unit, UnitHost& host, const HandoffDirection& into_me)
    : ExecUnit(state, unit, host), m_into_me(into_me) {}

Cycle ComputeUnit::handoff(InstrRecord& rec, std::uint64_t bytes) {
  if (bytes == 0) return 0;
  Cycle cycles = m_into_me.fixed_cycles;
  if (m_into_me.bytes_per_cycle > 0) cycles += transfer_cycles(double(bytes), m_into_me.bytes_per_cycle);
  ++m_counters.handoffs;
  m_counters.handoff_bytes += bytes;
  m_counters.handoff_cycles += cycles;
  rec.handoff_cycles = cycles;
  return cycles;
}

QueueEntry ComputeUnit::prepare(ThreadState& thread, std::uint32_t idx, const AccessSet& access) {
  const Instruction& in = thread.instruction(idx);
  InstrRecord& rec = thread.records[idx];
  const LayoutPlan plan = plan_layout(in, access, m_state.layout);
  const Cycle extra = handoff(rec, plan.convert_bytes);
  m_state.layout.assign(access.write, plan.result);
  const InstructionCost c = cost(in, access);
  m_state.shared.add_bound(worst_case_cycles(in, c, m_state.hw));
  if (m_state.numerics) execute(m_state.program, in, m_state.hw.core, m_state.memories, m_state.numerics_counters);

  QueueEntry e;
  e.idx = idx;
  e.busy = c.busy + extra;
  e.latency = c.latency;
  UnitCounters& u = m_counters;
  u.busy_cycles += e.busy;
  u.stall(Stall::bank_conflict) += c.bank_conflict_cycles;
  u.sp_read_bytes += c.sp_read_bytes;
  u.sp_write_bytes += c.sp_write_bytes;
  u.macs += c.macs;
  u.peak_mac_cycles += c.peak_mac_cycles;
  u.elements += c.elements;
  u.vectors += c.vectors;
  u.lane_slots += c.lane_slots;
  rec.contention_cycles = static_cast<std::int64_t>(c.bank_conflict_cycles);
  return e;
}

void ComputeUnit::run(const QueueEntry& entry, Cycle start) { finish(entry, start + entry.busy, entry.latency); }

}  // namespace npusim::npu
