#include "npu/vector/vector_unit.hpp"

#include "npu/core/units.hpp"
#include "npu/vector/vector_timing.hpp"

namespace npusim::npu {

bool is_layout_agnostic(const Instruction& in) {
  switch (in.op) {
    case Opcode::vec_add: case Opcode::vec_sub: case Opcode::vec_mul: case Opcode::vec_fma: case Opcode::vec_max:
    case Opcode::vec_min: case Opcode::vec_exp: case Opcode::vec_recip: case Opcode::vec_log:
    case Opcode::vec_cast:
    case Opcode::vec_requant: case Opcode::vec_select: case Opcode::vec_copy: case Opcode::vec_fill:
      break;
    default: return false;
  }
  const View& d = in.dst().view;
  for (int i = 1; i < in.noperands; ++i) {
    const Operand& o = in.operands[i];
    if (o.is_tensor() && (o.view.rows != d.rows || o.view.cols != d.cols)) return false;
  }
  return true;
}

VectorUnit::VectorUnit(const sc_core::sc_module_name& name, CoreState& state)
    : ComputeUnit(name, state, kVectorUnit, state.hw.core.handoff.matrix_to_vector) {}

InstructionCost VectorUnit::cost(const Instruction& in, const AccessSet& access) const {
  return vector_cost(m_state.program, in, access, m_state.hw.core);
}

LayoutPlan VectorUnit::plan_layout(const Instruction& in, const AccessSet& access) const {
  std::uint64_t matrix_bytes = 0, vector_bytes = 0;
  for (int i = 0; i < access.nreads; ++i) {
    matrix_bytes += m_state.layout.bytes_in(access.reads[i], Layout::matrix);
    vector_bytes += m_state.layout.bytes_in(access.reads[i], Layout::vector);
  }
  LayoutPlan plan;
  if (is_layout_agnostic(in) && vector_bytes == 0) {
    plan.result = matrix_bytes > 0 ? Layout::matrix : Layout::neutral;
    return plan;
  }
  plan.convert_bytes = matrix_bytes;
  plan.result = Layout::vector;
  return plan;
}

}  // namespace npusim::npu
