#include "npu/isa/access.hpp"

namespace npusim::npu {

Region region_of(const Program& p, const Operand& o) {
  const std::uint64_t elem = dtype_bytes(p.dtype_of(o));
  Region r;
  r.space = o.space;
  r.address = p.address_of(o);
  r.rows = o.view.rows;
  r.row_bytes = static_cast<std::uint32_t>(o.view.cols * elem);
  r.stride_bytes = p.stride_of(o) * elem;
  return r;
}

AccessSet accesses(const Program& p, const Instruction& in) {
  AccessSet a;
  if (in.unit() == UnitKind::sequencer) return a;
  for (int i = 1; i < in.noperands; ++i) {
    if (p.operand(in, i).is_tensor()) a.reads[a.nreads++] = operand_region(p, in, i);
  }
  a.write = operand_region(p, in, 0);
  a.has_write = true;
  if ((in.op == Opcode::matmul && p.attrs(in).acc) || in.op == Opcode::vec_layout) a.reads[a.nreads++] = a.write;
  return a;
}

void place_operands(Program& p) {
  p.operand_regions.resize(p.operand_table.size());
  p.operand_extents.resize(p.operand_table.size());
  for (std::uint32_t i = 0; i < p.operand_table.size(); ++i) {
    const Operand& o = p.operand_table[i];
    p.operand_regions[i] = o.is_tensor() ? region_of(p, o) : Region{};
    p.operand_extents[i] = extent_of(p.operand_regions[i]);
  }
}

}  // namespace npusim::npu
