#include "npu/vector/vector_timing.hpp"

#include <algorithm>

#include "npu/isa/access.hpp"
#include "npu/scratchpad/bank_model.hpp"

namespace npusim::npu {

InstructionCost vector_cost(const Program& p, const Instruction& in, const AccessSet& acc, const CoreConfig& cfg) {
  const VectorConfig& vc = cfg.vector;
  const Operand& dst = p.dst(in);
  const Operand& src = p.operand(in, 1);
  const bool from_source = in.op == Opcode::vec_reduce_sum || in.op == Opcode::vec_reduce_max ||
                           in.op == Opcode::vec_transpose;
  const View& shape = from_source ? src.view : dst.view;

  DType compute = p.dtype_of(dst);
  if (from_source) compute = p.dtype_of(src);
  if (in.op == Opcode::vec_cast || in.op == Opcode::vec_requant) {
    const DType src_t = p.dtype_of(src);
    if (dtype_bytes(src_t) > dtype_bytes(compute)) compute = src_t;
  }
  const std::uint32_t lanes = vc.lanes(compute);

  bool dense = p.contiguous(dst);
  for (int i = 1; i < in.noperands; ++i) {
    const Operand& o = p.operand(in, i);
    const bool full = o.is_tensor() && o.view.rows == shape.rows && o.view.cols == shape.cols;
    if (full) dense = dense && p.contiguous(o);
  }

  InstructionCost c;
  c.elements = shape.elements();
  c.vectors = dense ? ceil_div(c.elements, lanes) : std::uint64_t{shape.rows} * ceil_div(shape.cols, lanes);
  c.lane_slots = c.vectors * lanes;
  std::uint64_t splats = 0;
  if (!from_source) {
    for (int i = 1; i < in.noperands; ++i) {
      const Operand& o = p.operand(in, i);
      if (!o.is_tensor()) continue;
      const bool col = o.view.cols == 1 && shape.cols > 1, row = o.view.rows == 1 && shape.rows > 1;
      if (col && row) {
        splats += 1;  // a single element
      } else if (col) {
        splats += std::min<std::uint64_t>(c.vectors, shape.rows);
      } else if (row && o.view.cols < lanes) {
        splats += 1;
      }
    }
  }
  const VectorOpTiming& t = vc.op(in.info().vclass);
  c.compute_cycles = c.vectors * t.interval_cycles + splats * vc.op(VectorOpClass::broadcast).interval_cycles;

  charge_ports(c, vc.startup_cycles, acc, vc.port_bytes_per_cycle, cfg.scratchpad);
  c.latency = t.latency_cycles;
  if (in.op == Opcode::vec_layout) c.latency += cfg.handoff.sync_cycles;  // the hand-shake with the consumer
  return c;
}

}  // namespace npusim::npu
