#include "npu/matrix/matrix_unit.hpp"

#include "npu/core/units.hpp"
#include "npu/matrix/matrix_timing.hpp"

namespace npusim::npu {

MatrixUnit::MatrixUnit(CoreState& state, UnitHost& host)
    : ComputeUnit(state, kMatrixUnit, host, state.hw.core.handoff.vector_to_matrix,
                  state.hw.core.matrix.port_bytes_per_cycle) {}

InstructionCost MatrixUnit::cost(const Instruction& in, const AccessSet& access) const {
  return matrix_cost(m_state.program, in, access, m_state.hw.core);
}

}  // namespace npusim::npu
