#include "kernels/gdn/ops.hpp"

#include <cmath>

#include "npu/common/error.hpp"

namespace npusim::kernels {
using namespace npu;

void GdnOps::sigmoid(const Operand& dst, const Operand& x) {
  vec(Opcode::vec_mul, dst, x, imm(-1));
  vec(Opcode::vec_exp, dst, dst);
  vec(Opcode::vec_add, dst, dst, imm(1));
  vec(Opcode::vec_recip, dst, dst);
}

void GdnOps::silu(const Operand& dst, const Operand& x, const Operand& tmp) {
  sigmoid(tmp, x);
  vec(Opcode::vec_mul, dst, x, tmp);
}

void GdnOps::softplus(const Operand& dst, const Operand& x, const Operand& t1, const Operand& t2) {
  vec(Opcode::vec_mul, t1, x, imm(-1));
  vec(Opcode::vec_min, t1, x, t1);  // -|x|
  vec(Opcode::vec_exp, t1, t1);
  vec(Opcode::vec_add, t1, t1, imm(1));
  vec(Opcode::vec_log, t1, t1);
  vec(Opcode::vec_max, t2, x, imm(0));
  vec(Opcode::vec_add, dst, t1, t2);
}

void GdnOps::rsqrt(const Operand& dst, const Operand& x) {
  vec(Opcode::vec_log, dst, x);
  vec(Opcode::vec_mul, dst, dst, imm(-0.5));
  vec(Opcode::vec_exp, dst, dst);
}

void GdnOps::from_dt(const Operand& dst, const Operand& src, int scale) {
  vec(m_dt == DType::fp32 ? Opcode::vec_copy : Opcode::vec_cast, dst, src);
  if (is_int()) vec(Opcode::vec_mul, dst, dst, imm(std::ldexp(1.0, -scale)));
}

void GdnOps::to_dt(const Operand& dst, const Operand& src, int scale, const Operand& tmp) {
  if (is_int()) {
    const Operand& scaled = tmp.is_tensor() ? tmp : src;
    vec(Opcode::vec_mul, scaled, src, imm(std::ldexp(1.0, scale)));
    vec(Opcode::vec_cast, dst, scaled);
    return;
  }
  vec(m_dt == DType::fp32 ? Opcode::vec_copy : Opcode::vec_cast, dst, src);
}

void GdnOps::mm_f32(const Operand& dst, const Operand& a, const Operand& b, int ab_scale, bool acc, bool ta, bool tb,
                    const Operand& tmp, const Operand& tmpf) {
  if (!is_int()) {
    m_b.matmul(dst, a, b, acc, ta, tb);
    return;
  }
  NPUSIM_ASSERT(tmp.is_tensor() && tmpf.is_tensor(), "integer matmul to fp32 needs an int32 temporary");
  m_b.matmul(tmp, a, b, false, ta, tb);
  vec(Opcode::vec_cast, tmpf, tmp);
  const Operand s = imm(std::ldexp(1.0, -ab_scale));
  if (acc) {
    vec(Opcode::vec_fma, dst, tmpf, s, dst);
  } else {
    vec(Opcode::vec_mul, dst, tmpf, s);
  }
}

void GdnOps::mm_dt(const Operand& dst, const Operand& a, const Operand& b, int ab_scale, int dst_scale, bool ta,
                   bool tb) {
  const int shift = is_int() ? ab_scale - dst_scale : 0;
  NPUSIM_ASSERT(shift >= 0 && shift <= 31, "integer matmul write-back shift out of range");
  m_b.matmul(dst, a, b, false, ta, tb, shift);
}

}  // namespace npusim::kernels
