#include "kernels/gdn/projection.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "kernels/gdn/ops.hpp"
#include "kernels/gdn/scaffold.hpp"
#include "kernels/inverse/scaffold.hpp"
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

/// Scratchpad bytes the projection buffers take for a tiling: the X block, shared by the core's
/// `threads` threads, and each thread's weight and output sets.
std::uint64_t footprint(const Plan& pl, DType dt, WeightFormat wf, std::uint32_t k, std::uint64_t align,
                        std::uint32_t threads) {
  const std::uint64_t eb = dtype_bytes(dt);
  const std::uint64_t tile = std::uint64_t{pl.tk} * pl.tn;
  std::uint64_t total = align_up(std::uint64_t{pl.tm} * ((k + pl.tk - 1) / pl.tk) * pl.tk * eb, align);
  const std::uint64_t raw = is_float_weights(wf) ? tile * 2 : wf == WeightFormat::int8 ? tile : tile / 2;
  std::uint64_t per_set = align_up(raw, align);
  if (wf == WeightFormat::int4) per_set += align_up(tile, align);
  if (pl.needs_convert) per_set += align_up(tile * eb, align);
  if (is_float_weights(wf) && is_int(dt)) per_set += align_up(tile * 4, align);
  if (!is_float_weights(wf)) per_set += align_up(std::uint64_t{pl.tn} * dtype_bytes(pl.scale_dtype), align);
  std::uint64_t per_thread = 2 * per_set;
  const std::uint64_t out = std::uint64_t{pl.tm} * pl.tn;
  per_thread += 2 * (align_up(out * 4, align) + align_up(out * eb, align));
  if (is_int(dt)) per_thread += align_up(out * 4, align);
  return total + threads * per_thread;
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
  // The largest tiles first (the fewest weight re-reads), with as many of the core's hardware
  // threads as fit: each has its own weight and output sets, the X block is the core's.
  bool fits = false;
  std::uint32_t threads = 1;
  for (std::uint32_t tn = std::min<std::uint32_t>(128, widest); tn >= 16 && !fits; tn /= 2) {
    for (std::uint32_t tm = 1024; tm >= 16 && !fits; tm /= 2) {
      if (tm > 16 && tm / 2 >= tokens) continue;  // no bigger than the tokens need
      pl.tm = std::min(tm, tokens);
      pl.tn = tn;
      for (threads = stage_threads(hw); threads >= 1 && !fits; threads -= fits ? 0 : 1) {
        fits = footprint(pl, dt, wf, k, align, threads) <= hw.core.scratchpad.size_bytes;
      }
    }
  }
  if (!fits) {
    pl.tm = std::min<std::uint32_t>(16, tokens);
    pl.tn = 16;
    throw InputError(fmt::format("projection {}: a {}x{} row block of X with 16-column weight tiles needs {} of "
                                 "scratchpad, but {} has {}",
                                 specs.front().weight, pl.tm, k, human_bytes(double(footprint(pl, dt, wf, k, align, 1))),
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

  // The output tiles of every projection, in order; the workers (thread w / cores of core
  // w % cores) take every workers-th tile of every row block, so the weights are read once per
  // row block in all, X once per core.
  struct Tile {
    std::size_t spec;
    const ProjectionOutput* out;
    std::uint32_t n0, width;
  };
  std::vector<Tile> tiles;
  for (std::size_t si = 0; si < specs.size(); ++si)
    for (const ProjectionOutput& o : specs[si].outputs)
      for (std::uint32_t n0 = 0; n0 < o.width; n0 += tn) tiles.push_back({si, &o, n0, std::min(tn, o.width - n0)});
  const std::uint32_t workers = std::min<std::uint32_t>(hw.cores * threads, static_cast<std::uint32_t>(tiles.size()));
  const std::uint32_t cores = std::min(hw.cores, workers);
  threads = (workers + hw.cores - 1) / hw.cores;  // the threads with tiles

  // Buffers: the X block, and per thread two weight sets and two output sets.
  // The X block is stored tile by tile ([k / tk][tm, tk]) so that every matmul operand is one
  // contiguous tile, as the matrix unit's tiled layout keeps it.
  const std::uint32_t ktiles = (k + tk - 1) / tk;
  const BufferRef xb = b.buffer("x_block", dt, ktiles * tm, tk);
  struct WeightSet {
    BufferRef raw, unpacked, converted, wide, scale;
  };
  struct ThreadSets {
    WeightSet ws[2];
    BufferRef acc[2], yt[2], prod, prodf;
  };
  std::vector<ThreadSets> sets(threads);
  for (std::uint32_t th = 0; th < threads; ++th) {
    const std::string t = threads > 1 ? fmt::format("_t{}", th) : "";
    ThreadSets& ts = sets[th];
    for (int i = 0; i < 2; ++i) {
      const std::string n = std::to_string(i) + t;
      WeightSet& w = ts.ws[i];
      if (is_float_weights(wf)) {
        w.raw = b.buffer("w_raw" + n, weight_storage_dtype(wf), tk, tn);
      } else {
        w.raw = b.buffer("w_raw" + n, DType::int8, tk, wf == WeightFormat::int4 ? tn / 2 : tn);
        if (wf == WeightFormat::int4) w.unpacked = b.buffer("w_int8_" + n, DType::int8, tk, tn);
        w.scale = b.buffer("w_scale" + n, pl.scale_dtype, 1, tn);
      }
      if (pl.needs_convert) w.converted = b.buffer("w_op" + n, dt, tk, tn);
      if (is_float_weights(wf) && int_dt) w.wide = b.buffer("w_fp32_" + n, DType::fp32, tk, tn);
    }
    for (int i = 0; i < 2; ++i) {
      ts.acc[i] = b.buffer("acc" + std::to_string(i) + t, DType::fp32, tm, tn);
      ts.yt[i] = b.buffer("y_tile" + std::to_string(i) + t, dt, tm, tn);
    }
    if (int_dt) {
      ts.prod = b.buffer("prod" + t, DType::int32, tm, tn);
      ts.prodf = b.alias("prod_f" + t, DType::fp32, tm, tn, ts.prod);
    }
  }

  const std::uint8_t lq = 0, sq = static_cast<std::uint8_t>(hw.core.dma.queues > 1 ? 1 : 0);
  // One tile of the row block at m0 on thread th's sets.
  std::vector<std::uint64_t> wcount(workers), tcount(workers);
  auto emit_tile = [&](std::uint32_t w, std::uint32_t th, const Tile& tile, std::uint32_t m0, std::uint32_t rows) {
    const ThreadSets& ts = sets[th];
    const std::size_t si = tile.spec;
    const ProjectionOutput& o = *tile.out;
    const int w_scale = scales.of(specs[si].weight);
    const std::uint32_t width = tile.width, n0 = tile.n0, col = o.col + n0;
    const Operand cv = ts.acc[tcount[w] % 2].view(0, rows, 0, width);
    for (std::uint32_t k0 = 0, kt = 0; k0 < k; k0 += tk, ++kt, ++wcount[w]) {
      const std::uint32_t kk = std::min(tk, k - k0);
      const WeightSet& s = ts.ws[wcount[w] % 2];
      // Load the tile in its storage format.
      if (wf == WeightFormat::int4) {
        b.dma_load(s.raw.view(0, kk, 0, width / 2), wt[si].view(0, k0, kk, col / 2, width / 2), lq);
      } else {
        b.dma_load(s.raw.view(0, kk, 0, width), wt[si].view(0, k0, kk, col, width), lq);
      }
      if (!is_float_weights(wf)) b.dma_load(s.scale.view(0, 1, 0, width), st[si].view(0, kt, 1, col, width), lq);
      // Convert it to the matmul operand.
      Operand stored = s.raw.view(0, kk, 0, width);
      if (wf == WeightFormat::int4) {
        const Operand hi = s.unpacked.view(0, kk, width / 2, width / 2), lo = s.unpacked.view(0, kk, 0, width / 2);
        Attrs floor_div;
        floor_div.shift = 4;
        floor_div.round = Rounding::floor;
        b.vec(Opcode::vec_requant, hi, s.raw.view(0, kk, 0, width / 2), {}, {}, floor_div);
        b.vec(Opcode::vec_fma, lo, hi, imm(-16), s.raw.view(0, kk, 0, width / 2));
        b.vec(Opcode::vec_add, lo, lo, imm(-8));
        stored = s.unpacked.view(0, kk, 0, width);
      }
      Operand operand = stored;
      if (pl.needs_convert) {
        operand = s.converted.view(0, kk, 0, width);
        if (is_float_weights(wf) && int_dt) {  // quantise the float tile at the weight's scale
          const Operand wide = s.wide.view(0, kk, 0, width);
          b.vec(Opcode::vec_cast, wide, stored);
          b.vec(Opcode::vec_mul, wide, wide, imm(std::ldexp(1.0, w_scale)));
          b.vec(Opcode::vec_cast, operand, wide);
        } else {
          b.vec(Opcode::vec_cast, operand, stored);
          if (!int_dt && !is_float_weights(wf)) b.vec(Opcode::vec_mul, operand, operand, s.scale.view(0, 1, 0, width));
        }
      }
      const Operand xa = xb.view(kt * tm, rows, 0, kk);
      if (!int_dt) {
        b.matmul(cv, xa, operand, kt > 0);
        continue;
      }
      const Operand pv = ts.prod.view(0, rows, 0, width), pf = ts.prodf.view(0, rows, 0, width);
      b.matmul(pv, xa, operand);
      b.vec(Opcode::vec_cast, pf, pv);
      const Operand row = is_float_weights(wf) ? imm(std::ldexp(1.0, -(x_scale + w_scale))) : s.scale.view(0, 1, 0, width);
      if (kt == 0) {
        b.vec(Opcode::vec_mul, cv, pf, row);
      } else {
        b.vec(Opcode::vec_fma, cv, pf, row, cv);
      }
    }
    const Operand yv = ts.yt[tcount[w] % 2].view(0, rows, 0, width);
    ops.to_dt(yv, cv, scales.of(o.name));
    b.dma_store(o.tensor.view(0, m0, rows, n0, width), yv, sq);
    ++tcount[w];
  };
  for (std::uint32_t m0 = 0; m0 < tokens; m0 += tm) {
    const std::uint32_t rows = std::min(tm, tokens - m0);
    for (std::uint32_t core = 0; core < cores; ++core) {
      // Thread 0 loads the core's X block and releases the core's other threads; before the next
      // block overwrites it, it waits until each of them is done with this one.
      std::uint32_t others = 0;
      for (std::uint32_t w = core + hw.cores; w < workers; w += hw.cores) ++others;
      const std::string ready = fmt::format("x_ready_c{}", core), done = fmt::format("x_done_c{}", core);
      for (std::uint32_t w = core; w < workers; w += hw.cores) {
        const std::uint32_t th = w / hw.cores;
        if (hw.cores > 1 || threads > 1) b.core(core, th);
        b.comment(fmt::format("rows {}..{}", m0, m0 + rows - 1));
        if (others > 0) b.begin_capture();
        if (th == 0) {
          for (std::uint32_t i = 0; i < others && m0 > 0; ++i) b.wait(done);
          for (std::uint32_t k0 = 0, kt = 0; k0 < k; k0 += tk, ++kt) {
            const std::uint32_t kk = std::min(tk, k - k0);
            b.dma_load(xb.view(kt * tm, rows, 0, kk), x.view(0, m0, rows, k0, kk), lq);
          }
          for (std::uint32_t i = 0; i < others; ++i) b.signal(ready);
        } else {
          b.wait(ready);
        }
        for (std::size_t ti = w; ti < tiles.size(); ti += workers) emit_tile(w, th, tiles[ti], m0, rows);
        if (th > 0) b.signal(done);
        // The core's threads share its matrix unit: each run of matmuls holds it.
        if (others > 0) b.append(with_matrix_locks(b.end_capture()));
      }
    }
  }
  summary += fmt::format("{}x{}x{} tiles ({} rows of X resident, {} weights, {} output tile{} per row block", tm, tk,
                         tn, tm, weight_format_name(wf), tiles.size(), tiles.size() == 1 ? "" : "s");
  summary += threads > 1 ? fmt::format(", on {} threads per core)", threads) : ")";
  return layouts;
}

}  // namespace npusim::kernels
