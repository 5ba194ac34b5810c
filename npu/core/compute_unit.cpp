#include "npu/core/compute_unit.hpp"

#include "npu/dma/dma_timing.hpp"

namespace npusim::npu {

ComputeUnit::ComputeUnit(const sc_core::sc_module_name& name, CoreState& state, std::uint32_t unit, Layout own,
                         Layout foreign, const HandoffDirection& into_me)
    : ExecUnit(name, state, unit, state.hw.core.sequencer.queue_depth),
      m_own(own),
      m_foreign(foreign),
      m_into_me(into_me) {}

Cycle ComputeUnit::handoff(std::uint32_t idx, const AccessSet& access) {
  std::uint64_t bytes = 0;
  for (int i = 0; i < access.nreads; ++i) bytes += m_state.layout.bytes_in(access.reads[i], m_foreign);
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
  const Cycle extra = handoff(entry.idx, entry.access);
  m_state.layout.assign(entry.access.write, m_own);
  finish_compute(entry.idx, cost(m_state.instruction(entry.idx), entry.access), extra);
}

}  // namespace npusim::npu
