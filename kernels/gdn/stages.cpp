// The GDN layer's stages on the ISA (the math is in layer.hpp). Every stage is a program that
// loads its inputs from DRAM, computes and stores its outputs; vector work is done in fp32 (as
// flash-linear-attention's kernels and the reference PyTorch code upcast), matmul operands are
// in the layer dtype. How each stage maps:
//
// in_proj, out_proj  tiled GEMMs, weights streamed (projection.cpp).
// conv      per block of rows and channels: the block with its K - 1 rows of history, K
//           fused multiply-adds with the weight rows broadcast, SiLU (5 instructions).
// l2norm    per block of rows, q and k apart: squares, a row sum per head (the buffer viewed as
//           [rows x heads, dk]), rsqrt (3), one broadcast multiply.
// gates     per block of rows: beta = sigmoid(b) (4), g = -exp(A_log) softplus(a + dt_bias)
//           (softplus: 7); -exp(A_log) is a per-head parameter row.
// cumsum    per block of chunks, laid side by side as [C, chunks x heads]: a Hillis-Steele scan
//           down the rows, log2 C steps of an add of the rows s apart and a copy of the first s.
// kkt       per chunk and value head: S = K K^T (matmul), D = G_i - G_j (one subtract of a
//           broadcast column and a broadcast row), min(D, 0), exp, D S, times beta_i, strict
//           lower band: A. The heads of a chunk are computed together, interleaved.
// inverse   the inverse kernel by name, on the batch of value heads x chunks (kernels/inverse).
// wu        per chunk and value head: K beta e^G and V beta, then two matmuls by T. The per-row
//           factors of all heads of a unit are expanded to full width by one matmul with a
//           constant 0/1 block matrix, so that the scaling is element-wise on matrix-layout
//           data and the matmuls read no vector-layout data: one hand-off per unit, not two
//           per head. W is stored negated (-W), so that the state stage's V' is one matmul
//           accumulating onto U.
// state     per value head, chunk after chunk (the dependence stays): H (fp32, dk x dv) lives in
//           the scratchpad; per chunk h_c = H in the dtype (stored, for the output stage),
//           V' = U + (-W) h_c (matmul accumulating on U), H = e^{G_last} H + (K e^{G_last-G})^T V'
//           (element-wise decay by an expanded row, then a transposed matmul accumulating on H).
//           The heads of a block run chunk by chunk side by side; head blocks go to the cores.
// output    per chunk and value head: O = (Q scale e^G) h_c + tril(Q K^T exp(G_i - G_j)) scale V'
//           (three matmuls; the decay matrix is built as in kkt).
// norm      per block of rows: RMSNorm per head (as l2norm, with the mean and eps), times the
//           norm weight row, times SiLU(z).
// Integer dtypes: every value stored in the layer dtype carries a power-of-two scale per tensor
// (LayerScales); conversions to and from fp32 are a cast and a multiply by 2^-s / 2^s, emitted
// whatever the scales are so that timing does not depend on them.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>

#include "kernels/gdn/layer.hpp"
#include "kernels/gdn/ops.hpp"
#include "kernels/gdn/projection.hpp"
#include "kernels/gdn/scaffold.hpp"
#include "npu/common/error.hpp"

namespace npusim::kernels {
using namespace npu;

std::string stage_name(Stage s) {
  static const char* names[kStageCount] = {"in_proj", "conv",   "l2norm", "gates", "cumsum", "kkt",
                                           "inverse", "wu",     "state",  "output", "norm",  "out_proj"};
  return names[static_cast<int>(s)];
}

std::vector<Stage> layer_stages(bool core_only) {
  std::vector<Stage> all;
  for (int i = 0; i < kStageCount; ++i) {
    const Stage s = static_cast<Stage>(i);
    if (!core_only || (s >= Stage::cumsum && s <= Stage::output)) all.push_back(s);
  }
  return all;
}

std::string weight_format_name(WeightFormat w) {
  switch (w) {
    case WeightFormat::fp16: return "fp16";
    case WeightFormat::bf16: return "bf16";
    case WeightFormat::int8: return "int8";
    case WeightFormat::int4: return "int4";
  }
  return "";
}

std::optional<WeightFormat> parse_weight_format(const std::string& name) {
  for (WeightFormat w : {WeightFormat::fp16, WeightFormat::bf16, WeightFormat::int8, WeightFormat::int4}) {
    if (weight_format_name(w) == name) return w;
  }
  return std::nullopt;
}

DType weight_storage_dtype(WeightFormat w) {
  return w == WeightFormat::fp16 ? DType::fp16 : w == WeightFormat::bf16 ? DType::bf16 : DType::int8;
}

WeightFormat default_weights(DType dtype) {
  if (dtype == DType::bf16) return WeightFormat::bf16;
  return is_int(dtype) ? WeightFormat::int8 : WeightFormat::fp16;
}

LayerShape::LayerShape(const LayerParams& p)
    : seq(p.seq),
      tokens((p.seq + p.chunk - 1) / p.chunk * p.chunk),
      chunk(p.chunk),
      chunks(tokens / p.chunk),
      hidden(p.model.hidden_size),
      hk(p.model.key_heads),
      hv(p.model.value_heads),
      dk(p.model.key_head_dim),
      dv(p.model.value_head_dim),
      group(p.model.group()),
      conv_kernel(p.model.conv_kernel) {}

int LayerScales::of(const std::string& name) const {
  const auto it = scale.find(name);
  return it == scale.end() ? 8 : it->second;
}

namespace {

constexpr DType f32 = DType::fp32;
const auto imm = ProgramBuilder::imm;

Attrs band_attrs(std::int32_t lo, std::int32_t hi) {
  Attrs a;
  a.lo = lo;
  a.hi = hi;
  return a;
}

Attrs row_sums() {
  Attrs a;
  a.axis = 1;
  return a;
}

/// What the stages share: shapes, scales, the tensors of the stage program.
class LayerStage : public StageScaffold {
 public:
  LayerStage(const NpuConfig& hw, const LayerParams& p, const LayerScales& sc, Stage stage, std::uint32_t max_lanes)
      : StageScaffold(hw, stage_name(stage), max_lanes), m_p(p), sh(p), m_sc(sc), dt(p.dtype), C(p.chunk) {}

  std::vector<std::string> inputs, outputs;

 protected:
  /// A DRAM tensor of the stage: an input the runner fills, or an output.
  TensorRef tensor(const std::string& name, DType t, std::vector<std::uint32_t> shape, bool output) {
    (output ? outputs : inputs).push_back(name);
    return b().dram(name, t, std::move(shape), {}, output);
  }
  /// A parameter row loaded once per core.
  BufferRef parameter(const std::string& name, std::uint32_t cols) {
    inputs.push_back(name);
    return constant(name, f32, 1, cols, {});
  }
  int s(const std::string& name) const { return m_sc.of(name); }
  GdnOps ops() { return GdnOps(b(), dt); }
  /// dst = a * b element-wise, both in the layer dtype at their scales, dst at `ds`. Floats: one
  /// multiply; integers go through fp32 (fa, fb: fp32 temporaries of the shape).
  void product(const Operand& dst, const Operand& a, int as, const Operand& bb, int bs, int ds, const Operand& fa,
               const Operand& fb) {
    GdnOps o = ops();
    if (!o.is_int()) {
      o.vec(Opcode::vec_mul, dst, a, bb);
      return;
    }
    o.from_dt(fa, a, as);
    o.from_dt(fb, bb, bs);
    o.vec(Opcode::vec_mul, fa, fa, fb);
    o.to_dt(dst, fa, ds);
  }
  /// d = exp(min(G_i - G_j, 0)) s for the chunk's C x C pairs, from G as a column and as a row:
  /// the decay between tokens (the min keeps the unused upper triangle from overflowing, as
  /// flash-linear-attention's safe exp does), times the matrix s.
  void decay_times(const Operand& d, const Operand& s, const Operand& gcol, const Operand& grow) {
    b().vec(Opcode::vec_sub, d, gcol, grow);
    b().vec(Opcode::vec_min, d, d, imm(0));
    b().vec(Opcode::vec_exp, d, d);
    b().vec(Opcode::vec_mul, d, d, s);
  }
  /// Block matrix [lanes, lanes x d] with ones where column / d equals the row: x rep expands
  /// a [rows, lanes] matrix of per-row factors into [rows, lanes x d].
  void fill_rep(const BufferRef& rep, std::uint32_t lanes, std::uint32_t d) {
    b().vec(Opcode::vec_fill, rep.all(), imm(0));
    for (std::uint32_t l = 0; l < lanes; ++l) b().vec(Opcode::vec_fill, rep.view(l, 1, l * d, d), imm(1));
  }

  const LayerParams& m_p;
  const LayerShape sh;
  const LayerScales& m_sc;
  const DType dt;
  const std::uint32_t C;
};

/// Units are the value heads of one chunk in blocks of `lanes`. With value blocks (vblock < dv,
/// as flash-linear-attention tiles V in BV-wide blocks when the state does not fit), an item is
/// one head's block of dv columns: item = (chunk x hv + head) x blocks + block.
class ChunkHeadStage : public LayerStage {
 public:
  ChunkHeadStage(const NpuConfig& hw, const LayerParams& p, const LayerScales& sc, Stage stage, std::uint32_t max_lanes,
                 std::uint32_t vblock = 0)
      : LayerStage(hw, p, sc, stage, max_lanes), VB(vblock ? vblock : p.model.value_head_dim), NB(sh.dv / VB) {}

 protected:
  std::vector<std::vector<std::vector<std::uint32_t>>> plan(std::uint32_t lanes, std::uint32_t workers) override {
    std::vector<std::vector<std::vector<std::uint32_t>>> per_worker(workers);
    const std::uint32_t per_chunk = sh.hv * NB;
    std::uint32_t u = 0;
    for (std::uint32_t c = 0; c < sh.chunks; ++c) {
      for (std::uint32_t i0 = 0; i0 < per_chunk; i0 += lanes, ++u) {
        std::vector<std::uint32_t> items;
        for (std::uint32_t i = i0; i < std::min(per_chunk, i0 + lanes); ++i) items.push_back(c * per_chunk + i);
        per_worker[u % workers].push_back(std::move(items));
      }
    }
    return per_worker;
  }
  std::uint32_t chunk_of(const UnitRef& u) const { return u.items[0] / (sh.hv * NB); }
  std::uint32_t head_of(const UnitRef& u, std::uint32_t lane) const { return u.items[lane] % (sh.hv * NB) / NB; }
  /// First value column of the lane's block within its head.
  std::uint32_t vcol_of(const UnitRef& u, std::uint32_t lane) const { return u.items[lane] % NB * VB; }
  std::uint32_t n(const UnitRef& u) const { return static_cast<std::uint32_t>(u.items.size()); }
  /// Rows of chunk c of a [tokens, ...] tensor, columns [col, col + width).
  Operand rows(const TensorRef& t, std::uint32_t c, std::uint32_t col, std::uint32_t width) const {
    return t.view(0, c * C, C, col, width);
  }
  /// Loads the lanes' columns of a per-head [tokens, hv] tensor into dst [C, lanes]: one
  /// transfer when the lanes are consecutive heads, else one per lane.
  void load_head_columns(const UnitRef& u, const BufferRef& dst, const TensorRef& src) {
    const std::uint32_t c = chunk_of(u);
    if (NB == 1) {
      b().dma_load(dst.view(0, C, 0, n(u)), rows(src, c, head_of(u, 0), n(u)), load_queue());
      return;
    }
    for (std::uint32_t l = 0; l < n(u); ++l) b().dma_load(dst.view(0, C, l, 1), rows(src, c, head_of(u, l), 1), load_queue());
  }

  const std::uint32_t VB, NB;  ///< value block width, blocks per head
};

class Kkt final : public ChunkHeadStage {
 public:
  Kkt(const NpuConfig& hw, const LayerParams& p, const LayerScales& sc) : ChunkHeadStage(hw, p, sc, Stage::kkt, 8) {}

 private:
  struct Lane {
    BufferRef k, s, d, a, tmp, tmpf;
  };
  struct Set {
    BufferRef gc, beta, gt;
    std::vector<Lane> lanes;
  };

  void declare_persistent(std::uint32_t) override {
    m_sets.clear();
    inputs.clear();
    outputs.clear();
    m_k = tensor("k", dt, {sh.tokens, sh.key_dim()}, false);
    m_beta = tensor("beta", f32, {sh.tokens, sh.hv}, false);
    m_gc = tensor("gc", f32, {sh.tokens, sh.hv}, false);
    m_a = tensor("A", dt, {sh.hv * sh.chunks, C, C}, true);
  }
  void declare_set(std::size_t, std::uint32_t lanes) override {
    Set st;
    st.gc = buffer("gc", f32, C, lanes);
    st.beta = buffer("beta", f32, C, lanes);
    st.gt = buffer("gt", f32, lanes, C);
    for (std::uint32_t l = 0; l < lanes; ++l) {
      const std::string i = std::to_string(l);
      Lane ln;
      ln.k = buffer("k" + i, dt, C, sh.dk);
      ln.s = buffer("s" + i, f32, C, C);
      ln.d = buffer("d" + i, f32, C, C);
      ln.a = alias("a" + i, dt, C, C, ln.s);  // S is dead once the decay has multiplied it
      if (is_int(dt)) {
        ln.tmp = buffer("p" + i, DType::int32, C, C);
        ln.tmpf = alias("pf" + i, f32, C, C, ln.tmp);
      }
      st.lanes.push_back(ln);
    }
    m_sets.push_back(std::move(st));
  }
  void loads(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    const std::uint32_t c = chunk_of(u);
    load_head_columns(u, st.gc, m_gc);
    load_head_columns(u, st.beta, m_beta);
    for (std::uint32_t l = 0; l < n(u); ++l) {
      b().dma_load(st.lanes[l].k.all(), rows(m_k, c, head_of(u, l) / sh.group * sh.dk, sh.dk), load_queue());
    }
  }
  void shared(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    b().vec(Opcode::vec_transpose, st.gt.view(0, n(u), 0, C), st.gc.view(0, C, 0, n(u)));
  }
  void item(const UnitRef& u, std::uint32_t l) override {
    const Set& st = m_sets[u.set];
    const Lane& ln = st.lanes[l];
    GdnOps o = ops();
    o.mm_f32(ln.s.all(), ln.k.all(), ln.k.all(), 2 * s("k"), false, false, true, ln.tmp.all(), ln.tmpf.all());
    decay_times(ln.d.all(), ln.s.all(), st.gc.view(0, C, l, 1), st.gt.view(l, 1, 0, C));
    o.vec(Opcode::vec_mul, ln.d.all(), ln.d.all(), st.beta.view(0, C, l, 1));
    o.vec(Opcode::vec_band, ln.d.all(), ln.d.all(), {}, {}, band_attrs(1, std::int32_t(C)));
    o.to_dt(ln.a.all(), ln.d.all(), m_sc.inverse.a);
  }
  void stores(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    for (std::uint32_t l = 0; l < n(u); ++l) {
      b().dma_store(m_a.matrix(chunk_of(u) * sh.hv + head_of(u, l)), st.lanes[l].a.all(), store_queue());
    }
  }

  std::vector<Set> m_sets;
  TensorRef m_k, m_beta, m_gc, m_a;
};

/// W and U per chunk and head; with value blocks (small scratchpads, dk = dv), an item computes
/// one block of W's and U's columns, as flash-linear-attention's recompute_w_u loops over BK
/// and BV blocks.
class Wu final : public ChunkHeadStage {
 public:
  Wu(const NpuConfig& hw, const LayerParams& p, const LayerScales& sc, std::uint32_t vblock)
      : ChunkHeadStage(hw, p, sc, Stage::wu, 8, vblock), WK(NB == 1 ? sh.dk : VB) {}

 private:
  struct Lane {
    BufferRef t, k, v, kb, vb, w, u, fa, fb;
  };
  struct Set {
    BufferRef gc, beta, fk, fkd, fvd, ek, ev;
    std::vector<Lane> lanes;
  };

  void declare_persistent(std::uint32_t lanes) override {
    m_sets.clear();
    inputs.clear();
    outputs.clear();
    m_t = tensor("T", dt, {sh.hv * sh.chunks, C, C}, false);
    m_k = tensor("k", dt, {sh.tokens, sh.key_dim()}, false);
    m_v = tensor("v", dt, {sh.tokens, sh.value_dim()}, false);
    m_beta = tensor("beta", f32, {sh.tokens, sh.hv}, false);
    m_gc = tensor("gc", f32, {sh.tokens, sh.hv}, false);
    m_w = tensor("w", dt, {sh.tokens, sh.hv * sh.dk}, true);
    m_u = tensor("u", dt, {sh.tokens, sh.value_dim()}, true);
    m_repk = buffer("repk", dt, lanes, lanes * WK);
    m_repv = buffer("repv", dt, lanes, lanes * VB);
    m_lanes = lanes;
  }
  void prepare() override {
    fill_rep(m_repk, m_lanes, WK);
    fill_rep(m_repv, m_lanes, VB);
  }
  void declare_set(std::size_t, std::uint32_t lanes) override {
    Set st;
    st.gc = buffer("gc", f32, C, lanes);
    st.beta = buffer("beta", f32, C, lanes);
    st.fk = buffer("fk", f32, C, lanes);
    st.fkd = buffer("fkd", dt, C, lanes);
    st.fvd = buffer("fvd", dt, C, lanes);
    st.ek = buffer("ek", dt, C, lanes * WK);
    st.ev = buffer("ev", dt, C, lanes * VB);
    const std::uint32_t wide = std::max(WK, VB);
    for (std::uint32_t l = 0; l < lanes; ++l) {
      const std::string i = std::to_string(l);
      Lane ln;
      ln.t = buffer("t" + i, dt, C, C);
      ln.k = buffer("k" + i, dt, C, WK);
      ln.v = buffer("v" + i, dt, C, VB);
      ln.kb = buffer("kb" + i, dt, C, WK);
      ln.vb = buffer("vb" + i, dt, C, VB);
      ln.w = buffer("w" + i, dt, C, WK);
      ln.u = buffer("u" + i, dt, C, VB);
      if (is_int(dt)) {
        ln.fa = buffer("fa" + i, f32, C, wide);
        ln.fb = buffer("fb" + i, f32, C, wide);
      }
      st.lanes.push_back(ln);
    }
    m_sets.push_back(std::move(st));
  }
  /// First column of the lane's block of W (within the head's dk columns).
  std::uint32_t kcol_of(const UnitRef& u, std::uint32_t l) const { return NB == 1 ? 0 : vcol_of(u, l); }
  void loads(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    const std::uint32_t c = chunk_of(u);
    load_head_columns(u, st.gc, m_gc);
    load_head_columns(u, st.beta, m_beta);
    for (std::uint32_t l = 0; l < n(u); ++l) {
      const Lane& ln = st.lanes[l];
      const std::uint32_t h = head_of(u, l);
      b().dma_load(ln.t.all(), m_t.matrix(c * sh.hv + h), load_queue());
      b().dma_load(ln.k.all(), rows(m_k, c, h / sh.group * sh.dk + kcol_of(u, l), WK), load_queue());
      b().dma_load(ln.v.all(), rows(m_v, c, h * sh.dv + vcol_of(u, l), VB), load_queue());
    }
  }
  void shared(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    GdnOps o = ops();
    const std::uint32_t m = n(u);
    const Operand fk = st.fk.view(0, C, 0, m), beta = st.beta.view(0, C, 0, m);
    o.vec(Opcode::vec_exp, fk, st.gc.view(0, C, 0, m));
    o.vec(Opcode::vec_mul, fk, fk, beta);
    o.vec(Opcode::vec_mul, fk, fk, imm(-1));  // -beta e^G: W is stored negated
    o.to_dt(st.fkd.view(0, C, 0, m), fk, s("ek"));
    o.to_dt(st.fvd.view(0, C, 0, m), beta, s("ev"));
    o.mm_dt(st.ek.view(0, C, 0, m * WK), st.fkd.view(0, C, 0, m), m_repk.view(0, m, 0, m * WK), s("ek"), s("ek"));
    o.mm_dt(st.ev.view(0, C, 0, m * VB), st.fvd.view(0, C, 0, m), m_repv.view(0, m, 0, m * VB), s("ev"), s("ev"));
  }
  void item(const UnitRef& u, std::uint32_t l) override {
    const Set& st = m_sets[u.set];
    const Lane& ln = st.lanes[l];
    GdnOps o = ops();
    product(ln.kb.all(), ln.k.all(), s("k"), st.ek.view(0, C, l * WK, WK), s("ek"), s("kb"), ln.fa.view(0, C, 0, WK),
            ln.fb.view(0, C, 0, WK));
    product(ln.vb.all(), ln.v.all(), s("v"), st.ev.view(0, C, l * VB, VB), s("ev"), s("vb"), ln.fa.view(0, C, 0, VB),
            ln.fb.view(0, C, 0, VB));
    o.mm_dt(ln.w.all(), ln.t.all(), ln.kb.all(), m_sc.inverse.t + s("kb"), s("w"));
    o.mm_dt(ln.u.all(), ln.t.all(), ln.vb.all(), m_sc.inverse.t + s("vb"), s("u"));
  }
  void stores(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    for (std::uint32_t l = 0; l < n(u); ++l) {
      const std::uint32_t h = head_of(u, l);
      b().dma_store(rows(m_w, chunk_of(u), h * sh.dk + kcol_of(u, l), WK), st.lanes[l].w.all(), store_queue());
      b().dma_store(rows(m_u, chunk_of(u), h * sh.dv + vcol_of(u, l), VB), st.lanes[l].u.all(), store_queue());
    }
  }

  const std::uint32_t WK;  ///< columns of W per item
  std::vector<Set> m_sets;
  TensorRef m_t, m_k, m_v, m_beta, m_gc, m_w, m_u;
  BufferRef m_repk, m_repv;
  std::uint32_t m_lanes = 1;
};

/// The recurrence: units are (block of lanes, chunk), chunk after chunk for each block; a lane
/// is a head (or a block of its value columns: the recurrence is independent across them).
class State final : public ChunkHeadStage {
 public:
  State(const NpuConfig& hw, const LayerParams& p, const LayerScales& sc, std::uint32_t vblock)
      : ChunkHeadStage(hw, p, sc, Stage::state, 8, vblock) {}

 private:
  struct Lane {
    BufferRef w, u, k, hd, pf, vn, kd;
  };
  struct Set {
    BufferRef gc, d, dd, ed, egl, eg1, er, eh;
    std::vector<Lane> lanes;
  };
  struct Persistent {
    BufferRef h, htmp, ptmp, ptmpf, htmp32, htmp32f, fa, fb;
  };
  /// What a thread keeps across its units: the lanes' states and the scratch of shared().
  struct ThreadBuffers {
    BufferRef ehtmp, ehtmpf;
    std::vector<Persistent> lanes;
  };

  std::vector<std::vector<std::vector<std::uint32_t>>> plan(std::uint32_t lanes, std::uint32_t workers) override {
    std::vector<std::vector<std::vector<std::uint32_t>>> per_worker(workers);
    const std::uint32_t per_chunk = sh.hv * NB;
    lanes = std::min(lanes, (per_chunk + workers - 1) / workers);  // a block for every worker, where there are enough
    std::uint32_t block = 0;
    for (std::uint32_t i0 = 0; i0 < per_chunk; i0 += lanes, ++block) {
      for (std::uint32_t c = 0; c < sh.chunks; ++c) {
        std::vector<std::uint32_t> items;
        for (std::uint32_t i = i0; i < std::min(per_chunk, i0 + lanes); ++i) items.push_back(c * per_chunk + i);
        per_worker[block % workers].push_back(std::move(items));
      }
    }
    return per_worker;
  }

  void declare_persistent(std::uint32_t lanes) override {
    m_sets.clear();
    m_threads_p.clear();
    inputs.clear();
    outputs.clear();
    m_w = tensor("w", dt, {sh.tokens, sh.hv * sh.dk}, false);
    m_u = tensor("u", dt, {sh.tokens, sh.value_dim()}, false);
    m_k = tensor("k", dt, {sh.tokens, sh.key_dim()}, false);
    m_gc = tensor("gc", f32, {sh.tokens, sh.hv}, false);
    m_h = tensor("h", dt, {sh.chunks * sh.hv, sh.dk, sh.dv}, true);
    m_vn = tensor("vn", dt, {sh.tokens, sh.value_dim()}, true);
    m_repk = buffer("repk", dt, lanes, lanes * sh.dk);
    m_repv = buffer("repv", dt, lanes, lanes * VB);
    m_ones = buffer("ones", dt, sh.dk, 1);
    m_lanes = lanes;
  }
  void declare_thread(std::uint32_t, std::uint32_t lanes) override {
    ThreadBuffers tb;
    if (is_int(dt)) {
      tb.ehtmp = buffer("eh_i32", DType::int32, sh.dk, lanes * VB);
      tb.ehtmpf = alias("eh_i32f", f32, sh.dk, lanes * VB, tb.ehtmp);
    }
    for (std::uint32_t l = 0; l < lanes; ++l) {
      const std::string i = std::to_string(l);
      Persistent pl;
      pl.h = buffer("h" + i, f32, sh.dk, VB);
      if (is_int(dt)) {
        pl.htmp = buffer("hq" + i, f32, sh.dk, VB);
        pl.ptmp = buffer("pi" + i, DType::int32, C, VB);
        pl.ptmpf = alias("pif" + i, f32, C, VB, pl.ptmp);
        pl.htmp32 = buffer("hi" + i, DType::int32, sh.dk, VB);
        pl.htmp32f = alias("hif" + i, f32, sh.dk, VB, pl.htmp32);
        pl.fa = buffer("fa" + i, f32, C, sh.dk);
        pl.fb = buffer("fb" + i, f32, C, sh.dk);
      }
      tb.lanes.push_back(pl);
    }
    m_threads_p.push_back(std::move(tb));
  }
  void prepare() override {
    fill_rep(m_repk, m_lanes, sh.dk);
    fill_rep(m_repv, m_lanes, VB);
    b().vec(Opcode::vec_fill, m_ones.all(), imm(1));
  }
  void declare_set(std::size_t, std::uint32_t lanes) override {
    Set st;
    st.gc = buffer("gc", f32, C, lanes);
    st.d = buffer("d", f32, C, lanes);
    st.dd = buffer("dd", dt, C, lanes);
    st.ed = buffer("ed", dt, C, lanes * sh.dk);
    st.egl = buffer("egl", f32, 1, lanes);
    st.eg1 = buffer("eg1", dt, 1, lanes);
    st.er = buffer("er", dt, 1, lanes * VB);
    st.eh = buffer("eh", f32, sh.dk, lanes * VB);
    for (std::uint32_t l = 0; l < lanes; ++l) {
      const std::string i = std::to_string(l);
      Lane ln;
      ln.w = buffer("w" + i, dt, C, sh.dk);
      ln.u = buffer("u" + i, dt, C, VB);
      ln.k = buffer("k" + i, dt, C, sh.dk);
      ln.hd = buffer("hd" + i, dt, sh.dk, VB);
      ln.pf = buffer("pf" + i, f32, C, VB);
      ln.vn = buffer("vn" + i, dt, C, VB);
      ln.kd = buffer("kd" + i, dt, C, sh.dk);
      st.lanes.push_back(ln);
    }
    m_sets.push_back(std::move(st));
  }
  void loads(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    const std::uint32_t c = chunk_of(u);
    load_head_columns(u, st.gc, m_gc);
    for (std::uint32_t l = 0; l < n(u); ++l) {
      const Lane& ln = st.lanes[l];
      const std::uint32_t h = head_of(u, l);
      b().dma_load(ln.w.all(), rows(m_w, c, h * sh.dk, sh.dk), load_queue());
      b().dma_load(ln.u.all(), rows(m_u, c, h * sh.dv + vcol_of(u, l), VB), load_queue());
      b().dma_load(ln.k.all(), rows(m_k, c, h / sh.group * sh.dk, sh.dk), load_queue());
    }
  }
  void shared(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    GdnOps o = ops();
    const std::uint32_t m = n(u);
    const Operand glast = st.gc.view(C - 1, 1, 0, m), d = st.d.view(0, C, 0, m);
    o.vec(Opcode::vec_sub, d, glast, st.gc.view(0, C, 0, m));  // G_last - G
    o.vec(Opcode::vec_exp, d, d);
    o.to_dt(st.dd.view(0, C, 0, m), d, s("ed"));
    o.mm_dt(st.ed.view(0, C, 0, m * sh.dk), st.dd.view(0, C, 0, m), m_repk.view(0, m, 0, m * sh.dk), s("ed"), s("ed"));
    o.vec(Opcode::vec_exp, st.egl.view(0, 1, 0, m), glast);
    o.to_dt(st.eg1.view(0, 1, 0, m), st.egl.view(0, 1, 0, m), s("eh"));
    o.mm_dt(st.er.view(0, 1, 0, m * VB), st.eg1.view(0, 1, 0, m), m_repv.view(0, m, 0, m * VB), s("eh"), s("eh"));
    const ThreadBuffers& tb = m_threads_p[u.thread];
    o.mm_f32(st.eh.view(0, sh.dk, 0, m * VB), m_ones.all(), st.er.view(0, 1, 0, m * VB), s("eh"), false, false, false,
             tb.ehtmp.view(0, sh.dk, 0, m * VB), tb.ehtmpf.view(0, sh.dk, 0, m * VB));
  }
  void item(const UnitRef& u, std::uint32_t l) override {
    const Set& st = m_sets[u.set];
    const Lane& ln = st.lanes[l];
    const Persistent& pl = m_threads_p[u.thread].lanes[l];
    GdnOps o = ops();
    if (chunk_of(u) == 0) o.vec(Opcode::vec_fill, pl.h.all(), imm(0));
    o.to_dt(ln.hd.all(), pl.h.all(), s("h"), pl.htmp.all());  // the state entering the chunk
    o.from_dt(ln.pf.all(), ln.u.all(), s("u"));
    o.mm_f32(ln.pf.all(), ln.w.all(), ln.hd.all(), s("w") + s("h"), true, false, false, pl.ptmp.all(),
             pl.ptmpf.all());  // V' = U - W h
    o.to_dt(ln.vn.all(), ln.pf.all(), s("vn"));
    product(ln.kd.all(), ln.k.all(), s("k"), st.ed.view(0, C, l * sh.dk, sh.dk), s("ed"), s("kd"), pl.fa.all(),
            pl.fb.all());
    o.vec(Opcode::vec_mul, pl.h.all(), pl.h.all(), st.eh.view(0, sh.dk, l * VB, VB));
    o.mm_f32(pl.h.all(), ln.kd.all(), ln.vn.all(), s("kd") + s("vn"), true, true, false, pl.htmp32.all(),
             pl.htmp32f.all());
  }
  void stores(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    for (std::uint32_t l = 0; l < n(u); ++l) {
      const std::uint32_t h = head_of(u, l), col = vcol_of(u, l);
      b().dma_store(m_h.view(chunk_of(u) * sh.hv + h, 0, sh.dk, col, VB), st.lanes[l].hd.all(), store_queue());
      b().dma_store(rows(m_vn, chunk_of(u), h * sh.dv + col, VB), st.lanes[l].vn.all(), store_queue());
    }
  }

  std::vector<Set> m_sets;
  std::vector<ThreadBuffers> m_threads_p;
  TensorRef m_w, m_u, m_k, m_gc, m_h, m_vn;
  BufferRef m_repk, m_repv, m_ones;
  std::uint32_t m_lanes = 1;
};

class Output final : public ChunkHeadStage {
 public:
  Output(const NpuConfig& hw, const LayerParams& p, const LayerScales& sc, std::uint32_t vblock)
      : ChunkHeadStage(hw, p, sc, Stage::output, 8, vblock), m_scale(1.0 / std::sqrt(double(p.model.key_head_dim))) {}

 private:
  struct Lane {
    BufferRef q, k, vn, h, qg, s, d, pd, of, od, stmp, stmpf, otmp, otmpf, fa, fb;
  };
  struct Set {
    BufferRef gc, gt, eq, eqd, eqx;
    std::vector<Lane> lanes;
  };

  void declare_persistent(std::uint32_t lanes) override {
    m_sets.clear();
    inputs.clear();
    outputs.clear();
    m_q = tensor("q", dt, {sh.tokens, sh.key_dim()}, false);
    m_k = tensor("k", dt, {sh.tokens, sh.key_dim()}, false);
    m_vn = tensor("vn", dt, {sh.tokens, sh.value_dim()}, false);
    m_h = tensor("h", dt, {sh.chunks * sh.hv, sh.dk, sh.dv}, false);
    m_gc = tensor("gc", f32, {sh.tokens, sh.hv}, false);
    m_o = tensor("o", dt, {sh.tokens, sh.value_dim()}, true);
    m_repk = buffer("repk", dt, lanes, lanes * sh.dk);
    m_lanes = lanes;
  }
  void prepare() override { fill_rep(m_repk, m_lanes, sh.dk); }
  void declare_set(std::size_t, std::uint32_t lanes) override {
    Set st;
    st.gc = buffer("gc", f32, C, lanes);
    st.gt = buffer("gt", f32, lanes, C);
    st.eq = buffer("eq", f32, C, lanes);
    st.eqd = buffer("eqd", dt, C, lanes);
    st.eqx = buffer("eqx", dt, C, lanes * sh.dk);
    for (std::uint32_t l = 0; l < lanes; ++l) {
      const std::string i = std::to_string(l);
      Lane ln;
      ln.q = buffer("q" + i, dt, C, sh.dk);
      ln.k = buffer("k" + i, dt, C, sh.dk);
      ln.vn = buffer("vn" + i, dt, C, VB);
      ln.h = buffer("h" + i, dt, sh.dk, VB);
      ln.qg = alias("qg" + i, dt, C, sh.dk, ln.k);  // K is dead once Q K^T is computed
      ln.s = buffer("s" + i, f32, C, C);
      ln.d = buffer("d" + i, f32, C, C);
      ln.pd = alias("pd" + i, dt, C, C, ln.s);  // S is dead once the decay has multiplied it
      ln.of = buffer("of" + i, f32, C, VB);
      ln.od = buffer("od" + i, dt, C, VB);
      if (is_int(dt)) {
        ln.stmp = buffer("si" + i, DType::int32, C, C);
        ln.stmpf = alias("sif" + i, f32, C, C, ln.stmp);
        ln.otmp = buffer("oi" + i, DType::int32, C, VB);
        ln.otmpf = alias("oif" + i, f32, C, VB, ln.otmp);
        ln.fa = buffer("fa" + i, f32, C, sh.dk);
        ln.fb = buffer("fb" + i, f32, C, sh.dk);
      }
      st.lanes.push_back(ln);
    }
    m_sets.push_back(std::move(st));
  }
  void loads(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    const std::uint32_t c = chunk_of(u);
    load_head_columns(u, st.gc, m_gc);
    for (std::uint32_t l = 0; l < n(u); ++l) {
      const Lane& ln = st.lanes[l];
      const std::uint32_t h = head_of(u, l), kh = h / sh.group, col = vcol_of(u, l);
      b().dma_load(ln.q.all(), rows(m_q, c, kh * sh.dk, sh.dk), load_queue());
      b().dma_load(ln.k.all(), rows(m_k, c, kh * sh.dk, sh.dk), load_queue());
      b().dma_load(ln.vn.all(), rows(m_vn, c, h * sh.dv + col, VB), load_queue());
      b().dma_load(ln.h.all(), m_h.view(c * sh.hv + h, 0, sh.dk, col, VB), load_queue());
    }
  }
  void shared(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    GdnOps o = ops();
    const std::uint32_t m = n(u);
    const Operand eq = st.eq.view(0, C, 0, m);
    o.vec(Opcode::vec_exp, eq, st.gc.view(0, C, 0, m));
    o.vec(Opcode::vec_mul, eq, eq, imm(m_scale));
    o.to_dt(st.eqd.view(0, C, 0, m), eq, s("eq"));
    o.mm_dt(st.eqx.view(0, C, 0, m * sh.dk), st.eqd.view(0, C, 0, m), m_repk.view(0, m, 0, m * sh.dk), s("eq"), s("eq"));
    o.vec(Opcode::vec_transpose, st.gt.view(0, m, 0, C), st.gc.view(0, C, 0, m));
  }
  void item(const UnitRef& u, std::uint32_t l) override {
    const Set& st = m_sets[u.set];
    const Lane& ln = st.lanes[l];
    GdnOps o = ops();
    o.mm_f32(ln.s.all(), ln.q.all(), ln.k.all(), s("q") + s("k"), false, false, true, ln.stmp.all(), ln.stmpf.all());
    product(ln.qg.all(), ln.q.all(), s("q"), st.eqx.view(0, C, l * sh.dk, sh.dk), s("eq"), s("qg"), ln.fa.all(),
            ln.fb.all());
    o.mm_f32(ln.of.all(), ln.qg.all(), ln.h.all(), s("qg") + s("h"), false, false, false, ln.otmp.all(),
             ln.otmpf.all());  // inter-chunk: scale (Q e^G) h_c
    decay_times(ln.d.all(), ln.s.all(), st.gc.view(0, C, l, 1), st.gt.view(l, 1, 0, C));
    o.vec(Opcode::vec_mul, ln.d.all(), ln.d.all(), imm(m_scale));
    o.vec(Opcode::vec_band, ln.d.all(), ln.d.all(), {}, {}, band_attrs(0, std::int32_t(C)));
    o.to_dt(ln.pd.all(), ln.d.all(), s("p"));
    o.mm_f32(ln.of.all(), ln.pd.all(), ln.vn.all(), s("p") + s("vn"), true, false, false, ln.otmp.all(),
             ln.otmpf.all());  // intra-chunk
    o.to_dt(ln.od.all(), ln.of.all(), s("o"));
  }
  void stores(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    for (std::uint32_t l = 0; l < n(u); ++l) {
      b().dma_store(rows(m_o, chunk_of(u), head_of(u, l) * sh.dv + vcol_of(u, l), VB), st.lanes[l].od.all(),
                    store_queue());
    }
  }

  double m_scale;
  std::vector<Set> m_sets;
  TensorRef m_q, m_k, m_vn, m_h, m_gc, m_o;
  BufferRef m_repk;
  std::uint32_t m_lanes = 1;
};

/// Stages over blocks of rows: one item per unit, units round-robin over the workers.
class RowStage : public LayerStage {
 public:
  RowStage(const NpuConfig& hw, const LayerParams& p, const LayerScales& sc, Stage stage, std::uint32_t rows)
      : LayerStage(hw, p, sc, stage, 1), R(rows) {}

 protected:
  /// Units: row blocks of R rows times `parts` (channel blocks, or q and k).
  virtual std::uint32_t parts() const { return 1; }
  std::vector<std::vector<std::vector<std::uint32_t>>> plan(std::uint32_t, std::uint32_t workers) override {
    std::vector<std::vector<std::vector<std::uint32_t>>> per_worker(workers);
    std::uint32_t u = 0;
    for (std::uint32_t r0 = 0; r0 < sh.tokens; r0 += R) {
      for (std::uint32_t part = 0; part < parts(); ++part, ++u) per_worker[u % workers].push_back({r0 / R * parts() + part});
    }
    return per_worker;
  }
  std::uint32_t row0(const UnitRef& u) const { return u.items[0] / parts() * R; }
  std::uint32_t nrows(const UnitRef& u) const { return std::min(R, sh.tokens - row0(u)); }
  std::uint32_t part(const UnitRef& u) const { return u.items[0] % parts(); }

  const std::uint32_t R;
};

class Conv final : public RowStage {
 public:
  Conv(const NpuConfig& hw, const LayerParams& p, const LayerScales& sc, std::uint32_t rows, std::uint32_t width)
      : RowStage(hw, p, sc, Stage::conv, rows), W(width) {}

 private:
  struct Set {
    BufferRef xin, xf, y, t, yd, w;
  };
  std::uint32_t parts() const override { return sh.conv_dim() / W; }

  void declare_persistent(std::uint32_t) override {
    m_sets.clear();
    inputs.clear();
    outputs.clear();
    m_in = tensor("qkv", dt, {sh.tokens, sh.conv_dim()}, false);
    m_w = tensor("conv_w", f32, {sh.conv_kernel, sh.conv_dim()}, false);
    m_out[0] = tensor("qc", dt, {sh.tokens, sh.key_dim()}, true);
    m_out[1] = tensor("kc", dt, {sh.tokens, sh.key_dim()}, true);
    m_out[2] = tensor("v", dt, {sh.tokens, sh.value_dim()}, true);
  }
  void declare_set(std::size_t, std::uint32_t) override {
    const std::uint32_t h = R + sh.conv_kernel - 1;
    Set st;
    st.xin = buffer("xin", dt, h, W);
    st.xf = buffer("xf", f32, h, W);
    st.y = buffer("y", f32, R, W);
    st.t = buffer("t", f32, R, W);
    st.yd = buffer("yd", dt, R, W);
    st.w = buffer("w", f32, sh.conv_kernel, W);
    m_sets.push_back(st);
  }
  void loads(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    const std::uint32_t r0 = row0(u), rows = nrows(u), ch = part(u) * W, hist = sh.conv_kernel - 1;
    b().dma_load(st.w.all(), m_w.view(0, 0, sh.conv_kernel, ch, W), load_queue());
    if (r0 == 0) {
      b().dma_load(st.xin.view(hist, rows, 0, W), m_in.view(0, 0, rows, ch, W), load_queue());
    } else {
      b().dma_load(st.xin.view(0, rows + hist, 0, W), m_in.view(0, r0 - hist, rows + hist, ch, W), load_queue());
    }
  }
  void item(const UnitRef& u, std::uint32_t) override {
    const Set& st = m_sets[u.set];
    GdnOps o = ops();
    const std::uint32_t rows = nrows(u), K = sh.conv_kernel, hist = K - 1;
    if (row0(u) == 0) {  // no history before the first token: zeros (the conv's left padding)
      o.from_dt(st.xf.view(hist, rows, 0, W), st.xin.view(hist, rows, 0, W), s("qkv"));
      if (hist > 0) o.vec(Opcode::vec_fill, st.xf.view(0, hist, 0, W), imm(0));
    } else {
      o.from_dt(st.xf.view(0, rows + hist, 0, W), st.xin.view(0, rows + hist, 0, W), s("qkv"));
    }
    // y_t = sum_i w_i x_{t - (K - 1) + i}: the newest tap first.
    const Operand y = st.y.view(0, rows, 0, W);
    o.vec(Opcode::vec_mul, y, st.xf.view(hist, rows, 0, W), st.w.view(K - 1, 1, 0, W));
    for (std::uint32_t i = K - 1; i-- > 0;) o.vec(Opcode::vec_fma, y, st.xf.view(i, rows, 0, W), st.w.view(i, 1, 0, W), y);
    o.silu(y, y, st.t.view(0, rows, 0, W));
    o.to_dt(st.yd.view(0, rows, 0, W), y, s(out_name(u)));
  }
  void stores(const UnitRef& u) override {
    const std::uint32_t ch = part(u) * W, seg = ch < sh.key_dim() ? 0 : ch < 2 * sh.key_dim() ? 1 : 2;
    const std::uint32_t col = ch - std::min(seg, 2u) * sh.key_dim();
    b().dma_store(m_out[seg].view(0, row0(u), nrows(u), col, W), m_sets[u.set].yd.view(0, nrows(u), 0, W),
                  store_queue());
  }
  std::string out_name(const UnitRef& u) const {
    const std::uint32_t ch = part(u) * W;
    return ch < sh.key_dim() ? "qc" : ch < 2 * sh.key_dim() ? "kc" : "v";
  }

  const std::uint32_t W;
  std::vector<Set> m_sets;
  TensorRef m_in, m_w, m_out[3];
};

class L2Norm final : public RowStage {
 public:
  L2Norm(const NpuConfig& hw, const LayerParams& p, const LayerScales& sc, std::uint32_t rows)
      : RowStage(hw, p, sc, Stage::l2norm, rows) {}

 private:
  struct Set {
    BufferRef xin, xf, xf2, sq, sq2, ss, out;
  };
  std::uint32_t parts() const override { return 2; }  // q, then k

  void declare_persistent(std::uint32_t) override {
    m_sets.clear();
    inputs.clear();
    outputs.clear();
    m_in[0] = tensor("qc", dt, {sh.tokens, sh.key_dim()}, false);
    m_in[1] = tensor("kc", dt, {sh.tokens, sh.key_dim()}, false);
    m_out[0] = tensor("q", dt, {sh.tokens, sh.key_dim()}, true);
    m_out[1] = tensor("k", dt, {sh.tokens, sh.key_dim()}, true);
  }
  void declare_set(std::size_t, std::uint32_t) override {
    const std::uint32_t D = sh.key_dim();
    Set st;
    st.xin = buffer("xin", dt, R, D);
    st.xf = buffer("xf", f32, R, D);
    st.xf2 = alias("xf_heads", f32, R * sh.hk, sh.dk, st.xf);
    st.sq = buffer("sq", f32, R, D);
    st.sq2 = alias("sq_heads", f32, R * sh.hk, sh.dk, st.sq);
    st.ss = buffer("ss", f32, R * sh.hk, 1);
    st.out = buffer("out", dt, R, D);
    m_sets.push_back(st);
  }
  void loads(const UnitRef& u) override {
    b().dma_load(m_sets[u.set].xin.view(0, nrows(u), 0, sh.key_dim()),
                 m_in[part(u)].view(0, row0(u), nrows(u), 0, sh.key_dim()), load_queue());
  }
  void item(const UnitRef& u, std::uint32_t) override {
    const Set& st = m_sets[u.set];
    GdnOps o = ops();
    const std::uint32_t rows = nrows(u), D = sh.key_dim(), hr = rows * sh.hk;
    const Operand xf = st.xf.view(0, rows, 0, D), ss = st.ss.view(0, hr, 0, 1);
    o.from_dt(xf, st.xin.view(0, rows, 0, D), s(part(u) == 0 ? "qc" : "kc"));
    o.vec(Opcode::vec_mul, st.sq.view(0, rows, 0, D), xf, xf);
    o.vec(Opcode::vec_reduce_sum, ss, st.sq2.view(0, hr, 0, sh.dk), {}, {}, row_sums());
    o.vec(Opcode::vec_add, ss, ss, imm(1e-6));
    o.rsqrt(ss, ss);
    o.vec(Opcode::vec_mul, st.xf2.view(0, hr, 0, sh.dk), st.xf2.view(0, hr, 0, sh.dk), ss);
    o.to_dt(st.out.view(0, rows, 0, D), xf, s(part(u) == 0 ? "q" : "k"));
  }
  void stores(const UnitRef& u) override {
    b().dma_store(m_out[part(u)].view(0, row0(u), nrows(u), 0, sh.key_dim()),
                  m_sets[u.set].out.view(0, nrows(u), 0, sh.key_dim()), store_queue());
  }

  std::vector<Set> m_sets;
  TensorRef m_in[2], m_out[2];
};

class Gates final : public RowStage {
 public:
  Gates(const NpuConfig& hw, const LayerParams& p, const LayerScales& sc, std::uint32_t rows)
      : RowStage(hw, p, sc, Stage::gates, rows) {}

 private:
  struct Set {
    BufferRef bin, ain, bf, af, t1, t2;
  };

  void declare_persistent(std::uint32_t) override {
    m_sets.clear();
    inputs.clear();
    outputs.clear();
    m_b = tensor("b", dt, {sh.tokens, sh.hv}, false);
    m_a = tensor("a", dt, {sh.tokens, sh.hv}, false);
    m_beta = tensor("beta", f32, {sh.tokens, sh.hv}, true);
    m_g = tensor("g", f32, {sh.tokens, sh.hv}, true);
    m_neg_a = parameter("neg_a", sh.hv);      // -exp(A_log)
    m_dt_bias = parameter("dt_bias", sh.hv);
  }
  void declare_set(std::size_t, std::uint32_t) override {
    Set st;
    st.bin = buffer("bin", dt, R, sh.hv);
    st.ain = buffer("ain", dt, R, sh.hv);
    st.bf = buffer("bf", f32, R, sh.hv);
    st.af = buffer("af", f32, R, sh.hv);
    st.t1 = buffer("t1", f32, R, sh.hv);
    st.t2 = buffer("t2", f32, R, sh.hv);
    m_sets.push_back(st);
  }
  void loads(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    b().dma_load(st.bin.view(0, nrows(u), 0, sh.hv), m_b.view(0, row0(u), nrows(u), 0, sh.hv), load_queue());
    b().dma_load(st.ain.view(0, nrows(u), 0, sh.hv), m_a.view(0, row0(u), nrows(u), 0, sh.hv), load_queue());
  }
  void item(const UnitRef& u, std::uint32_t) override {
    const Set& st = m_sets[u.set];
    GdnOps o = ops();
    const std::uint32_t rows = nrows(u);
    auto v = [&](const BufferRef& x) { return x.view(0, rows, 0, sh.hv); };
    o.from_dt(v(st.bf), v(st.bin), s("b"));
    o.sigmoid(v(st.bf), v(st.bf));
    o.from_dt(v(st.af), v(st.ain), s("a"));
    o.vec(Opcode::vec_add, v(st.af), v(st.af), m_dt_bias.all());
    o.softplus(v(st.af), v(st.af), v(st.t1), v(st.t2));
    o.vec(Opcode::vec_mul, v(st.af), v(st.af), m_neg_a.all());
  }
  void stores(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    b().dma_store(m_beta.view(0, row0(u), nrows(u), 0, sh.hv), st.bf.view(0, nrows(u), 0, sh.hv), store_queue());
    b().dma_store(m_g.view(0, row0(u), nrows(u), 0, sh.hv), st.af.view(0, nrows(u), 0, sh.hv), store_queue());
  }

  std::vector<Set> m_sets;
  TensorRef m_b, m_a, m_beta, m_g;
  BufferRef m_neg_a, m_dt_bias;
};

/// Units are blocks of `per` chunks, each chunk's [C, hv] g side by side.
class Cumsum final : public RowStage {
 public:
  Cumsum(const NpuConfig& hw, const LayerParams& p, const LayerScales& sc, std::uint32_t per)
      : RowStage(hw, p, sc, Stage::cumsum, per * p.chunk), per_(per) {}

 private:
  struct Set {
    BufferRef x[2];
  };
  void declare_persistent(std::uint32_t) override {
    m_sets.clear();
    inputs.clear();
    outputs.clear();
    m_g = tensor("g", f32, {sh.tokens, sh.hv}, false);
    m_gc = tensor("gc", f32, {sh.tokens, sh.hv}, true);
  }
  void declare_set(std::size_t, std::uint32_t) override {
    Set st;
    st.x[0] = buffer("x0", f32, C, per_ * sh.hv);
    st.x[1] = buffer("x1", f32, C, per_ * sh.hv);
    m_sets.push_back(st);
  }
  std::uint32_t count(const UnitRef& u) const { return nrows(u) / C; }
  std::uint32_t result() const {  // buffer index holding the sums after log2 C steps
    std::uint32_t steps = 0;
    for (std::uint32_t s = 1; s < C; s *= 2) ++steps;
    return steps % 2;
  }
  void loads(const UnitRef& u) override {
    for (std::uint32_t j = 0; j < count(u); ++j) {
      b().dma_load(m_sets[u.set].x[0].view(0, C, j * sh.hv, sh.hv), m_g.view(0, row0(u) + j * C, C, 0, sh.hv),
                   load_queue());
    }
  }
  void item(const UnitRef& u, std::uint32_t) override {
    const Set& st = m_sets[u.set];
    const std::uint32_t w = count(u) * sh.hv;
    std::uint32_t src = 0;
    for (std::uint32_t s = 1; s < C; s *= 2, src ^= 1) {
      const BufferRef &x = st.x[src], &y = st.x[src ^ 1];
      b().vec(Opcode::vec_add, y.view(s, C - s, 0, w), x.view(s, C - s, 0, w), x.view(0, C - s, 0, w));
      b().vec(Opcode::vec_copy, y.view(0, s, 0, w), x.view(0, s, 0, w));
    }
  }
  void stores(const UnitRef& u) override {
    for (std::uint32_t j = 0; j < count(u); ++j) {
      b().dma_store(m_gc.view(0, row0(u) + j * C, C, 0, sh.hv), m_sets[u.set].x[result()].view(0, C, j * sh.hv, sh.hv),
                    store_queue());
    }
  }

  const std::uint32_t per_;
  std::vector<Set> m_sets;
  TensorRef m_g, m_gc;
};

class Norm final : public RowStage {
 public:
  Norm(const NpuConfig& hw, const LayerParams& p, const LayerScales& sc, std::uint32_t rows)
      : RowStage(hw, p, sc, Stage::norm, rows) {}

 private:
  struct Set {
    BufferRef oin, zin, of, of2, zf, t, t2, ss, out;
  };
  void declare_persistent(std::uint32_t) override {
    m_sets.clear();
    inputs.clear();
    outputs.clear();
    m_o = tensor("o", dt, {sh.tokens, sh.value_dim()}, false);
    m_z = tensor("z", dt, {sh.tokens, sh.value_dim()}, false);
    m_out = tensor("on", dt, {sh.tokens, sh.value_dim()}, true);
    m_w = parameter("norm_w", sh.dv);
  }
  void declare_set(std::size_t, std::uint32_t) override {
    const std::uint32_t D = sh.value_dim();
    Set st;
    st.oin = buffer("oin", dt, R, D);
    st.zin = buffer("zin", dt, R, D);
    st.of = buffer("of", f32, R, D);
    st.of2 = alias("of_heads", f32, R * sh.hv, sh.dv, st.of);
    st.zf = buffer("zf", f32, R, D);
    st.t = buffer("t", f32, R, D);
    st.t2 = alias("t_heads", f32, R * sh.hv, sh.dv, st.t);
    st.ss = buffer("ss", f32, R * sh.hv, 1);
    st.out = buffer("out", dt, R, D);
    m_sets.push_back(st);
  }
  void loads(const UnitRef& u) override {
    const Set& st = m_sets[u.set];
    const std::uint32_t D = sh.value_dim();
    b().dma_load(st.oin.view(0, nrows(u), 0, D), m_o.view(0, row0(u), nrows(u), 0, D), load_queue());
    b().dma_load(st.zin.view(0, nrows(u), 0, D), m_z.view(0, row0(u), nrows(u), 0, D), load_queue());
  }
  void item(const UnitRef& u, std::uint32_t) override {
    const Set& st = m_sets[u.set];
    GdnOps o = ops();
    const std::uint32_t rows = nrows(u), D = sh.value_dim(), hr = rows * sh.hv;
    auto v = [&](const BufferRef& x) { return x.view(0, rows, 0, D); };
    const Operand heads = st.of2.view(0, hr, 0, sh.dv), ss = st.ss.view(0, hr, 0, 1);
    o.from_dt(v(st.of), v(st.oin), s("o"));
    o.vec(Opcode::vec_mul, v(st.t), v(st.of), v(st.of));
    o.vec(Opcode::vec_reduce_sum, ss, st.t2.view(0, hr, 0, sh.dv), {}, {}, row_sums());
    o.vec(Opcode::vec_mul, ss, ss, imm(1.0 / sh.dv));
    o.vec(Opcode::vec_add, ss, ss, imm(m_p.model.rms_norm_eps));
    o.rsqrt(ss, ss);
    o.vec(Opcode::vec_mul, heads, heads, ss);
    o.vec(Opcode::vec_mul, heads, heads, m_w.all());
    o.from_dt(v(st.zf), v(st.zin), s("z"));
    o.silu(v(st.zf), v(st.zf), v(st.t));
    o.vec(Opcode::vec_mul, v(st.of), v(st.of), v(st.zf));
    o.to_dt(v(st.out), v(st.of), s("on"));
  }
  void stores(const UnitRef& u) override {
    b().dma_store(m_out.view(0, row0(u), nrows(u), 0, sh.value_dim()), m_sets[u.set].out.view(0, nrows(u), 0, sh.value_dim()),
                  store_queue());
  }

  std::vector<Set> m_sets;
  TensorRef m_o, m_z, m_out;
  BufferRef m_w;
};

/// Builds a row stage with the largest row block (and channel block) that fits.
template <class Build>
StageProgram fit_rows(Stage stage, const std::vector<std::uint32_t>& candidates, const Build& build) {
  std::string last;
  for (std::uint32_t r : candidates) {
    try {
      return build(r);
    } catch (const InputError& e) {
      last = e.what();
    }
  }
  throw InputError(last.rfind(stage_name(stage), 0) == 0 ? last : fmt::format("{}: {}", stage_name(stage), last));
}

template <class S>
StageProgram finish(Stage stage, S& s, const std::string& summary) {
  StageProgram out;
  out.stage = stage;
  out.program = s.build();
  out.inputs = s.inputs;
  out.outputs = s.outputs;
  out.summary = summary + fmt::format(", {} item{} per unit", s.lanes(), s.lanes() == 1 ? "" : "s");
  if (s.threads() > 1) out.summary += fmt::format(", on {} threads per core", s.threads());
  return out;
}

std::vector<std::uint32_t> halvings(std::uint32_t from, std::uint32_t to) {
  std::vector<std::uint32_t> v;
  for (std::uint32_t r = from; r >= to; r /= 2) v.push_back(r);
  if (v.empty()) v.push_back(to);
  return v;
}

StageProgram build_projection(Stage stage, const NpuConfig& hw, const LayerParams& p, const LayerScales& sc) {
  const LayerShape sh(p);
  ProgramBuilder b(stage_name(stage));
  StageProgram out;
  out.stage = stage;
  std::vector<ProjectionSpec> specs;
  TensorRef x;
  std::uint32_t k = 0;
  std::string xname;
  auto output = [&](const std::string& name, std::uint32_t width) {
    out.outputs.push_back(name);
    return b.dram(name, p.dtype, {sh.tokens, width}, {}, true);
  };
  if (stage == Stage::in_proj) {
    xname = "x";
    k = sh.hidden;
    x = b.dram("x", p.dtype, {sh.tokens, k});
    const TensorRef qkv = output("qkv", sh.conv_dim()), z = output("z", sh.value_dim());
    const TensorRef bt = output("b", sh.hv), at = output("a", sh.hv);
    if (p.model.projections == ProjectionLayout::fused) {
      specs.push_back({"w_qkvz", sh.conv_dim() + sh.value_dim(),
                       {{qkv, "qkv", 0, sh.conv_dim()}, {z, "z", sh.conv_dim(), sh.value_dim()}}});
      specs.push_back({"w_ba", 2 * sh.hv, {{bt, "b", 0, sh.hv}, {at, "a", sh.hv, sh.hv}}});
    } else {
      specs.push_back({"w_qkv", sh.conv_dim(), {{qkv, "qkv", 0, sh.conv_dim()}}});
      specs.push_back({"w_z", sh.value_dim(), {{z, "z", 0, sh.value_dim()}}});
      specs.push_back({"w_b", sh.hv, {{bt, "b", 0, sh.hv}}});
      specs.push_back({"w_a", sh.hv, {{at, "a", 0, sh.hv}}});
    }
  } else {
    xname = "on";
    k = sh.value_dim();
    x = b.dram("on", p.dtype, {sh.tokens, k});
    specs.push_back({"w_out", sh.hidden, {{output("y", sh.hidden), "y", 0, sh.hidden}}});
  }
  out.inputs.push_back(xname);
  std::string summary;
  out.weights = emit_projections(b, hw, p, sc, x, sc.of(xname), sh.tokens, k, specs, summary);
  for (const auto& w : out.weights) {
    out.inputs.push_back(w.tensor);
    if (!w.scales.empty()) out.inputs.push_back(w.scales);
  }
  out.program = b.finish();
  out.summary = summary;
  return out;
}

}  // namespace

StageProgram build_stage(Stage stage, const NpuConfig& hw, const LayerParams& p, const LayerScales& sc) {
  const LayerShape sh(p);
  const std::uint32_t workers = hw.cores * stage_threads(hw);  // row units sized to spread over them
  switch (stage) {
    case Stage::in_proj: case Stage::out_proj: return build_projection(stage, hw, p, sc);
    case Stage::conv: {
      const std::uint32_t g = std::gcd(sh.key_dim(), sh.value_dim());
      std::vector<std::uint32_t> widths;
      for (std::uint32_t w = 1024; w >= 16; w /= 2)
        if (g % w == 0) widths.push_back(w);
      return fit_rows(stage, widths, [&](std::uint32_t w) {
        return fit_rows(stage, halvings(p.chunk, 16), [&](std::uint32_t r) {
          Conv s(hw, p, sc, r, w);
          return finish(stage, s, fmt::format("{} rows x {} channels per unit", r, w));
        });
      });
    }
    case Stage::l2norm:
      return fit_rows(stage, halvings(p.chunk, 1), [&](std::uint32_t r) {
        L2Norm s(hw, p, sc, r);
        return finish(stage, s, fmt::format("{} rows per unit, q and k apart", r));
      });
    case Stage::gates:
      return fit_rows(stage, halvings(std::max<std::uint32_t>(1, std::min<std::uint32_t>(256, sh.tokens / workers)), 1),
                      [&](std::uint32_t r) {
        Gates s(hw, p, sc, r);
        return finish(stage, s, fmt::format("{} rows per unit", r));
      });
    case Stage::cumsum:
      return fit_rows(stage, halvings(std::max<std::uint32_t>(1, std::min<std::uint32_t>(16, sh.chunks / workers)), 1),
                      [&](std::uint32_t per) {
        Cumsum s(hw, p, sc, per);
        return finish(stage, s, fmt::format("{} chunk{} per unit, {}-step scan", per, per == 1 ? "" : "s",
                                            int(std::log2(double(p.chunk)))));
      });
    case Stage::norm:
      return fit_rows(stage, halvings(p.chunk, 1), [&](std::uint32_t r) {
        Norm s(hw, p, sc, r);
        return finish(stage, s, fmt::format("{} rows per unit", r));
      });
    case Stage::kkt: {
      Kkt s(hw, p, sc);
      return finish(stage, s, "value heads of a chunk interleaved");
    }
    case Stage::wu:
      // Column blocks split W and U alike, so they need dk = dv.
      return fit_rows(stage, sh.dk == sh.dv ? halvings(sh.dv, 16) : std::vector<std::uint32_t>{sh.dv},
                      [&](std::uint32_t vb) {
                        Wu s(hw, p, sc, vb);
                        return finish(stage, s, vb == sh.dv ? "value heads of a chunk interleaved"
                                                            : fmt::format("{}-column blocks of W and U interleaved", vb));
                      });
    case Stage::state:
      return fit_rows(stage, halvings(sh.dv, 16), [&](std::uint32_t vb) {
        State s(hw, p, sc, vb);
        return finish(stage, s, vb == sh.dv ? "a block of heads side by side, chunk after chunk"
                                            : fmt::format("{}-column value blocks side by side, chunk after chunk", vb));
      });
    case Stage::output:
      return fit_rows(stage, halvings(sh.dv, 16), [&](std::uint32_t vb) {
        Output s(hw, p, sc, vb);
        return finish(stage, s, vb == sh.dv ? "value heads of a chunk interleaved"
                                            : fmt::format("{}-column value blocks of a chunk interleaved", vb));
      });
    case Stage::inverse: {
      InverseParams ip = p.inverse_params;
      ip.chunk = p.chunk;
      ip.dtype = p.dtype;
      ip.batch = sh.hv * sh.chunks;
      ip.scales = sc.inverse;
      StageProgram out;
      out.stage = stage;
      out.inverse = build_inverse(p.inverse, hw, ip);
      out.program = std::move(out.inverse.program);
      out.inputs = {out.inverse.input};
      out.outputs = {out.inverse.output};
      out.summary = out.inverse.summary;
      return out;
    }
  }
  NPUSIM_ASSERT(false, "unknown stage");
  return {};
}

}  // namespace npusim::kernels
