#include "npu/core/compute_unit.hpp"

#include "npu/dma/dma_timing.hpp"

namespace npusim::npu {

ComputeUnit::ComputeUnit(const sc_core::sc_module_name& name, CoreState& state, std::uint32_t unit,
                         const HandoffDirection& into_me)
    : ExecUnit(name, state, unit, state.hw.core.sequencer.queue_depth), m_into_me(into_me) {}

Cycle ComputeUnit::handoff(std::uint32_t idx, std::uint64_t bytes) {
  if (bytes == 0) return 0;
  Cycle cycles = m_into_me.fixed_cycles;
  if (m_into_me.bytes_per_cycle > 0) cycles += transfer_cycles(double(bytes), m_into_me.bytes_per_cycle);
  ++m_counters.handoffs;
  m_counters.handoff_bytes += bytes;
  m_counters.handoff_cycles += cycles;
  m_state.records[idx].handoff_cycles = cycles;
  return cycles;
}

void ComputeUnit::run(const QueueEntry& entry) {
  const Instruction& in = m_state.instruction(entry.idx);
  const LayoutPlan plan = plan_layout(in, entry.access, m_state.layout);
  const Cycle extra = handoff(entry.idx, plan.convert_bytes);
  m_state.layout.assign(entry.access.write, plan.result);
  finish_compute(entry.idx, cost(in, entry.access), extra);
}

}  // namespace npusim::npu
