#pragma once
/// Compositions the GDN stages need and the ISA has no single instruction for, each emitted as
/// the vector instructions a kernel would run (so each costs what those instructions cost):
///   sigmoid(x) = 1 / (1 + e^-x)                        4 instructions
///   SiLU(x)    = x sigmoid(x)                          5
///   softplus(x) = max(x, 0) + ln(1 + e^-|x|)           7 (the overflow-free form)
///   rsqrt(x)   = e^(-ln(x) / 2)                        3
/// and the conversions between the fp32 the vector work is done in and the layer's dtype: a
/// cast for floats; for integer dtypes a power-of-two scale and a rounding cast (the ISA has no
/// widening fixed-point multiply, so integer element-wise work goes through fp32).
#include "npu/isa/builder.hpp"

namespace npusim::kernels {

class GdnOps {
 public:
  GdnOps(npu::ProgramBuilder& b, npu::DType dt) : m_b(b), m_dt(dt) {}

  npu::DType dt() const { return m_dt; }
  bool is_int() const { return npu::is_int(m_dt); }
  void vec(npu::Opcode op, const npu::Operand& dst, const npu::Operand& a = {}, const npu::Operand& b = {},
           const npu::Operand& c = {}, const npu::Attrs& attrs = {}) {
    m_b.vec(op, dst, a, b, c, attrs);
  }
  static npu::Operand imm(double v) { return npu::ProgramBuilder::imm(v); }

  /// dst = sigmoid(x), fp32; dst may be x.
  void sigmoid(const npu::Operand& dst, const npu::Operand& x);
  /// dst = x sigmoid(x), fp32; `tmp` has x's shape; dst may be x.
  void silu(const npu::Operand& dst, const npu::Operand& x, const npu::Operand& tmp);
  /// dst = softplus(x), fp32; t1 and t2 have x's shape; dst may be x.
  void softplus(const npu::Operand& dst, const npu::Operand& x, const npu::Operand& t1, const npu::Operand& t2);
  /// dst = 1 / sqrt(x), fp32; dst may be x.
  void rsqrt(const npu::Operand& dst, const npu::Operand& x);

  /// fp32 dst = the layer-dtype src stored at scale `scale` (a cast; integers: cast and scale).
  void from_dt(const npu::Operand& dst, const npu::Operand& src, int scale);
  /// layer-dtype dst = fp32 src at scale `scale`. Integers scale `src` in place first (it is
  /// clobbered) unless `tmp` (fp32, src's shape) is given.
  void to_dt(const npu::Operand& dst, const npu::Operand& src, int scale, const npu::Operand& tmp = {});

  /// fp32 dst (+)= a x b, operands in the layer dtype at scales summing to `ab_scale`. Integer
  /// dtypes multiply into `tmp` (int32, dst's shape; `tmpf` is its fp32 alias) and scale in.
  void mm_f32(const npu::Operand& dst, const npu::Operand& a, const npu::Operand& b, int ab_scale, bool acc,
              bool ta = false, bool tb = false, const npu::Operand& tmp = {}, const npu::Operand& tmpf = {});
  /// Layer-dtype dst = a x b rounded to the dtype (integers: to scale `dst_scale`, by the matrix
  /// unit's write-back shift).
  void mm_dt(const npu::Operand& dst, const npu::Operand& a, const npu::Operand& b, int ab_scale, int dst_scale,
             bool ta = false, bool tb = false);

 private:
  npu::ProgramBuilder& m_b;
  npu::DType m_dt;
};

}  // namespace npusim::kernels
