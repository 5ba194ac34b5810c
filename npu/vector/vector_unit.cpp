#include "npu/vector/vector_unit.hpp"

#include "npu/core/units.hpp"
#include "npu/vector/vector_timing.hpp"

namespace npusim::npu {

VectorUnit::VectorUnit(const sc_core::sc_module_name& name, CoreState& state)
    : ComputeUnit(name, state, kVectorUnit, state.hw.core.handoff.matrix_to_vector) {}

InstructionCost VectorUnit::cost(const Instruction& in, const AccessSet& access) const {
  return vector_cost(m_state.program, in, access, m_state.hw.core);
}

}  // namespace npusim::npu
