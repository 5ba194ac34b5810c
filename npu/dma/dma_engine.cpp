#include "npu/dma/dma_engine.hpp"

#include "npu/dma/dma_timing.hpp"

namespace npusim::npu {

DmaEngine::DmaEngine(CoreState& state, std::uint32_t queue, UnitHost& host, Dram& dram, DramClient& client)
    : ExecUnit(state, kFirstDmaUnit + queue, host), m_dram(dram), m_client(client) {}

void DmaEngine::prepare(ThreadState& thread, QueueEntry& e) {
  const Instruction& in = thread.instruction(e.idx);
  const Program& p = m_state.program;
  // The regions accesses() gives (the program's operands are placed): dst first, then the source.
  const bool load = in.op == Opcode::dma_load;
  const Region& dram_side = p.operand_regions[in.operand_ids[load ? 1 : 0]];
  const ShapeKey key{load, dram_side.rows, dram_side.row_bytes, dram_side.stride_bytes,
                     dram_side.address % m_state.hw.dram.burst_bytes};
  if (!m_costed || !(key == m_key)) {
    m_costed = true;
    m_key = key;
    m_cost = dma_cost(load, dram_side, m_state.hw.core, m_state.hw.dram);
    m_worst = worst_case_cycles(in, m_cost, m_state.hw);
  }
  const InstructionCost& c = m_cost;
  m_state.shared.add_bound(m_worst);
  if (m_state.numerics) execute(p, in, m_state.hw.core, m_state.memories, m_state.numerics_counters);
  if (load) m_state.layout.assign(p.operand_regions[in.operand_ids[0]], Layout::neutral);

  UnitCounters& u = m_counters;
  u.sp_read_bytes += c.sp_read_bytes;
  u.sp_write_bytes += c.sp_write_bytes;
  (c.dram_write ? u.dram_write_bytes : u.dram_read_bytes) += c.dram_bus_bytes;
  (c.dram_write ? u.dram_write_payload_bytes : u.dram_read_payload_bytes) += c.dram_payload_bytes;

  e.busy = c.dma_fixed_cycles;
  e.latency = c.latency;
  e.dram_bytes = double(c.dram_bus_bytes);
  e.cap = c.dma_cap_bytes_per_cycle;
  e.ideal_transfer = c.dma_ideal_transfer_cycles;
}

void DmaEngine::run(const QueueEntry& entry, Cycle start) {
  m_current = entry;
  m_start = start;
  const Cycle arrival = start + entry.busy;
  if (entry.dram_bytes > 0) {
    m_dram.add(arrival, entry.dram_bytes, entry.cap, &m_client, unit());
  } else {
    end_descriptor(arrival);
  }
}

void DmaEngine::transfer_done(Cycle end) { end_descriptor(end); }

void DmaEngine::end_descriptor(Cycle end) {
  const Cycle transfer = end - (m_start + m_current.busy);
  m_counters.busy_cycles += end - m_start;
  m_state.threads[m_current.thread].set_contention(
      m_current.idx, static_cast<std::int64_t>(transfer) - static_cast<std::int64_t>(m_current.ideal_transfer));
  if (transfer > m_current.ideal_transfer) m_counters.stall(Stall::dram_bandwidth) += transfer - m_current.ideal_transfer;
  finish(m_current, end, m_current.latency);
}

}  // namespace npusim::npu
