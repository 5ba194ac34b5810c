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

}  // namespace npusim::npu
