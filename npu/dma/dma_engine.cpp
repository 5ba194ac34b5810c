#include "npu/dma/dma_engine.hpp"

#include "npu/dma/dma_timing.hpp"

namespace npusim::npu {

DmaEngine::DmaEngine(const sc_core::sc_module_name& name, CoreState& state, std::uint32_t queue, Dram& dram)
    : ExecUnit(name, state, kFirstDmaUnit + queue, state.hw.core.sequencer.queue_depth), m_dram(dram) {}

void DmaEngine::run(const QueueEntry& entry) {
  const Instruction& in = m_state.instruction(entry.idx);
  InstrRecord& rec = m_state.records[entry.idx];
  const InstructionCost c = dma_cost(in, entry.access, m_state.hw.core, m_state.hw.dram);
  if (m_state.numerics) {
    execute(m_state.program, in, m_state.hw.core, m_state.memories, m_state.numerics_counters);
  }
  if (in.op == Opcode::dma_load) m_state.layout.assign(entry.access.write, Layout::neutral);

  wait_cycles(c.dma_fixed_cycles);
  const Cycle t0 = now_cycles();
  m_dram.transfer(double(c.dram_bus_bytes), c.dma_cap_bytes_per_cycle);
  const Cycle transfer = now_cycles() - t0;

  rec.end = now_cycles();
  rec.done = rec.end + c.latency;  // the engine moves on; the data lands a DRAM latency later
  m_state.progress(unit()).notify(sc_core::SC_ZERO_TIME);

  UnitCounters& u = m_counters;
  u.busy_cycles += rec.end - rec.start;
  if (transfer > c.dma_ideal_transfer_cycles) u.stall(Stall::dram_bandwidth) += transfer - c.dma_ideal_transfer_cycles;
  u.sp_read_bytes += c.sp_read_bytes;
  u.sp_write_bytes += c.sp_write_bytes;
  (c.dram_write ? u.dram_write_bytes : u.dram_read_bytes) += c.dram_bus_bytes;
  (c.dram_write ? u.dram_write_payload_bytes : u.dram_read_payload_bytes) += c.dram_payload_bytes;
}

}  // namespace npusim::npu
