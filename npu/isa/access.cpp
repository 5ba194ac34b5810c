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
    const Operand& o = p.operand(in, i);
    if (o.is_tensor()) a.reads[a.nreads++] = region_of(p, o);
  }
  a.write = region_of(p, p.dst(in));
  a.has_write = true;
  if ((in.op == Opcode::matmul && p.attrs(in).acc) || in.op == Opcode::vec_layout) a.reads[a.nreads++] = a.write;
  return a;
}

}  // namespace npusim::npu
