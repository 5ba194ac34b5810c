#include "npu/vector/vector_unit.hpp"

#include "npu/core/units.hpp"
#include "npu/vector/vector_timing.hpp"

namespace npusim::npu {

VectorUnit::VectorUnit(CoreState& state, UnitHost& host)
    : ComputeUnit(state, kVectorUnit, host, state.hw.core.handoff.matrix_to_vector) {}

InstructionCost VectorUnit::cost(const Instruction& in, const AccessSet& access) {
  const InstructionCost c = vector_cost(m_state.program, in, access, m_state.hw.core);
  const double lanes = c.vectors ? double(c.lane_slots) / double(c.vectors) : 1.0;
  m_counters.ideal_cycles += double(c.elements) / lanes * m_state.hw.core.vector.op(in.info().vclass).interval_cycles;
  return c;
}

}  // namespace npusim::npu
