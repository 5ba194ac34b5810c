#include "npu/matrix/matrix_timing.hpp"

#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "npu/isa/access.hpp"
#include "npu/scratchpad/bank_model.hpp"

namespace npusim::npu {
namespace {

[[noreturn]] void too_long(const MatmulShape& s) {
  throw InputError(fmt::format("a {}x{}x{} matmul takes more than the {} cycles npusim can represent", s.m, s.k, s.n,
                               grouped(kMaxCycles)));
}

/// a * b, or an InputError when the product leaves the cycles npusim represents.
std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const MatmulShape& s) {
  std::uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r) || r > kMaxCycles) too_long(s);
  return r;
}

Cycle cube_cycles(const CubeConfig& c, const Rate& rate, const MatmulShape& s) {
  const std::uint64_t tiles =
      checked_mul(checked_mul(ceil_div(s.m, c.m), ceil_div(s.k, c.k), s), ceil_div(s.n, c.n), s);
  return ceil_div(checked_mul(tiles, rate.den, s), rate.num);
}

Cycle systolic_cycles(const SystolicConfig& a, const Rate& rate, const MatmulShape& s) {
  std::uint64_t sr = 0, sc = 0, t = 0;
  switch (a.dataflow) {
    case Dataflow::os: sr = s.m; sc = s.n; t = s.k; break;
    case Dataflow::ws: sr = s.k; sc = s.n; t = s.m; break;
    case Dataflow::is: sr = s.k; sc = s.m; t = s.n; break;
  }
  t = ceil_div(checked_mul(t, rate.den, s), rate.num);
  // Every fold occupies the whole array, whatever part of it the fold uses (SCALE-Sim pads a
  // partial fold with null requests to the array's edges).
  const std::uint64_t fill = a.dataflow == Dataflow::os ? a.rows : 2 * std::uint64_t{a.rows};
  const std::uint64_t per_fold = fill + a.cols + t - 2;  // t <= kMaxCycles: no wrap
  const std::uint64_t folds = ceil_div(sr, a.rows) * ceil_div(sc, a.cols);  // dimensions < 2^32 each
  return checked_mul(ceil_div(folds, a.arrays), per_fold, s);  // folds dealt round-robin; the busiest array decides
}

}  // namespace

Cycle matmul_compute_cycles(const MatrixConfig& cfg, const MatmulShape& s) {
  const auto& rate = cfg.rate(s.dtype);
  NPUSIM_ASSERT(rate.has_value(), "matmul dtype was checked against the config");
  return cfg.model == MatrixModel::cube ? cube_cycles(cfg.cube, *rate, s) : systolic_cycles(cfg.systolic, *rate, s);
}

MatmulShape matmul_shape(const Program& p, const Instruction& in) {
  const View& a = p.operand(in, 1).view;
  const View& b = p.operand(in, 2).view;
  const Attrs& at = p.attrs(in);
  MatmulShape s;
  s.m = at.ta ? a.cols : a.rows;
  s.k = at.ta ? a.rows : a.cols;
  s.n = at.tb ? b.rows : b.cols;
  s.dtype = p.dtype_of(p.operand(in, 1));
  return s;
}

InstructionCost matrix_cost(const Program& p, const Instruction& in, const AccessSet& acc, const CoreConfig& cfg) {
  const MatrixConfig& mx = cfg.matrix;
  const MatmulShape s = matmul_shape(p, in);
  InstructionCost c;
  c.compute_cycles = matmul_compute_cycles(mx, s);
  charge_ports(c, mx.startup_cycles, acc, mx.port_bytes_per_cycle, cfg.scratchpad);
  c.latency = mx.pipeline_latency_cycles;
  c.macs = std::uint64_t{s.m} * s.k * s.n;
  c.peak_mac_cycles = double(c.macs) / peak_macs_per_cycle(mx, s.dtype);
  return c;
}

}  // namespace npusim::npu
