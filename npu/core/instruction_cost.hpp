#pragma once
/// What one instruction costs on its unit, computed from the config before it runs. Timing is
/// independent of data, so the same instruction always costs the same; only the hand-off and
/// the DRAM transfer (shared bandwidth) are added while the model runs.
#include <cstdint>

#include "npu/common/cycles.hpp"
#include "npu/config.hpp"
#include "npu/isa/program.hpp"

namespace npusim::npu {

struct InstructionCost {
  Cycle busy = 0;     ///< cycles the unit is occupied (startup + max(compute, port reads, port writes))
  Cycle latency = 0;  ///< after `busy`, cycles until dependants may use the result
  Cycle compute_cycles = 0;       ///< array / lane work alone
  Cycle read_cycles = 0;          ///< scratchpad read port, bank conflicts included
  Cycle write_cycles = 0;         ///< scratchpad write port, bank conflicts included
  Cycle bank_conflict_cycles = 0; ///< how much bank conflicts lengthened `busy`
  std::uint64_t sp_read_bytes = 0;
  std::uint64_t sp_write_bytes = 0;

  // Matrix unit.
  std::uint64_t macs = 0;
  double peak_mac_cycles = 0;  ///< macs / peak MACs per cycle for the operand dtype

  // Vector unit.
  std::uint64_t elements = 0;    ///< useful element operations
  std::uint64_t vectors = 0;     ///< vector issues
  std::uint64_t lane_slots = 0;  ///< vectors x lanes: element slots the issues offered

  // DMA.
  std::uint64_t dram_bus_bytes = 0;      ///< burst-rounded bytes on the DRAM interface
  std::uint64_t dram_payload_bytes = 0;  ///< bytes the program asked for
  bool dram_write = false;               ///< a store (DRAM written) rather than a load
  Cycle dma_fixed_cycles = 0;            ///< descriptor setup (the DRAM latency is `latency`)
  double dma_cap_bytes_per_cycle = 0;    ///< engine rate limit (DRAM may give less when shared)
  Cycle dma_ideal_transfer_cycles = 0;   ///< transfer at the cap, DRAM unshared
};

/// What `in` costs on its unit on its own, as the unit charges it (matrix_timing, vector_timing,
/// dma_timing): no waiting, no hand-off, DRAM unshared. Sequencer instructions cost nothing here.
InstructionCost unloaded_cost(const Program& p, const Instruction& in, const NpuConfig& hw);

/// The most cycles `in` (costing `c` on its own) can add to a run: its issue, its busy time with
/// a DMA transfer stretched by every queue of every core that could share DRAM with it, its
/// latency, and for a matrix or vector instruction a hand-off each way at full cost. A run is
/// no longer than the sum over its instructions (saturating).
Cycle worst_case_cycles(const Instruction& in, const InstructionCost& c, const NpuConfig& hw);

}  // namespace npusim::npu
