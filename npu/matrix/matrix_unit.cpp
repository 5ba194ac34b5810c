#include "npu/matrix/matrix_unit.hpp"

#include "npu/core/units.hpp"
#include "npu/matrix/matrix_timing.hpp"

namespace npusim::npu {

MatrixUnit::MatrixUnit(const sc_core::sc_module_name& name, CoreState& state)
    : ComputeUnit(name, state, kMatrixUnit, state.hw.core.handoff.vector_to_matrix) {}

InstructionCost MatrixUnit::cost(const Instruction& in, const AccessSet& access) const {
  return matrix_cost(m_state.program, in, access, m_state.hw.core);
}

}  // namespace npusim::npu
