// fla_blocked: the flash-linear-attention `solve_tril` scheme, the publication's baseline.
//
// 1. The n = C/16 diagonal 16x16 blocks A_b are inverted by forward substitution in fp32 on the
//    vector unit, all blocks at once. Rows are interleaved across blocks, row k of block b at
//    row k*n + b of a [16n, 16] buffer, so that "rows 0..r of every block" is one contiguous
//    window. With NT = I - A_b^T (interleaved the same way) and T initialised to I, step r is
//      P = T[0:(r+1)n, :] * NT[0:(r+1)n, r]       (per-row coefficient broadcast across columns)
//      T2[r, :] = column sums of P2[0:r+1, :]      (P2, T2: the same bytes viewed as [16, 16n])
//    i.e. 15 dependent steps of two vector instructions for all blocks together.
// 2. The diagonal inverses move to the matrix unit's layout (one identity product each), and
//    the off-diagonal blocks are merged with 16x16 matmuls, by distance from the diagonal:
//      T_ij = T_ii * sum_{k=j}^{i-1} (-A_ik) T_kj      (n(n-1)/2 blocks; 16 matmuls at C = 64)
// Integer dtypes: the substitution still runs in fp32 (A is dequantised, T_b quantised back to
// the T scale), the merges are integer matmuls requantised to the T scale on write-back.
#include <fmt/format.h>

#include "kernels/inverse/kernels.hpp"
#include "kernels/inverse/scaffold.hpp"

namespace npusim::kernels {
using namespace npu;

namespace {

constexpr std::uint32_t kBlock = 16;

class FlaBlocked final : public InverseScaffold {
 public:
  FlaBlocked(const NpuConfig& hw, const InverseParams& p) : InverseScaffold(hw, p, "fla_blocked"), n(p.chunk / kBlock) {}

 private:
  struct Slot {
    BufferRef slab;          // [16, 16n] fp32: A_b side by side
    BufferRef nt, nt2;       // [16n, 16] fp32 interleaved I - A_b^T, and its [16, 16n] view
    BufferRef tt, tt2;       // the same for T_b
    BufferRef p, p2;         // products
    BufferRef tdiag;         // [16, 16n] in the kernel dtype: T_b side by side (vector layout)
    BufferRef tdm;           // the same in the matrix unit's layout (converted once per block)
    BufferRef na;            // -A in the kernel dtype
    std::vector<BufferRef> tmp;    // per off-diagonal block: the partial sum (dtype)
  };

  void declare_slot(std::size_t slot) override {
    if (slot == 0) {
      m_slots.clear();
      m_eye = b().buffer("eye_int", DType::fp32, kBlock * n, kBlock);
      m_eye2 = b().alias("eye_int2", DType::fp32, kBlock, kBlock * n, m_eye);
    }
    m_eye16 = constant("eye16", dt, kBlock, kBlock, TensorInit::band(0, 0));
    Slot s;
    s.slab = buffer("slab", DType::fp32, kBlock, kBlock * n);
    s.nt = buffer("nt", DType::fp32, kBlock * n, kBlock);
    s.nt2 = b().alias(name_of(s.nt) + "_2", DType::fp32, kBlock, kBlock * n, s.nt);
    s.tt = buffer("tt", DType::fp32, kBlock * n, kBlock);
    s.tt2 = b().alias(name_of(s.tt) + "_2", DType::fp32, kBlock, kBlock * n, s.tt);
    s.p = buffer("p", DType::fp32, kBlock * n, kBlock);
    s.p2 = b().alias(name_of(s.p) + "_2", DType::fp32, kBlock, kBlock * n, s.p);
    s.tdiag = buffer("tdiag", dt, kBlock, kBlock * n);
    s.tdm = buffer("tdm", dt, kBlock, kBlock * n);
    s.na = buffer("na", dt, C, C);
    for (std::uint32_t i = 1; i < n; ++i) {
      for (std::uint32_t j = 0; j < i; ++j) {
        s.tmp.push_back(buffer(fmt::format("tmp{}{}", i, j), dt, kBlock, kBlock));
      }
    }
    m_slots.push_back(std::move(s));
  }

  std::string name_of(const BufferRef& r) { return b().program().buffers[r.id()].name; }

  /// The interleaved identity (row k*n + b, column k), built once on chip.
  void prepare_core() override {
    for (std::uint32_t blk = 0; blk < n; ++blk) b().vec(Opcode::vec_identity, m_eye2.view(0, kBlock, kBlock * blk, kBlock));
  }

  void prepare(const std::vector<std::size_t>& slots) override {
    for (std::size_t s : slots) b().vec(Opcode::vec_fill, slot_output(s).all(), ProgramBuilder::imm(0));
  }

  Operand block(const BufferRef& m, std::uint32_t i, std::uint32_t j) const {
    return m.view(kBlock * i, kBlock, kBlock * j, kBlock);
  }
  Operand slab_block(const BufferRef& slab, std::uint32_t blk) const { return slab.view(0, kBlock, kBlock * blk, kBlock); }
  std::size_t pair_index(std::uint32_t i, std::uint32_t j) const { return std::size_t{i} * (i - 1) / 2 + j; }

  /// Phase 0: the diagonal blocks (vector unit); phase 1: the merges (matrix unit), so that one
  /// group's merges overlap the next group's substitution.
  std::uint32_t phases() const override { return 2; }

  void emit(const std::vector<ChunkSlot>& group, std::uint32_t phase) override {
    if (phase == 1) {
      merges(group);
      return;
    }
    const auto imm = ProgramBuilder::imm;
    const int sa = m_params.scales.a, st = m_params.scales.t;
    // Diagonal blocks side by side in fp32, transposed into the interleaved layout.
    for (const auto& c : group) {
      for (std::uint32_t blk = 0; blk < n; ++blk) b().vec(Opcode::vec_cast, slab_block(m_slots[c.slot].slab, blk), block(c.a, blk, blk));
    }
    if (is_int()) {
      for (const auto& c : group) b().vec(Opcode::vec_mul, m_slots[c.slot].slab.all(), m_slots[c.slot].slab.all(), imm(std::ldexp(1.0, -sa)));
    }
    for (const auto& c : group) {
      const Slot& s = m_slots[c.slot];
      for (std::uint32_t blk = 0; blk < n; ++blk) b().vec(Opcode::vec_transpose, slab_block(s.nt2, blk), slab_block(s.slab, blk));
    }
    for (const auto& c : group) b().vec(Opcode::vec_sub, m_slots[c.slot].nt.all(), m_eye.all(), m_slots[c.slot].nt.all());
    for (const auto& c : group) b().vec(Opcode::vec_copy, m_slots[c.slot].tt.all(), m_eye.all());
    for (std::uint32_t r = 1; r < kBlock; ++r) {
      for (const auto& c : group) {
        const Slot& s = m_slots[c.slot];
        b().vec(Opcode::vec_mul, s.p.rows(0, (r + 1) * n), s.tt.rows(0, (r + 1) * n), s.nt.view(0, (r + 1) * n, r, 1));
      }
      for (const auto& c : group) {
        const Slot& s = m_slots[c.slot];
        b().vec(Opcode::vec_reduce_sum, s.tt2.rows(r, 1), s.p2.rows(0, r + 1), {}, {}, axis0());
      }
    }
    // Diagonal inverses back to the kernel dtype, into place; -A for the merges.
    for (const auto& c : group) {
      const Slot& s = m_slots[c.slot];
      if (is_int()) b().vec(Opcode::vec_mul, s.tt2.all(), s.tt2.all(), imm(std::ldexp(1.0, st)));
      b().vec(Opcode::vec_cast, s.tdiag.all(), s.tt2.all());
    }
    for (const auto& c : group) b().vec(Opcode::vec_mul, m_slots[c.slot].na.all(), c.a.all(), imm(-1));
    for (const auto& c : group) {
      for (std::uint32_t blk = 0; blk < n; ++blk) b().vec(Opcode::vec_copy, block(c.t, blk, blk), slab_block(m_slots[c.slot].tdiag, blk));
    }
  }

  /// Merges, nearest the diagonal first: T_ij needs T_kj for j <= k < i. First the diagonal
  /// inverses move into the matrix unit's layout, once each (an identity product: one hand-off
  /// per block instead of one per merge that reads it).
  void merges(const std::vector<ChunkSlot>& group) {
    if (n > 1) {
      for (const auto& c : group) {
        const Slot& s = m_slots[c.slot];
        for (std::uint32_t blk = 0; blk < n; ++blk) b().matmul(slab_block(s.tdm, blk), m_eye16.all(), slab_block(s.tdiag, blk));
      }
    }
    for (std::uint32_t d = 1; d < n; ++d) {
      for (std::uint32_t i = d; i < n; ++i) {
        const std::uint32_t j = i - d;
        for (const auto& c : group) merge(c, i, j);
      }
    }
  }

  // Integer dtypes requantise on the matrix unit's write-back: partial sums to the T scale.
  void merge(const ChunkSlot& c, std::uint32_t i, std::uint32_t j) {
    const Slot& s = m_slots[c.slot];
    const Operand sum = s.tmp[pair_index(i, j)].all();
    auto t_block = [&](std::uint32_t k) { return k == j ? slab_block(s.tdm, j) : block(c.t, k, j); };
    const IntScales sc = shifts();
    for (std::uint32_t k = j; k < i; ++k) b().matmul(sum, block(s.na, i, k), t_block(k), k > j, false, false, sc.a);
    b().matmul(block(c.t, i, j), slab_block(s.tdm, i), sum, false, false, false, sc.t);
  }

  void describe(InverseProgram& out) const override {
    const std::uint32_t merges = [&] {
      std::uint32_t m = 0;
      for (std::uint32_t d = 1; d < n; ++d) m += (n - d) * (d + 1);
      return m;
    }();
    out.summary = fmt::format("fla_blocked C={} {}: {} diagonal 16x16 blocks by fp32 substitution (15 steps), {} "
                              "merge matmuls",
                              C, dtype_name(dt), n, merges);
  }

  const std::uint32_t n;
  std::vector<Slot> m_slots;
  BufferRef m_eye, m_eye2, m_eye16;
};

}  // namespace

InverseProgram build_fla_blocked(const NpuConfig& hw, const InverseParams& p) { return FlaBlocked(hw, p).build(); }

}  // namespace npusim::kernels
