#include "npu/vector/vector_unit.hpp"

#include "npu/core/units.hpp"
#include "npu/vector/vector_timing.hpp"

namespace npusim::npu {

VectorUnit::VectorUnit(CoreState& state, UnitHost& host)
    : ComputeUnit(state, kVectorUnit, host, state.hw.core.handoff.matrix_to_vector,
                  state.hw.core.vector.port_bytes_per_cycle) {}

InstructionCost VectorUnit::cost(const Instruction& in, const AccessSet& access) const {
  return vector_cost(m_state.program, in, access, m_state.hw.core);
}

}  // namespace npusim::npu
