// doubling: the exact full-series product. With L = -A (nilpotent, L^C = 0):
//   (I + A)^-1 = sum_{n<C} L^n = (I + L)(I + L^2)(I + L^4) ... (I + L^(2^(k-1))),  2^k >= C
// P_0 = I + L, F_0 = L; F_j = F_{j-1}^2, P_j = P_{j-1} + P_{j-1} F_j: 2(k - 1) matmuls of C^3.
// Exact, but L^(2^j) grows like binomial coefficients: in fp16 it overflows on real inputs and
// the result turns non-finite (accuracy.nonfinite shows it).
#include <cmath>
#include <fmt/format.h>

#include "kernels/inverse/kernels.hpp"
#include "kernels/inverse/scaffold.hpp"
#include "npu/common/error.hpp"

namespace npusim::kernels {
using namespace npu;

namespace {

class Doubling final : public InverseScaffold {
 public:
  Doubling(const NpuConfig& hw, const InverseParams& p)
      : InverseScaffold(hw, p, "doubling"), k(static_cast<std::uint32_t>(std::ceil(std::log2(p.chunk)))) {}

 private:
  struct Slot {
    BufferRef l, f[2], p[2];
  };

  void declare_slot(std::size_t slot) override {
    if (slot == 0) m_slots.clear();
    m_eye = constant("eye", dt, C, C, TensorInit::band(0, 0));
    Slot s;
    s.l = buffer("l", dt, C, C);
    for (int i = 0; i < 2; ++i) {
      s.f[i] = buffer(fmt::format("f{}_", i), dt, C, C);
      s.p[i] = buffer(fmt::format("p{}_", i), dt, C, C);
    }
    m_slots.push_back(s);
  }

  void emit(const std::vector<ChunkSlot>& group, std::uint32_t) override {
    const auto imm = ProgramBuilder::imm;
    for (const auto& c : group) b().vec(Opcode::vec_mul, m_slots[c.slot].l.all(), c.a.all(), imm(-1));
    auto f = [&](const ChunkSlot& c, std::uint32_t j) { return j == 0 ? m_slots[c.slot].l.all() : m_slots[c.slot].f[j % 2].all(); };
    auto p = [&](const ChunkSlot& c, std::uint32_t j) { return j + 1 == k ? c.t.all() : m_slots[c.slot].p[j % 2].all(); };
    for (const auto& c : group) b().vec(Opcode::vec_add, p(c, 0), m_slots[c.slot].l.all(), m_eye.all());
    for (std::uint32_t j = 1; j < k; ++j) {
      for (const auto& c : group) b().matmul(f(c, j), f(c, j - 1), f(c, j - 1));  // F_j = F_{j-1}^2
      for (const auto& c : group) {
        b().vec(Opcode::vec_copy, p(c, j), p(c, j - 1));
        b().matmul(p(c, j), p(c, j - 1), f(c, j), true);  // P_j = P_{j-1} (I + F_j)
      }
    }
  }

  void describe(InverseProgram& out) const override {
    out.summary = fmt::format("doubling C={} {}: (I - A)(I + A^2)...(I + A^{}), {} matmuls", C, dtype_name(dt),
                              1u << (k - 1), 2 * (k - 1));
  }

  const std::uint32_t k;
  std::vector<Slot> m_slots;
  BufferRef m_eye;
};

class NewtonSchulz final : public InverseScaffold {
 public:
  NewtonSchulz(const NpuConfig& hw, const InverseParams& p)
      : InverseScaffold(hw, p, "newton_schulz"),
        iterations(p.steps.value_or(static_cast<std::uint32_t>(std::ceil(std::log2(p.chunk))) - 1)) {
    if (iterations > kMaxSteps) {
      throw InputError(fmt::format("newton_schulz: --steps {}: expected a number of iterations in [0, {}]",
                                   iterations, kMaxSteps));
    }
  }

 private:
  struct Slot {
    BufferRef l, nm, r, x[2];
  };

  void declare_slot(std::size_t slot) override {
    if (slot == 0) m_slots.clear();
    m_eye = constant("eye", dt, C, C, TensorInit::band(0, 0));
    Slot s;
    s.l = buffer("l", dt, C, C);
    s.nm = buffer("nm", dt, C, C);
    s.r = buffer("r", dt, C, C);
    for (int i = 0; i < 2; ++i) s.x[i] = buffer(fmt::format("x{}_", i), dt, C, C);
    m_slots.push_back(s);
  }

  void emit(const std::vector<ChunkSlot>& group, std::uint32_t) override {
    const auto imm = ProgramBuilder::imm;
    auto x = [&](const ChunkSlot& c, std::uint32_t m) { return m == iterations ? c.t.all() : m_slots[c.slot].x[m % 2].all(); };
    for (const auto& c : group) b().vec(Opcode::vec_mul, m_slots[c.slot].l.all(), c.a.all(), imm(-1));
    for (const auto& c : group) b().vec(Opcode::vec_sub, m_slots[c.slot].nm.all(), m_slots[c.slot].l.all(), m_eye.all());
    for (const auto& c : group) b().vec(Opcode::vec_add, x(c, 0), m_slots[c.slot].l.all(), m_eye.all());  // T_0 = I - A
    for (std::uint32_t m = 0; m < iterations; ++m) {
      for (const auto& c : group) {  // R_m = I - (I + A) T_m
        const Slot& s = m_slots[c.slot];
        b().vec(Opcode::vec_copy, s.r.all(), m_eye.all());
        b().matmul(s.r.all(), s.nm.all(), x(c, m), true);
      }
      for (const auto& c : group) {  // T_{m+1} = T_m + T_m R_m
        b().vec(Opcode::vec_copy, x(c, m + 1), x(c, m));
        b().matmul(x(c, m + 1), x(c, m), m_slots[c.slot].r.all(), true);
      }
    }
  }

  void describe(InverseProgram& out) const override {
    out.steps = iterations;
    const std::uint32_t exact = static_cast<std::uint32_t>(std::ceil(std::log2(C))) - 1;
    out.summary = fmt::format("newton_schulz C={} {}: {} iterations of 2 dependent matmuls ({})", C, dtype_name(dt),
                              iterations, iterations >= exact ? "exact" : fmt::format("exact after {}", exact));
  }

  const std::uint32_t iterations;
  std::vector<Slot> m_slots;
  BufferRef m_eye;
};

}  // namespace

InverseProgram build_doubling(const NpuConfig& hw, const InverseParams& p) { return Doubling(hw, p).build(); }
InverseProgram build_newton_schulz(const NpuConfig& hw, const InverseParams& p) { return NewtonSchulz(hw, p).build(); }

}  // namespace npusim::kernels
