#include "kernels/gdn/projection.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "kernels/gdn/ops.hpp"
#include "npu/common/error.hpp"
#include "npu/common/text.hpp"

namespace npusim::kernels {
using namespace npu;

namespace {

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

struct Plan {
  std::uint32_t tm = 0, tk = 0, tn = 0;
  bool needs_convert = false;  ///< the stored tile is not the matmul operand
  DType scale_dtype = DType::fp32;
};

/// Scratchpad bytes the projection buffers take for a tiling.
std::uint64_t footprint(const Plan& pl, DType dt, WeightFormat wf, std::uint32_t k, std::uint64_t align) {
  const std::uint64_t eb = dtype_bytes(dt);
  const std::uint64_t tile = std::uint64_t{pl.tk} * pl.tn;
  std::uint64_t total = align_up(std::uint64_t{pl.tm} * ((k + pl.tk - 1) / pl.tk) * pl.tk * eb, align);
  const std::uint64_t raw = is_float_weights(wf) ? tile * 2 : wf == WeightFormat::int8 ? tile : tile / 2;
  std::uint64_t per_set = align_up(raw, align);
  if (wf == WeightFormat::int4) per_set += align_up(tile, align);
  if (pl.needs_convert) per_set += align_up(tile * eb, align);
  if (is_float_weights(wf) && is_int(dt)) per_set += align_up(tile * 4, align);
  if (!is_float_weights(wf)) per_set += align_up(std::uint64_t{pl.tn} * dtype_bytes(pl.scale_dtype), align);
  total += 2 * per_set;
  const std::uint64_t out = std::uint64_t{pl.tm} * pl.tn;
  total += 2 * (align_up(out * 4, align) + align_up(out * eb, align));
  if (is_int(dt)) total += align_up(out * 4, align);
  return total;
}

}  // namespace

std::vector<WeightLayout> emit_projections(ProgramBuilder& b, const NpuConfig& hw, const LayerParams& p,
                                           const LayerScales& scales, const TensorRef& x, int x_scale,
                                           std::uint32_t tokens, std::uint32_t k,
                                           const std::vector<ProjectionSpec>& specs, std::string& summary) {
  const DType dt = p.dtype;
  const WeightFormat wf = p.weights;
  const bool int_dt = is_int(dt);
  GdnOps ops(b, dt);
  const auto imm = ProgramBuilder::imm;

  std::uint32_t widest = 0;
  for (const auto& s : specs)
    for (const auto& o : s.outputs) widest = std::max(widest, o.width);
  Plan pl;
  pl.tk = std::min(kWeightGroup, k);
  pl.needs_convert = weight_storage_dtype(wf) != dt && !(!is_float_weights(wf) && dt == DType::int8);
  pl.scale_dtype = int_dt ? DType::fp32 : dt;
  const std::uint64_t align = std::max<std::uint64_t>(hw.core.scratchpad.bank_width_bytes, 4);
  bool fits = false;
  for (std::uint32_t tn = std::min<std::uint32_t>(128, widest); tn >= 16 && !fits; tn /= 2) {
    for (std::uint32_t tm = 1024; tm >= 16; tm /= 2) {
      if (tm > 16 && tm / 2 >= tokens) continue;  // no bigger than the tokens need
      pl.tm = std::min(tm, tokens);
      pl.tn = tn;
      if (footprint(pl, dt, wf, k, align) <= hw.core.scratchpad.size_bytes) {
        fits = true;
        break;
      }
    }
  }
  if (!fits) {
    pl.tm = std::min<std::uint32_t>(16, tokens);
    pl.tn = 16;
    throw InputError(fmt::format("projection {}: a {}x{} row block of X with 16-column weight tiles needs {} of "
                                 "scratchpad, but {} has {}",
                                 specs.front().weight, pl.tm, k, human_bytes(double(footprint(pl, dt, wf, k, align))),
                                 hw.name, human_bytes(double(hw.core.scratchpad.size_bytes))));
  }
  const std::uint32_t tm = pl.tm, tk = pl.tk, tn = pl.tn;
  const std::uint32_t groups = (k + kWeightGroup - 1) / kWeightGroup;

  // Weights in DRAM, in their storage format.
  std::vector<WeightLayout> layouts;
  std::vector<TensorRef> wt, st;
  for (const auto& s : specs) {
    WeightLayout l;
    l.name = s.weight;
    l.tensor = s.weight;
    l.k = k;
    l.n = s.n;
    if (is_float_weights(wf)) {
      wt.push_back(b.dram(s.weight, weight_storage_dtype(wf), {k, s.n}));
      st.emplace_back();
    } else {
      wt.push_back(b.dram(s.weight, DType::int8, {k, wf == WeightFormat::int4 ? s.n / 2 : s.n}));
      l.scales = s.weight + "_scales";
      st.push_back(b.dram(l.scales, pl.scale_dtype, {groups, s.n}));
    }
    for (const auto& o : s.outputs)
      for (std::uint32_t n0 = 0; n0 < o.width; n0 += tn) l.tiles.emplace_back(o.col + n0, std::min(tn, o.width - n0));
    layouts.push_back(std::move(l));
  }

  // Buffers: the X block, two weight sets, two output sets.
  // The X block is stored tile by tile ([k / tk][tm, tk]) so that every matmul operand is one
  // contiguous tile, as the matrix unit's tiled layout keeps it.
  const std::uint32_t ktiles = (k + tk - 1) / tk;
  const BufferRef xb = b.buffer("x_block", dt, ktiles * tm, tk);
  struct WeightSet {
    BufferRef raw, unpacked, converted, wide, scale;
  };
  WeightSet ws[2];
  for (int i = 0; i < 2; ++i) {
    const std::string n = std::to_string(i);
    if (is_float_weights(wf)) {
      ws[i].raw = b.buffer("w_raw" + n, weight_storage_dtype(wf), tk, tn);
    } else {
      ws[i].raw = b.buffer("w_raw" + n, DType::int8, tk, wf == WeightFormat::int4 ? tn / 2 : tn);
      if (wf == WeightFormat::int4) ws[i].unpacked = b.buffer("w_int8_" + n, DType::int8, tk, tn);
      ws[i].scale = b.buffer("w_scale" + n, pl.scale_dtype, 1, tn);
    }
    if (pl.needs_convert) ws[i].converted = b.buffer("w_op" + n, dt, tk, tn);
    if (is_float_weights(wf) && int_dt) ws[i].wide = b.buffer("w_fp32_" + n, DType::fp32, tk, tn);
  }
  BufferRef acc[2], yt[2], prod, prodf;
  for (int i = 0; i < 2; ++i) {
    acc[i] = b.buffer("acc" + std::to_string(i), DType::fp32, tm, tn);
    yt[i] = b.buffer("y_tile" + std::to_string(i), dt, tm, tn);
  }
  if (int_dt) {
    prod = b.buffer("prod", DType::int32, tm, tn);
    prodf = b.alias("prod_f", DType::fp32, tm, tn, prod);
  }

  const std::uint8_t lq = 0, sq = static_cast<std::uint8_t>(hw.core.dma.queues > 1 ? 1 : 0);
  // The output tiles of every projection, in order; with several cores each takes every
  // cores-th tile of every row block (the weights are read once per row block in all, X once
  // per core).
  struct Tile {
    std::size_t spec;
    const ProjectionOutput* out;
    std::uint32_t n0, width;
  };
  std::vector<Tile> tiles;
  for (std::size_t si = 0; si < specs.size(); ++si)
    for (const ProjectionOutput& o : specs[si].outputs)
      for (std::uint32_t n0 = 0; n0 < o.width; n0 += tn) tiles.push_back({si, &o, n0, std::min(tn, o.width - n0)});
  const std::uint32_t cores = std::min<std::uint32_t>(hw.cores, static_cast<std::uint32_t>(tiles.size()));
  std::vector<std::uint64_t> wcount(cores), tcount(cores);
  for (std::uint32_t m0 = 0; m0 < tokens; m0 += tm) {
    const std::uint32_t rows = std::min(tm, tokens - m0);
    for (std::uint32_t core = 0; core < cores; ++core) {
      if (hw.cores > 1) b.core(core);
      b.comment(fmt::format("rows {}..{}", m0, m0 + rows - 1));
      for (std::uint32_t k0 = 0, kt = 0; k0 < k; k0 += tk, ++kt) {
        const std::uint32_t kk = std::min(tk, k - k0);
        b.dma_load(xb.view(kt * tm, rows, 0, kk), x.view(0, m0, rows, k0, kk), lq);
      }
      for (std::size_t ti = core; ti < tiles.size(); ti += cores, ++tcount[core]) {
        const Tile& tile = tiles[ti];
        const std::size_t si = tile.spec;
        const ProjectionOutput& o = *tile.out;
        const int w_scale = scales.of(specs[si].weight);
        const std::uint32_t w = tile.width, n0 = tile.n0, col = o.col + n0;
        const Operand cv = acc[tcount[core] % 2].view(0, rows, 0, w);
        for (std::uint32_t k0 = 0, kt = 0; k0 < k; k0 += tk, ++kt, ++wcount[core]) {
          const std::uint32_t kk = std::min(tk, k - k0);
          const WeightSet& s = ws[wcount[core] % 2];
          // Load the tile in its storage format.
          if (wf == WeightFormat::int4) {
            b.dma_load(s.raw.view(0, kk, 0, w / 2), wt[si].view(0, k0, kk, col / 2, w / 2), lq);
          } else {
            b.dma_load(s.raw.view(0, kk, 0, w), wt[si].view(0, k0, kk, col, w), lq);
          }
          if (!is_float_weights(wf)) b.dma_load(s.scale.view(0, 1, 0, w), st[si].view(0, kt, 1, col, w), lq);
          // Convert it to the matmul operand.
          Operand stored = s.raw.view(0, kk, 0, w);
          if (wf == WeightFormat::int4) {
            const Operand hi = s.unpacked.view(0, kk, w / 2, w / 2), lo = s.unpacked.view(0, kk, 0, w / 2);
            Attrs floor_div;
            floor_div.shift = 4;
            floor_div.round = Rounding::floor;
            b.vec(Opcode::vec_requant, hi, s.raw.view(0, kk, 0, w / 2), {}, {}, floor_div);
            b.vec(Opcode::vec_fma, lo, hi, imm(-16), s.raw.view(0, kk, 0, w / 2));
            b.vec(Opcode::vec_add, lo, lo, imm(-8));
            stored = s.unpacked.view(0, kk, 0, w);
          }
          Operand operand = stored;
          if (pl.needs_convert) {
            operand = s.converted.view(0, kk, 0, w);
            if (is_float_weights(wf) && int_dt) {  // quantise the float tile at the weight's scale
              const Operand wide = s.wide.view(0, kk, 0, w);
              b.vec(Opcode::vec_cast, wide, stored);
              b.vec(Opcode::vec_mul, wide, wide, imm(std::ldexp(1.0, w_scale)));
              b.vec(Opcode::vec_cast, operand, wide);
            } else {
              b.vec(Opcode::vec_cast, operand, stored);
              if (!int_dt && !is_float_weights(wf)) b.vec(Opcode::vec_mul, operand, operand, s.scale.view(0, 1, 0, w));
            }
          }
          const Operand xa = xb.view(kt * tm, rows, 0, kk);
          if (!int_dt) {
            b.matmul(cv, xa, operand, kt > 0);
            continue;
          }
          const Operand pv = prod.view(0, rows, 0, w), pf = prodf.view(0, rows, 0, w);
          b.matmul(pv, xa, operand);
          b.vec(Opcode::vec_cast, pf, pv);
          const Operand row = is_float_weights(wf) ? imm(std::ldexp(1.0, -(x_scale + w_scale))) : s.scale.view(0, 1, 0, w);
          if (kt == 0) {
            b.vec(Opcode::vec_mul, cv, pf, row);
          } else {
            b.vec(Opcode::vec_fma, cv, pf, row, cv);
          }
        }
        const Operand yv = yt[tcount[core] % 2].view(0, rows, 0, w);
        ops.to_dt(yv, cv, scales.of(o.name));
        b.dma_store(o.tensor.view(0, m0, rows, n0, w), yv, sq);
      }
    }
  }
  summary += fmt::format("{}x{}x{} tiles ({} rows of X resident, {} weights, {} output tile{} per row block)", tm, tk,
                         tn, tm, weight_format_name(wf), tiles.size(), tiles.size() == 1 ? "" : "s");
  return layouts;
}

}  // namespace npusim::kernels
