#include "npu/core/instruction_cost.hpp"

#include "npu/dma/dma_timing.hpp"
#include "npu/isa/access.hpp"
#include "npu/matrix/matrix_timing.hpp"
#include "npu/vector/vector_timing.hpp"

namespace npusim::npu {

InstructionCost unloaded_cost(const Program& p, const Instruction& in, const NpuConfig& hw) {
  const AccessSet acc = accesses(p, in);
  switch (in.unit()) {
    case UnitKind::matrix: return matrix_cost(p, in, acc, hw.core);
    case UnitKind::vector: return vector_cost(p, in, acc, hw.core);
    case UnitKind::dma: return dma_cost(in, acc, hw.core, hw.dram);
    case UnitKind::sequencer: return {};
  }
  return {};
}

Cycle worst_case_cycles(const Instruction& in, const InstructionCost& c, const NpuConfig& hw) {
  Cycle own = hw.core.sequencer.issue_cycles;
  if (in.unit() == UnitKind::dma) {
    const std::uint64_t sharers = std::uint64_t{hw.cores} * hw.core.dma.queues;
    own = sat_add(own, sat_add(c.dma_fixed_cycles, sat_mul(c.dma_ideal_transfer_cycles, sharers)));
  } else {
    own = sat_add(own, c.busy);
  }
  own = sat_add(own, c.latency);
  if (in.unit() == UnitKind::matrix || in.unit() == UnitKind::vector) {
    for (const HandoffDirection* d : {&hw.core.handoff.matrix_to_vector, &hw.core.handoff.vector_to_matrix}) {
      Cycle handoff = d->fixed_cycles;
      if (d->bytes_per_cycle > 0) handoff += transfer_cycles(double(c.sp_read_bytes), d->bytes_per_cycle);
      own = sat_add(own, handoff);
    }
  }
  return own;
}

}  // namespace npusim::npu
