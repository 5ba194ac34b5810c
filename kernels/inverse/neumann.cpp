// neumann: the publication's multiplication-only inverse (../shared/PAPER.md s.2.4). With L = -A:
//   a. T_N = sum_{n=0}^{N} L^n by Horner, H_1 = I + L, H_m = I + L H_{m-1}   (N - 1 matmuls)
//   b. T0 = band_N(T_N): entries 0 <= i - j <= N, where the truncated sum is exact
//   c. E = I - (I + A) T0 (one matmul), zero within N of the diagonal, and
//      T = T0 sum_{s<S} E^s, exact for i - j < S(N + 1): by doubling when S is a power of two,
//      R_0 = T0, R_{j+1} = R_j + R_j E^(2^j) (2 log2 S - 1 matmuls), or by Horner,
//      P = I + E (I + E (...)), T = T0 P (S - 1 matmuls)
// Identity terms enter as the accumulator's initial value (matmul ... acc), the mask as an
// element-wise select with a constant band mask, so everything stays in the matrix unit's
// layout: no hand-off. C = 128 is split into 64x64 blocks: both diagonal blocks are inverted
// this way, then T21 = T22 (-A21) T11.
//
// `--mask none` is the publication's ablation: the band mask is applied nowhere, so T0 = T_N
// and E = L^(N+1). In exact arithmetic nothing changes (the result is still the series up to
// order S(N + 1) - 1); in finite precision the entries of L^n outside the band grow like
// binomial coefficients, and overflow (floats) or saturation (integers, whose scales stay those
// calibrated for the masked method) shows in the results and the numerics counters.
//
// Integer dtypes (README.md, "Integer scaling"): operands are int16 or int8 with power-of-two
// scales per role (A, T, E, P); matmuls accumulate exactly in int32, starting from the old
// destination (the identity, or R_j) at the product's scale, and the matrix unit's output stage
// (matmul shift=) rounds to nearest even and saturates back to the role's scale. The band mask
// is applied to every step of the series, so it never holds the entries that would grow like
// binomial coefficients.
#include <cmath>
#include <fmt/format.h>

#include "kernels/inverse/kernels.hpp"
#include "kernels/inverse/scaffold.hpp"
#include "npu/common/error.hpp"

namespace npusim::kernels {
using namespace npu;

std::pair<std::uint32_t, std::uint32_t> neumann_defaults(std::uint32_t chunk) {
  switch (chunk) {
    case 16: return {3, 4};
    case 32: return {4, 3};
    default: return {3, 8};  // 64, and each 64x64 block of 128
  }
}

namespace {

bool power_of_two(std::uint32_t v) { return v && !(v & (v - 1)); }

class Neumann final : public InverseScaffold {
 public:
  Neumann(const NpuConfig& hw, const InverseParams& p)
      : InverseScaffold(hw, p, "neumann"), Cb(p.chunk == 128 ? 64 : p.chunk), blocks(p.chunk / Cb),
        m_band_mask(p.band_mask) {
    const auto [n, s] = neumann_defaults(p.chunk);
    N = p.order.value_or(n);
    S = p.steps.value_or(s);
    doubling = p.sum == SumMethod::doubling || (p.sum == SumMethod::automatic && power_of_two(S));
    if (N < 1 || N >= Cb) {
      throw InputError(fmt::format("neumann: --order {}: expected a series order in [1, {}] (below the block size {})",
                                   N, Cb - 1, Cb));
    }
    if (S < 1 || S > kMaxSteps) {
      throw InputError(fmt::format("neumann: --steps {}: expected a number of residual terms in [1, {}]", S, kMaxSteps));
    }
    if (doubling && !power_of_two(S)) {
      throw InputError(fmt::format("neumann: --sum doubling needs --steps to be a power of two, got {}", S));
    }
  }

 private:
  /// Work buffers of one diagonal block being inverted.
  struct Work {
    BufferRef l, nm, h[2], e, f[2], r[2];
  };
  struct Slot {
    std::vector<Work> work;  // one per diagonal block
    BufferRef l21, tmp;
  };
  /// One diagonal block in flight: its input, its output, its buffers.
  struct Item {
    Operand a, out;
    const Work* w;
  };

  void declare_slot(std::size_t slot) override {
    if (slot == 0) {
      m_slots.clear();
      // The identity at each role's scale; floats have one identity for all (the same name).
      const IntScales sc = shifts();
      auto eye = [&](const std::string& role, int scale) {
        return constant(is_int() ? "eye_" + role : "eye", dt, Cb, Cb, TensorInit::band(0, 0, std::ldexp(1.0, scale)));
      };
      m_eye_a = eye("a", sc.a);
      m_eye_t = eye("t", sc.t);
      m_eye_p = eye("p", sc.p);
      m_eye_e = eye("e", sc.e);
      if (m_band_mask) m_mask = constant("mask", dt, Cb, Cb, TensorInit::band(0, static_cast<std::int32_t>(N)));
    }
    Slot s;
    const std::uint32_t work_sets = m_compact ? 1 : blocks;  // compact: the blocks take turns
    for (std::uint32_t blk = 0; blk < work_sets; ++blk) {
      const std::string tag = work_sets > 1 ? std::to_string(blk) : "";
      auto buf = [&](const std::string& name, DType t) { return buffer(name + tag, t, Cb, Cb); };
      Work w;
      w.l = buf("l", dt);
      w.nm = buf("nm", dt);
      for (int i = 0; i < 2; ++i) {
        w.h[i] = buf(fmt::format("h{}_", i), dt);
        w.f[i] = buf(fmt::format("f{}_", i), dt);
        w.r[i] = buf(fmt::format("r{}_", i), dt);
      }
      w.e = buf("e", dt);
      s.work.push_back(w);
    }
    if (blocks > 1) {
      s.l21 = buffer("l21", dt, Cb, Cb);
      s.tmp = buffer("tmp21", dt, Cb, Cb);
    }
    m_slots.push_back(std::move(s));
  }

  void prepare(const std::vector<std::size_t>& slots) override {
    if (blocks == 1) return;
    for (std::size_t s : slots) {  // the upper-right block of T stays zero
      b().vec(Opcode::vec_fill, slot_output(s).view(0, Cb, Cb, Cb), ProgramBuilder::imm(0));
    }
  }

  Operand blk(const BufferRef& m, std::uint32_t i, std::uint32_t j) const { return m.view(Cb * i, Cb, Cb * j, Cb); }

  bool has_compact_variant() const override { return blocks > 1; }

  void emit(const std::vector<ChunkSlot>& group, std::uint32_t) override {
    std::vector<std::vector<Item>> rounds(m_compact ? blocks : 1);  // items inverted together
    for (const auto& c : group) {
      for (std::uint32_t d = 0; d < blocks; ++d) {
        const Work* w = &m_slots[c.slot].work[m_compact ? 0 : d];
        rounds[m_compact ? d : 0].push_back({blk(c.a, d, d), blk(c.t, d, d), w});
      }
    }
    for (const auto& items : rounds) invert(items);
    if (blocks == 1) return;
    // T21 = T22 (-A21) T11
    const auto imm = ProgramBuilder::imm;
    const IntScales sc = shifts();
    for (const auto& c : group) b().vec(Opcode::vec_mul, m_slots[c.slot].l21.all(), blk(c.a, 1, 0), imm(-1));
    for (const auto& c : group) {
      b().matmul(m_slots[c.slot].tmp.all(), m_slots[c.slot].l21.all(), blk(c.t, 0, 0), false, false, false, sc.a);
    }
    for (const auto& c : group) {
      b().matmul(blk(c.t, 1, 0), blk(c.t, 1, 1), m_slots[c.slot].tmp.all(), false, false, false, sc.t);
    }
  }

  /// Inverts a set of diagonal blocks together. Integer dtypes differ from floats in three
  /// places: H_1 and P_1 are requantised from A and E to their own scales, and the band mask is
  /// applied to every H_m rather than once to T_N.
  void invert(const std::vector<Item>& items) {
    const auto imm = ProgramBuilder::imm;
    const bool q = is_int();
    const IntScales sc = shifts();
    auto requant_to = [&](const Operand& dst, const Operand& src, int shift) {
      b().vec(Opcode::vec_requant, dst, src, {}, {}, requant(shift));
    };
    auto mask = [&](const Operand& m) {
      if (m_band_mask) b().vec(Opcode::vec_select, m, m_mask.all(), m, imm(0));
    };
    for (const auto& it : items) b().vec(Opcode::vec_mul, it.w->l.all(), it.a, imm(-1));
    for (const auto& it : items) b().vec(Opcode::vec_sub, it.w->nm.all(), it.w->l.all(), m_eye_a.all());  // -(I + A)
    for (const auto& it : items) {  // H_1 = I + L (integers: band-masked, at the T scale)
      const Operand h1 = it.w->h[1].all();
      if (q) requant_to(h1, it.w->l.all(), sc.a - sc.t);
      b().vec(Opcode::vec_add, h1, q ? h1 : it.w->l.all(), m_eye_t.all());
      if (q) mask(h1);
    }
    for (std::uint32_t m = 2; m <= N; ++m) {  // H_m = I + L H_{m-1} (integers: requantised on write-back)
      for (const auto& it : items) {
        const Operand hm = it.w->h[m % 2].all();
        b().vec(Opcode::vec_copy, hm, m_eye_t.all());
        b().matmul(hm, it.w->l.all(), it.w->h[(m - 1) % 2].all(), true, false, false, sc.a);
        if (q) mask(hm);
      }
    }
    // T0 = band_N(T_N), with a select so that overflowed entries outside the band vanish.
    const auto t0 = [&](const Item& it) { return it.w->h[N % 2].all(); };
    if (!q) {
      for (const auto& it : items) mask(t0(it));
    }
    for (const auto& it : items) {  // E = I - (I + A) T0 at the E scale
      b().vec(Opcode::vec_copy, it.w->e.all(), m_eye_e.all());
      b().matmul(it.w->e.all(), it.w->nm.all(), t0(it), true, false, false, sc.a + sc.t - sc.e);
    }
    if (doubling) {
      const std::uint32_t k = static_cast<std::uint32_t>(std::log2(S));
      if (k == 0) {
        for (const auto& it : items) b().vec(Opcode::vec_copy, it.out, t0(it));
      }
      auto f = [&](const Item& it, std::uint32_t jj) { return jj == 0 ? it.w->e.all() : it.w->f[jj % 2].all(); };
      auto r = [&](const Item& it, std::uint32_t jj) { return jj == 0 ? t0(it) : it.w->r[jj % 2].all(); };
      for (std::uint32_t j = 0; j < k; ++j) {
        for (const auto& it : items) {
          const Operand dest = j + 1 == k ? it.out : r(it, j + 1);
          b().vec(Opcode::vec_copy, dest, r(it, j));
          b().matmul(dest, r(it, j), f(it, j), true, false, false, sc.e);  // R_{j+1} = R_j + R_j E^(2^j)
          if (j + 1 < k) b().matmul(f(it, j + 1), f(it, j), f(it, j), false, false, false, sc.e);
        }
      }
      return;
    }
    // Horner: P_1 = I + E, P_{s+1} = I + E P_s, T = T0 P.
    if (S == 1) {
      for (const auto& it : items) b().vec(Opcode::vec_copy, it.out, t0(it));
      return;
    }
    for (const auto& it : items) {  // P_1 = I + E at the P scale
      const Operand p1 = it.w->r[1].all();
      if (q) requant_to(p1, it.w->e.all(), sc.e - sc.p);
      b().vec(Opcode::vec_add, p1, q ? p1 : it.w->e.all(), m_eye_p.all());
    }
    for (std::uint32_t s = 2; s < S; ++s) {
      for (const auto& it : items) {
        const Operand p = it.w->r[s % 2].all();
        b().vec(Opcode::vec_copy, p, m_eye_p.all());
        b().matmul(p, it.w->e.all(), it.w->r[(s - 1) % 2].all(), true, false, false, sc.e);
      }
    }
    for (const auto& it : items) b().matmul(it.out, t0(it), it.w->r[(S - 1) % 2].all(), false, false, false, sc.p);
  }

  void describe(InverseProgram& out) const override {
    out.order = N;
    out.steps = S;
    out.sum = doubling ? "doubling" : "horner";
    out.mask = m_band_mask ? "band" : "none";
    const std::string exact = S * (N + 1) >= Cb ? "exact" : fmt::format("exact for i - j < {}", S * (N + 1));
    out.summary = fmt::format("neumann C={} {}: N={} S={} ({}, {}){}{}", C, dtype_name(dt), N, S, out.sum, exact,
                              m_band_mask ? "" : ", no band mask",
                              blocks > 1 ? (m_compact ? ", 64x64 blocks in turn" : ", 64x64 blocks") : "");
  }

  const std::uint32_t Cb, blocks;
  std::uint32_t N = 3, S = 8;
  bool doubling = true;
  const bool m_band_mask = true;
  std::vector<Slot> m_slots;
  BufferRef m_eye_a, m_eye_t, m_eye_p, m_eye_e, m_mask;
};

}  // namespace

InverseProgram build_neumann(const NpuConfig& hw, const InverseParams& p) { return Neumann(hw, p).build(); }

}  // namespace npusim::kernels
