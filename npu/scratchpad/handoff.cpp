#include "npu/scratchpad/handoff.hpp"

#include <algorithm>

namespace npusim::npu {

bool is_layout_agnostic(const Program& p, const Instruction& in) {
  switch (in.op) {
    case Opcode::vec_add: case Opcode::vec_sub: case Opcode::vec_mul: case Opcode::vec_fma: case Opcode::vec_max:
    case Opcode::vec_min: case Opcode::vec_exp: case Opcode::vec_recip: case Opcode::vec_log: case Opcode::vec_cast:
    case Opcode::vec_requant: case Opcode::vec_select: case Opcode::vec_copy: case Opcode::vec_fill:
      break;
    default: return false;
  }
  const View& d = p.dst(in).view;
  for (int i = 1; i < in.noperands; ++i) {
    const Operand& o = p.operand(in, i);
    if (o.is_tensor() && (o.view.rows != d.rows || o.view.cols != d.cols)) return false;
  }
  return true;
}

LayoutPlan plan_layout(const Program& p, const Instruction& in, const AccessSet& access, const LayoutMap& layouts) {
  return plan_layout(p, in, access, layouts, is_layout_agnostic(p, in));
}

namespace {

/// The layout a matrix or vector instruction writes when it converts nothing (plan_reads_access()
/// is false; `agnostic`: is_layout_agnostic(p, in)).
Layout result_without_conversion(const Program& p, const Instruction& in, bool agnostic) {
  if (in.op == Opcode::vec_layout) return p.attrs(in).to_matrix ? Layout::matrix : Layout::vector;
  if (in.unit() == UnitKind::matrix) return Layout::matrix;
  return agnostic ? Layout::neutral : Layout::vector;
}

}  // namespace

LayoutPlan plan_layout(const Program& p, const Instruction& in, const AccessSet& access, const LayoutMap& layouts,
                       bool agnostic) {
  LayoutPlan plan;
  if (!plan_reads_access(in, layouts)) {
    plan.result = result_without_conversion(p, in, agnostic);
    return plan;
  }
  if (in.unit() == UnitKind::matrix) {
    for (int i = 0; i < access.nreads; ++i) plan.convert_bytes += layouts.bytes_in(access.reads[i], Layout::vector);
    plan.result = Layout::matrix;
    return plan;
  }
  std::uint64_t matrix_bytes = 0, vector_bytes = 0;
  for (int i = 0; i < access.nreads; ++i) {
    const auto n = layouts.bytes_by_layout(access.reads[i]);
    matrix_bytes += n[static_cast<std::size_t>(Layout::matrix)];
    vector_bytes += n[static_cast<std::size_t>(Layout::vector)];
  }
  if (agnostic && vector_bytes == 0) {
    plan.result = matrix_bytes > 0 ? Layout::matrix : Layout::neutral;
    return plan;
  }
  plan.convert_bytes = matrix_bytes;
  plan.result = Layout::vector;
  return plan;
}

namespace {

/// The source operands of `in` (operand indices) that hold bytes the plan converts.
std::vector<int> operands_to_convert(const Program& p, const Instruction& in, const LayoutMap& layouts) {
  const Layout foreign = in.unit() == UnitKind::matrix ? Layout::vector : Layout::matrix;
  std::vector<int> out;
  for (int i = 1; i < in.noperands; ++i) {
    const Operand& o = p.operand(in, i);
    if (o.is_tensor() && o.space == Space::scratchpad && layouts.bytes_in(operand_region(p, in, i), foreign) > 0) {
      out.push_back(i);
    }
  }
  // An accumulating matmul also reads its destination.
  if (in.op == Opcode::matmul && p.attrs(in).acc && layouts.bytes_in(operand_region(p, in, 0), foreign) > 0) {
    out.push_back(0);
  }
  return out;
}

/// A stream can need a conversion only if it has something that writes or reads the matrix
/// layout (a matmul, or a vec.layout to=matrix read by vector code) and vector instructions:
/// matrix bytes come only from those, vector bytes only from vector code. Scanning the opcodes
/// (the rarer kind first) spares the walk and its layout map to the streams that cannot.
bool may_need_conversions(const Stream& s) {
  const auto matrix_side = [](const Instruction& in) { return in.op == Opcode::matmul || in.op == Opcode::vec_layout; };
  const auto vector_unit = [](const Instruction& in) { return in.unit() == UnitKind::vector; };
  return std::any_of(s.code.begin(), s.code.end(), matrix_side) &&
         std::any_of(s.code.begin(), s.code.end(), vector_unit);
}

}  // namespace

std::uint64_t lower_handoffs(Program& p, const NpuConfig& hw) {
  if (hw.core.handoff.via != HandoffVia::vector) return 0;
  std::uint64_t inserted = 0;
  for (Stream& s : p.streams) {
    if (!may_need_conversions(s)) continue;
    LayoutMap layouts;
    // The stream with its conversions, made only once the first one is needed: a stream that
    // needs none is left as it is, never copied (streams run to millions of instructions).
    decltype(s.code) code;
    bool lowered = false;
    for (std::size_t at = 0; at < s.code.size(); ++at) {
      const Instruction& in = s.code[at];
      const UnitKind unit = in.unit();
      if (unit == UnitKind::dma) {
        if (in.op == Opcode::dma_load) layouts.assign(operand_region(p, in, 0), Layout::neutral);
      } else if (unit != UnitKind::sequencer && !plan_reads_access(in, layouts)) {
        // Nothing to convert, so no access needed (a neutral result changes nothing here).
        const Layout result = result_without_conversion(p, in, is_layout_agnostic(p, in));
        if (result != Layout::neutral) layouts.assign(operand_region(p, in, 0), result);
      } else if (unit != UnitKind::sequencer) {
        const AccessSet access = accesses(p, in);
        const bool agnostic = is_layout_agnostic(p, in);
        LayoutPlan plan = plan_layout(p, in, access, layouts, agnostic);
        if (plan.convert_bytes > 0) {
          if (!lowered) {
            code.reserve(s.code.size());
            code.assign(s.code.begin(), s.code.begin() + static_cast<std::ptrdiff_t>(at));
            lowered = true;
          }
          Attrs into;
          into.to_matrix = unit == UnitKind::matrix;
          for (int i : operands_to_convert(p, in, layouts)) {
            Instruction convert = p.make_instruction(Opcode::vec_layout, {&p.operand(in, i)}, into);
            convert.line = in.line;
            layouts.assign(operand_region(p, convert, 0), plan_layout(p, convert, {}, layouts).result);
            code.push_back(convert);
            ++inserted;
          }
          plan = plan_layout(p, in, access, layouts, agnostic);  // with the sources converted
        }
        layouts.assign(access.write, plan.result);  // unchanged layouts: the plan stands
      }
      if (lowered) code.push_back(in);
    }
    if (lowered) {
      s.code = std::move(code);
      release_unused_capacity(s.code);  // the conversions made it grow past the copy's reservation
    }
  }
  return inserted;
}

}  // namespace npusim::npu
