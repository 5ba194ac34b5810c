#include "sim/run/layer.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <limits>
#include <ostream>

#include "kernels/inverse/reference.hpp"
#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "npu/isa/check.hpp"
#include "npu/numerics/execute.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/config/model_config.hpp"
#include "sim/io/npy.hpp"
#include "sim/io/tensors.hpp"
#include "sim/report/analysis.hpp"
#include "sim/report/json.hpp"
#include "sim/report/stats.hpp"
#include "sim/report/trace.hpp"
#include "sim/run/progress.hpp"
#include "sim/run/resources.hpp"
#include "sim/run/run_program.hpp"

namespace npusim::sim {
namespace json = boost::json;
namespace fs = std::filesystem;
using kernels::Mat;
using kernels::Stage;

namespace {

std::string supported_vector_dtypes(const npu::NpuConfig& hw) {
  std::string out;
  for (npu::DType t : npu::kAllDTypes) {
    if (hw.core.vector.supports(t)) out += (out.empty() ? "" : ", ") + std::string(npu::dtype_name(t));
  }
  return out;
}

/// Tensors that stay fp32 whatever the layer dtype (no scale).
bool is_fp32_tensor(const std::string& name) {
  return name == "g" || name == "beta" || name == "gc" || name == "conv_w" || name == "neg_a" || name == "dt_bias" ||
         name == "norm_w";
}

int tensor_scale(const kernels::LayerScales& sc, const std::string& name) {
  if (name == "A") return sc.inverse.a;
  if (name == "T") return sc.inverse.t;
  return sc.of(name);
}

/// The logical weights behind a weight tensor of a projection stage, side by side.
kernels::Weight combined_weight(const kernels::LayerWeights& w, const std::string& name) {
  std::vector<const kernels::Weight*> parts;
  if (name == "w_qkvz") parts = {&w.w_qkv, &w.w_z};
  if (name == "w_ba") parts = {&w.w_b, &w.w_a};
  if (name == "w_qkv") parts = {&w.w_qkv};
  if (name == "w_z") parts = {&w.w_z};
  if (name == "w_b") parts = {&w.w_b};
  if (name == "w_a") parts = {&w.w_a};
  if (name == "w_out") parts = {&w.w_out};
  NPUSIM_ASSERT(!parts.empty(), "unknown weight " + name);
  std::uint32_t n = 0;
  for (const auto* p : parts) n += p->w.cols;
  kernels::Weight out;
  const std::uint32_t k = parts[0]->w.rows;
  out.w = Mat(k, n);
  const bool quantised = !parts[0]->codes.empty();
  if (quantised) {
    out.codes.resize(std::size_t{k} * n);
    out.scales = Mat(parts[0]->scales.rows, n);
  }
  std::uint32_t c0 = 0;
  for (const auto* p : parts) {
    for (std::uint32_t r = 0; r < k; ++r) {
      for (std::uint32_t c = 0; c < p->w.cols; ++c) {
        out.w.at(r, c0 + c) = p->w.at(r, c);
        if (quantised) out.codes[std::size_t{r} * n + c0 + c] = p->codes[std::size_t{r} * p->w.cols + c];
      }
    }
    if (quantised) {
      for (std::uint32_t g = 0; g < p->scales.rows; ++g)
        for (std::uint32_t c = 0; c < p->w.cols; ++c) out.scales.at(g, c0 + c) = p->scales.at(g, c);
    }
    c0 += p->w.cols;
  }
  return out;
}

const Mat& parameter(const kernels::LayerWeights& w, const std::string& name) {
  if (name == "conv_w") return w.conv_w;
  if (name == "neg_a") return w.neg_a;
  if (name == "dt_bias") return w.dt_bias;
  return w.norm_w;
}

void store(std::vector<std::uint8_t>& dram, const npu::DramTensor& t, const Mat& m, int scale,
           std::uint64_t& saturations) {
  NPUSIM_ASSERT(m.v.size() == t.elements(), "host tensor " + t.name + " has the wrong size");
  const double f = npu::is_int(t.dtype) ? std::ldexp(1.0, scale) : 1.0;
  std::uint8_t* base = dram.data() + t.address;
  for (std::size_t i = 0; i < m.v.size(); ++i) {
    if (npu::store_element(base, t.dtype, i, m.v[i] * f)) ++saturations;
  }
}

Mat load(const std::vector<std::uint8_t>& dram, const npu::DramTensor& t, int scale) {
  const std::uint32_t cols = t.cols();
  Mat m(static_cast<std::uint32_t>(t.elements() / cols), cols);
  const double f = npu::is_int(t.dtype) ? std::ldexp(1.0, -scale) : 1.0;
  const std::uint8_t* base = dram.data() + t.address;
  for (std::size_t i = 0; i < m.v.size(); ++i) m.v[i] = npu::load_element(base, t.dtype, i) * f;
  return m;
}

/// Fills a projection weight (and its group scales) in its storage format.
void store_weight(std::vector<std::uint8_t>& dram, const npu::Program& p, const kernels::WeightLayout& wl,
                  const kernels::Weight& w, kernels::WeightFormat format, npu::DType dt, int x_scale) {
  const npu::DramTensor& t = *p.find_tensor(wl.tensor);
  std::uint8_t* base = dram.data() + t.address;
  if (kernels::is_float_weights(format)) {
    for (std::size_t i = 0; i < w.w.v.size(); ++i) npu::store_element(base, t.dtype, i, w.w.v[i]);
    return;
  }
  if (format == kernels::WeightFormat::int8) {
    for (std::size_t i = 0; i < w.codes.size(); ++i) npu::store_element(base, t.dtype, i, w.codes[i]);
  } else {
    const std::uint32_t half = wl.n / 2;
    for (std::uint32_t r = 0; r < wl.k; ++r) {
      for (const auto& [col, width] : wl.tiles) {
        for (std::uint32_t c = 0; c < width / 2; ++c) {
          const int lo = w.codes[std::size_t{r} * wl.n + col + c], hi = w.codes[std::size_t{r} * wl.n + col + width / 2 + c];
          npu::store_element(base, t.dtype, std::size_t{r} * half + col / 2 + c, 16 * hi + lo + 8);
        }
      }
    }
  }
  const npu::DramTensor& s = *p.find_tensor(wl.scales);
  const double f = npu::is_int(dt) ? std::ldexp(1.0, -x_scale) : 1.0;
  for (std::size_t i = 0; i < w.scales.v.size(); ++i) npu::store_element(dram.data() + s.address, s.dtype, i, w.scales.v[i] * f);
}

/// What the stages of one layer run share while they run.
struct Context {
  const npu::NpuConfig& hw;
  const LayerRunOptions& opt;
  kernels::LayerParams params;
  kernels::LayerShape shape;
  kernels::LayerScales scales;
  std::optional<kernels::LayerWeights> weights;
  std::map<std::string, Mat> host;   // stage tensors as computed (numerics)
  std::uint64_t input_saturations = 0;
  std::size_t stage_index = 0, stage_count = 1;
  Progress* bar = nullptr;
};

/// Host memory of numerics mode besides the stage programs: every stage tensor twice (the fp64
/// reference and the values the stages computed), in doubles.
MemoryEstimate estimate_host_tensors(const kernels::LayerShape& s) {
  const std::uint64_t per_token = std::uint64_t{s.hidden} * 2 + std::uint64_t{s.conv_dim()} * 2 +
                                  std::uint64_t{s.value_dim()} * 9 + std::uint64_t{s.key_dim()} * 5 + s.hv * 4;
  const std::uint64_t per_chunk_head = 2 * std::uint64_t{s.chunk} * s.chunk + std::uint64_t{s.dk} * s.dv;
  MemoryEstimate e;
  e.add("layer tensors and their fp64 reference",
        sat_mul(2 * sizeof(double), sat_add(sat_mul(s.tokens, per_token), sat_mul(std::uint64_t{s.chunks} * s.hv,
                                                                                  per_chunk_head))));
  return e;
}

std::shared_ptr<const StageRun> run_stage(Context& cx, Stage stage) {
  auto run = std::make_shared<StageRun>();
  run->stage = stage;
  const std::string name = kernels::stage_name(stage);
  if (cx.bar) cx.bar->step(fmt::format("stage {} of {}: {}", cx.stage_index + 1, cx.stage_count, name));
  kernels::StageProgram sp = kernels::build_stage(stage, cx.hw, cx.params, cx.scales);
  npu::check_program(sp.program, cx.hw);
  MemoryEstimate need = estimate_program(cx.hw, sp.program, cx.opt.numerics);
  if (cx.opt.numerics) need.add(estimate_host_tensors(cx.shape));
  check_memory(need, cx.opt.max_memory, "the layer's " + name + " stage",
               cx.opt.numerics ? "try --timing-only or fewer tokens" : "try fewer tokens");
  check_run_length(cx.hw, sp.program);
  run->summary = sp.summary;
  std::vector<std::uint8_t> dram;
  const bool numerics = cx.opt.numerics;
  if (numerics) {
    dram = build_dram_image(sp.program, ".", {});
    const npu::DType dt = cx.params.dtype;
    for (const auto& wl : sp.weights) {
      const int xs = cx.scales.of(stage == Stage::in_proj ? "x" : "on");
      store_weight(dram, sp.program, wl, combined_weight(*cx.weights, wl.name), cx.params.weights, dt, xs);
    }
    for (const auto& input : sp.inputs) {
      bool is_weight = false;
      for (const auto& wl : sp.weights) is_weight |= input == wl.tensor || input == wl.scales;
      if (is_weight) continue;
      const npu::DramTensor& t = *sp.program.find_tensor(input);
      if (input == "conv_w" || input == "neg_a" || input == "dt_bias" || input == "norm_w") {
        store(dram, t, parameter(*cx.weights, input), 0, cx.input_saturations);
      } else {
        store(dram, t, cx.host.at(input), is_fp32_tensor(input) ? 0 : tensor_scale(cx.scales, input),
              cx.input_saturations);
      }
    }
  }
  npu::SimOptions so;
  so.numerics = numerics;
  if (cx.bar) so.progress = cx.bar->callback();
  run->result = npu::simulate(cx.hw, sp.program, so, numerics ? &dram : nullptr);
  if (numerics) {
    for (const auto& output : sp.outputs) {
      const npu::DramTensor& t = *sp.program.find_tensor(output);
      cx.host[output] = load(dram, t, is_fp32_tensor(output) ? 0 : tensor_scale(cx.scales, output));
    }
  }
  run->stats = make_stats(cx.hw, run->result, RunInfo{cx.opt.hw_path, "stage:" + name, numerics});
  add_analysis(run->stats, cx.hw, sp.program, run->result);
  if (stage == Stage::inverse) {
    json::object inv;
    inv["name"] = cx.params.inverse;
    inv["summary"] = sp.inverse.summary;
    inv["order"] = sp.inverse.order;
    inv["steps"] = sp.inverse.steps;
    inv["sum"] = sp.inverse.sum;
    inv["mask"] = sp.inverse.mask;
    inv["interleave"] = sp.inverse.interleave;
    run->stats["kernel"] = std::move(inv);
  }
  if (cx.opt.keep_records) {
    run->program = std::move(sp.program);
  } else {
    for (auto& c : run->result.cores) c.threads = {};
  }
  ++cx.stage_index;
  return run;
}

json::value accuracy_json(const kernels::TensorAccuracy& a) {
  const bool finite = a.nonfinite == 0;
  auto num = [&](double v) { return finite && std::isfinite(v) ? json::value(v) : json::value(nullptr); };
  return json::object{{"snr_db", num(a.snr_db)},
                      {"rel_fro_error", num(a.rel_fro_error)},
                      {"max_abs_error", num(a.max_abs_error)},
                      {"nonfinite", a.nonfinite},
                      {"exact", finite && a.rel_fro_error == 0}};
}

/// Sums the stages' counters into one run result (cycles add up: the stages run in turn).
npu::RunResult merge(const npu::NpuConfig& hw, const std::vector<std::shared_ptr<const StageRun>>& stages) {
  npu::RunResult m;
  m.cores.resize(hw.cores);
  for (auto& c : m.cores) c.units.resize(npu::unit_count(hw.core));
  for (const auto& s : stages) {
    const npu::RunResult& r = s->result;
    m.cycles += r.cycles;
    m.instructions += r.instructions;
    m.dram_active_cycles += r.dram_active_cycles;
    for (std::size_t c = 0; c < r.cores.size(); ++c) {
      for (std::size_t u = 0; u < r.cores[c].units.size(); ++u) m.cores[c].units[u].add(r.cores[c].units[u]);
      m.cores[c].numerics.saturations += r.cores[c].numerics.saturations;
      m.cores[c].numerics.nonfinite += r.cores[c].numerics.nonfinite;
    }
  }
  for (auto& c : m.cores) c.end = m.cycles;
  return m;
}

bool core_stage(Stage s) { return s >= Stage::cumsum && s <= Stage::output; }

json::object layer_info(const LayerRunOptions& o, const kernels::LayerParams& p, const kernels::LayerShape& s,
                        const kernels::LayerScales& sc) {
  json::object l;
  l["model"] = p.model.name;
  l["model_file"] = o.model_path;
  l["seq"] = s.seq;
  l["tokens"] = s.tokens;
  l["chunk"] = s.chunk;
  l["chunks"] = s.chunks;
  l["dtype"] = npu::dtype_name(p.dtype);
  l["weights"] = kernels::weight_format_name(p.weights);
  l["stages"] = core_only(o) ? "core" : "layer";
  if (!o.input_dir.empty()) {
    l["input"] = json::object{{"dir", o.input_dir}};
  } else if (o.core_inputs) {
    l["input"] = json::object{{"given", "in memory"}};
  } else {
    l["input"] = json::object{{"generator", "gdn-layer"}, {"seed", o.seed}};
  }
  if (npu::is_int(p.dtype) && o.numerics) {
    json::object scales;
    for (const auto& [k, v] : sc.scale) scales[k] = v;
    scales["A"] = sc.inverse.a;
    scales["T"] = sc.inverse.t;
    l["int_scales"] = std::move(scales);
  } else {
    l["int_scales"] = nullptr;
  }
  return l;
}

std::string pct(double f) { return fmt::format("{:.1f}%", 100 * f); }

/// The layer's stats: the run keys of the summed stages, the layer, every stage, the core.
json::object layer_stats(const Context& cx, const LayerRun& run) {
  const npu::RunResult merged = merge(cx.hw, run.stages);
  json::object s = make_stats(cx.hw, merged, RunInfo{cx.opt.hw_path, "layer:" + cx.params.model.name, cx.opt.numerics});
  s["layer"] = layer_info(cx.opt, cx.params, cx.shape, cx.scales);
  const double total = double(merged.cycles);
  json::object stages;
  std::uint64_t core_cycles = 0, inverse_cycles = 0;
  std::string largest;
  std::uint64_t largest_cycles = 0;
  for (const auto& st : run.stages) {
    const std::string name = kernels::stage_name(st->stage);
    const json::object& ss = st->stats;
    json::object o;
    o["cycles"] = st->result.cycles;
    o["share"] = total > 0 ? double(st->result.cycles) / total : 0.0;
    o["instructions"] = st->result.instructions;
    o["summary"] = st->summary;
    o["binding"] = ss.at("bounds").as_object().at("binding");
    o["binding_fraction"] = ss.at("bounds").as_object().at("binding_fraction");
    const auto& cp = ss.at("critical_path").as_object();
    o["critical_path"] = json::object{{"by_unit", cp.at("by_unit")}, {"by_cause", cp.at("by_cause")}};
    o["handoff_cycles"] = json_u64(ss.at("handoff").as_object().at("matrix_to_vector").as_object().at("cycles")) +
                          json_u64(ss.at("handoff").as_object().at("vector_to_matrix").as_object().at("cycles"));
    o["explanation"] = ss.at("explanation");
    if (ss.contains("kernel")) o["kernel"] = ss.at("kernel");
    stages[name] = std::move(o);
    if (core_stage(st->stage)) core_cycles += st->result.cycles;
    if (st->stage == Stage::inverse) inverse_cycles = st->result.cycles;
    if (st->result.cycles > largest_cycles) {
      largest_cycles = st->result.cycles;
      largest = name;
    }
  }
  s["stages"] = std::move(stages);
  s["core"] = json::object{{"cycles", core_cycles},
                           {"share", total > 0 ? double(core_cycles) / total : 0.0},
                           {"inverse_share", core_cycles > 0 ? double(inverse_cycles) / double(core_cycles) : 0.0}};
  s["inverse_share"] = total > 0 ? double(inverse_cycles) / total : 0.0;
  const std::string what = core_only(cx.opt) ? "core" : "layer";
  std::string explanation = fmt::format("The {} takes {} cycles; the largest stage is {} ({}); the inverse ({}) is {} "
                                        "of the {}",
                                        what, grouped(merged.cycles), largest, pct(largest_cycles / total), run.inverse,
                                        pct(inverse_cycles / total), what);
  if (!core_only(cx.opt)) {
    explanation += fmt::format(" and {} of the chunked core (cumsum to output, {} of the layer)",
                               pct(core_cycles ? double(inverse_cycles) / core_cycles : 0.0), pct(core_cycles / total));
  }
  s["explanation"] = explanation + ".";
  return s;
}

void validate_core_value(const std::string& path, const std::string& what, std::uint64_t t, std::uint64_t h,
                         std::uint64_t d, bool has_d, double v) {
  const std::string at = has_d ? fmt::format("{}[{}, {}, {}]", what, t, h, d) : fmt::format("{}[{}, {}]", what, t, h);
  if (!std::isfinite(v)) throw InputError(fmt::format("{}: {} is {}; the inputs must be finite", path, at, v));
  if (what == "g" && v > 0) {
    throw InputError(fmt::format("{}: {} = {} > 0; g is a log decay (-exp(A_log) softplus(...) <= 0)", path, at, v));
  }
  if (what == "beta" && (v < 0 || v > 1)) {
    throw InputError(fmt::format("{}: {} = {} is outside [0, 1]; beta is a sigmoid", path, at, v));
  }
}

/// Reads one core input into rows [0, tokens) of `out` ([padded tokens, heads x dim]).
void read_core_input(const std::string& dir, const std::string& what, std::uint32_t tokens, std::uint32_t heads,
                     std::uint32_t dim, Mat& out) {
  const std::string path = (fs::path(dir) / (what + ".npy")).string();
  const NpyArray a = read_npy(path);
  if (!a.is_float()) throw InputError(fmt::format("{}: {} must be float32, got '{}'", path, what, a.descr));
  const bool has_d = dim > 0;
  const std::vector<std::uint64_t> want =
      has_d ? std::vector<std::uint64_t>{tokens, heads, dim} : std::vector<std::uint64_t>{tokens, heads};
  if (a.shape != want) {
    NpyArray expected;
    expected.shape = want;
    throw InputError(fmt::format("{}: {} must have shape {} (tokens{}), got {}", path, what, expected.shape_text(),
                                 has_d ? " x heads x head dim" : " x value heads", a.shape_text()));
  }
  const std::uint64_t row = std::uint64_t{heads} * std::max<std::uint32_t>(dim, 1);
  for (std::uint64_t i = 0; i < a.elements(); ++i) {
    const double v = a.at(i);
    const std::uint64_t t = i / row, rest = i % row;
    validate_core_value(path, what, t, has_d ? rest / dim : rest, has_d ? rest % dim : 0, has_d, v);
    out.at(static_cast<std::uint32_t>(t), static_cast<std::uint32_t>(rest)) = v;
  }
}

}  // namespace

std::uint32_t core_input_tokens(const std::string& dir) {
  const std::string path = (fs::path(dir) / "q.npy").string();
  const NpyArray a = read_npy(path);
  if (a.shape.empty() || a.shape[0] == 0 || a.shape[0] > kMaxSeq) {
    throw InputError(fmt::format("{}: q must have shape (tokens, key heads, head dim) with 1 to {} tokens, got {}",
                                 path, kMaxSeq, a.shape_text()));
  }
  return static_cast<std::uint32_t>(a.shape[0]);
}

std::uint32_t read_core_inputs(const std::string& dir, const kernels::LayerShape& s, kernels::LayerTensors& out) {
  auto& t = out.t;
  t["q"] = Mat(s.tokens, s.key_dim());
  t["k"] = Mat(s.tokens, s.key_dim());
  t["v"] = Mat(s.tokens, s.value_dim());
  t["g"] = Mat(s.tokens, s.hv);
  t["beta"] = Mat(s.tokens, s.hv);
  read_core_input(dir, "q", s.seq, s.hk, s.dk, t["q"]);
  read_core_input(dir, "k", s.seq, s.hk, s.dk, t["k"]);
  read_core_input(dir, "v", s.seq, s.hv, s.dv, t["v"]);
  read_core_input(dir, "g", s.seq, s.hv, 0, t["g"]);
  read_core_input(dir, "beta", s.seq, s.hv, 0, t["beta"]);
  return s.seq;
}

void check_layer_options(const LayerRunOptions& o) {
  const auto& p = o.params;
  if (p.seq == 0 || p.seq > kMaxSeq) {
    throw InputError(fmt::format("--seq {}: expected 1 to {} tokens", p.seq, kMaxSeq));
  }
  if (p.chunk != 16 && p.chunk != 32 && p.chunk != 64 && p.chunk != 128) {
    throw InputError(fmt::format("--chunk {}: the chunk size must be 16, 32, 64 or 128", p.chunk));
  }
  if (o.inverses.empty() || o.inverses.size() > 2) throw InputError("--compare-inverse takes two kernels: A,B");
  for (const auto& k : o.inverses) kernels::find_inverse_kernel(k);
}

LayerResult run_layer(const npu::NpuConfig& hw, const LayerRunOptions& o) {
  check_layer_options(o);
  Context cx{hw, o, o.params, kernels::LayerShape(o.params), {}, {}, {}, 0, 0, 1, nullptr};
  const bool core = core_only(o);
  const npu::DType dt = o.params.dtype;
  if (!hw.core.matrix.rate(dt)) {
    throw InputError(fmt::format("--dtype {}: {} has no {} matmuls (npusim validate --hw shows what it supports)",
                                 npu::dtype_name(dt), hw.name, npu::dtype_name(dt)));
  }
  // Vector work is fp32; conversions touch the dtype, integer products (int32) and the stored weights.
  std::vector<npu::DType> vector_needs = {npu::DType::fp32, dt};
  if (npu::is_int(dt)) vector_needs.push_back(npu::DType::int32);
  const npu::DType stored = kernels::weight_storage_dtype(o.params.weights);
  if (stored != dt && !core) vector_needs.push_back(stored);
  for (npu::DType t : vector_needs) {
    if (!hw.core.vector.supports(t)) {
      throw InputError(fmt::format("--dtype {} --weights {}: the layer needs {} vector arithmetic, which {} does not "
                                   "have (it computes in {})",
                                   npu::dtype_name(dt), kernels::weight_format_name(o.params.weights),
                                   npu::dtype_name(t), hw.name, supported_vector_dtypes(hw)));
    }
  }

  // Every stage's buffers must fit whatever the length: find out on one chunk before computing
  // or simulating anything long.
  const std::vector<Stage> stages = kernels::layer_stages(core);
  {
    kernels::LayerParams one = cx.params;
    one.seq = one.chunk;
    for (const std::string& inverse : o.inverses) {
      one.inverse = inverse;
      for (Stage st : stages) {
        if (st == Stage::inverse || inverse == o.inverses.front()) kernels::build_stage(st, hw, one, cx.scales);
      }
    }
  }
  Progress bar(fmt::format("simulating the {} layer", o.params.model.name), o.progress);
  cx.bar = &bar;
  // Inputs, parameters, the fp64 reference and (integer dtypes) the scales.
  kernels::LayerTensors ref;
  if (o.numerics) {
    check_memory(estimate_host_tensors(cx.shape), o.max_memory, "the layer in numerics mode",
                 "try --timing-only or fewer tokens");
    bar.step("the fp64 reference");
    if (o.core_inputs) {
      ref = *o.core_inputs;
    } else if (core) {
      read_core_inputs(o.input_dir, cx.shape, ref);
    } else {
      const npu::DType scale_dtype = npu::is_int(dt) ? npu::DType::fp32 : dt;
      cx.weights = kernels::generate_weights(cx.shape, o.params.weights, scale_dtype, o.seed);
      ref.t["x"] = kernels::generate_input(cx.shape, o.seed);
    }
    if (core) {
      kernels::reference_core(cx.shape, ref);
    } else {
      ref = kernels::reference_layer(cx.shape, o.params.model, *cx.weights, ref.t.at("x"));
    }
    if (npu::is_int(dt)) {
      cx.scales = kernels::calibrate_layer_scales(cx.shape, ref, dt, o.params.inverse_params);
      if (cx.weights) {
        const double qmax = double(npu::int_max(dt));
        auto wmax = [](std::initializer_list<const kernels::Weight*> ws) {
          double m = 0;
          for (const auto* w : ws) m = std::max(m, w->w.max_abs());
          return m;
        };
        const auto& w = *cx.weights;
        cx.scales.scale["w_qkvz"] = kernels::scale_for(wmax({&w.w_qkv, &w.w_z}), qmax, 1.0);
        cx.scales.scale["w_ba"] = kernels::scale_for(wmax({&w.w_b, &w.w_a}), qmax, 1.0);
        for (const auto& [name, wt] : std::initializer_list<std::pair<const char*, const kernels::Weight*>>{
                 {"w_qkv", &w.w_qkv}, {"w_z", &w.w_z}, {"w_b", &w.w_b}, {"w_a", &w.w_a}, {"w_out", &w.w_out}}) {
          cx.scales.scale[name] = kernels::scale_for(wt->w.max_abs(), qmax, 1.0);
        }
      }
    }
    for (const char* name : {"x", "q", "k", "v", "g", "beta"}) {
      if (ref.t.count(name)) cx.host[name] = ref.t.at(name);
    }
  }

  cx.stage_count = stages.size() * o.inverses.size();

  LayerResult out;
  std::map<Stage, std::shared_ptr<const StageRun>> shared;  // stages that do not depend on the inverse kernel
  std::map<std::string, Mat> at_inverse;  // numerics: the tensors the stages before the inverse produced
  for (std::size_t k = 0; k < o.inverses.size(); ++k) {
    const std::string& inverse = o.inverses[k];
    cx.params.inverse = inverse;
    if (k > 0) cx.host = at_inverse;
    LayerRun run;
    run.inverse = inverse;
    bool after_inverse = false;
    for (Stage st : stages) {
      if (st == Stage::inverse) {
        after_inverse = true;
        if (k == 0 && o.inverses.size() > 1) at_inverse = cx.host;
      }
      const bool reusable = st != Stage::inverse && (!after_inverse || !o.numerics);
      auto it = shared.find(st);
      if (reusable && it != shared.end()) {
        run.stages.push_back(it->second);
        ++cx.stage_index;
        continue;
      }
      auto sr = run_stage(cx, st);
      if (reusable) shared[st] = sr;
      run.stages.push_back(std::move(sr));
    }
    run.stats = layer_stats(cx, run);
    if (o.numerics) {
      run.o = cx.host.at("o");
      if (!core) run.y = cx.host.at("y");
      json::object acc;
      acc["core_output"] = accuracy_json(kernels::tensor_accuracy(*run.o, ref.t.at("o"), cx.shape.seq));
      acc["layer_output"] =
          core ? json::value(nullptr) : accuracy_json(kernels::tensor_accuracy(*run.y, ref.t.at("y"), cx.shape.seq));
      // The inverse kernel on the A the layer computed, against that A's exact inverse.
      kernels::MatrixBatch a, t;
      a.batch = t.batch = cx.shape.hv * cx.shape.chunks;
      a.n = t.n = cx.shape.chunk;
      a.values = cx.host.at("A").v;
      t.values = cx.host.at("T").v;
      const kernels::Accuracy inv = kernels::measure_accuracy(t, kernels::exact_inverse(a));
      auto opt = [](const std::optional<double>& v) { return v ? json::value(*v) : json::value(nullptr); };
      acc["inverse"] = json::object{{"snr_db", json::object{{"mean", opt(inv.snr_db_mean)}, {"worst", opt(inv.snr_db_worst)}}},
                                    {"rel_fro_error_worst", opt(inv.rel_fro_error_worst)},
                                    {"nonfinite", inv.nonfinite}};
      acc["input_saturations"] = cx.input_saturations;
      run.stats["accuracy"] = std::move(acc);
    } else {
      run.stats["accuracy"] = nullptr;
    }
    out.runs.push_back(std::move(run));
  }

  if (out.runs.size() == 1) {
    out.json = out.runs[0].stats;
    return out;
  }
  const json::object& a = out.runs[0].stats;
  const json::object& b = out.runs[1].stats;
  const double ca = double(json_u64(a.at("cycles"))), cb = double(json_u64(b.at("cycles")));
  const double ia = double(json_u64(a.at("stages").as_object().at("inverse").as_object().at("cycles")));
  const double ib = double(json_u64(b.at("stages").as_object().at("inverse").as_object().at("cycles")));
  json::object c;
  c["npusim"] = a.at("npusim");
  c["hw"] = a.at("hw");
  json::object layer = a.at("layer").as_object();
  c["layer"] = std::move(layer);
  c["inverses"] = json::array{json::value(o.inverses[0]), json::value(o.inverses[1])};
  c["runs"] = json::array{a, b};
  c["layer_reduction"] = ca > 0 ? (ca - cb) / ca : 0.0;
  c["inverse_speedup"] = ib > 0 ? ia / ib : 0.0;
  c["inverse_share"] = json::object{{o.inverses[0], a.at("inverse_share")}, {o.inverses[1], b.at("inverse_share")}};
  const double core_a = double(json_u64(a.at("core").as_object().at("cycles")));
  const double core_b = double(json_u64(b.at("core").as_object().at("cycles")));
  c["core_reduction"] = core_a > 0 ? (core_a - core_b) / core_a : 0.0;
  c["core_inverse_share"] = json::object{{o.inverses[0], a.at("core").as_object().at("inverse_share")},
                                         {o.inverses[1], b.at("core").as_object().at("inverse_share")}};
  const std::string what = core ? "core" : "layer";
  const double saved = (ca - cb) / ca, core_saved = core_a > 0 ? (core_a - core_b) / core_a : 0.0;
  c["explanation"] = fmt::format(
      "With {} the inverse is {:.2f}x {} than with {} ({} -> {} cycles): its share of the {} goes from {} to {} and "
      "the {} takes {} {} cycles{}.",
      o.inverses[1], ia >= ib ? ia / ib : ib / ia, ia >= ib ? "faster" : "slower", o.inverses[0],
      grouped(std::uint64_t(ia)), grouped(std::uint64_t(ib)), what, pct(json_double(a.at("inverse_share"))),
      pct(json_double(b.at("inverse_share"))), what, pct(std::fabs(saved)), saved >= 0 ? "fewer" : "more",
      core ? "" : fmt::format(" ({} {} in the chunked core)", pct(std::fabs(core_saved)), core_saved >= 0 ? "fewer" : "more"));
  out.json = std::move(c);
  return out;
}

namespace {

std::string stage_table(const json::object& s) {
  std::string o = fmt::format("  {:<9} {:>14} {:>7} {:>10} {:>9}  {}\n", "stage", "cycles", "share", "instr", "bound",
                              "critical path");
  for (const auto& kv : s.at("stages").as_object()) {
    const auto& st = kv.value().as_object();
    const auto& cp = st.at("critical_path").as_object();
    std::vector<std::pair<std::uint64_t, std::string>> parts;
    for (const auto& u : cp.at("by_unit").as_object()) parts.emplace_back(json_u64(u.value()), std::string(u.key()));
    for (const auto& u : cp.at("by_cause").as_object()) parts.emplace_back(json_u64(u.value()), std::string(u.key()));
    std::stable_sort(parts.begin(), parts.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    const double cycles = double(json_u64(st.at("cycles")));
    std::string path;
    for (std::size_t i = 0; i < parts.size() && i < 3; ++i) {
      if (parts[i].first == 0) break;
      path += fmt::format("{}{} {:.0f}%", path.empty() ? "" : ", ", parts[i].second, 100.0 * parts[i].first / cycles);
    }
    o += fmt::format("  {:<9} {:>14} {:>6.1f}% {:>10} {:>9}  {}\n", std::string(kv.key()), grouped(json_u64(st.at("cycles"))),
                     100 * json_double(st.at("share")), grouped(json_u64(st.at("instructions"))),
                     std::string(st.at("binding").as_string()), path);
  }
  return o;
}

std::string accuracy_lines(const json::value& a) {
  if (!a.is_object()) return "";
  const auto& acc = a.as_object();
  auto line = [](const std::string& what, const json::value& v) -> std::string {
    if (!v.is_object()) return "";
    const auto& t = v.as_object();
    return fmt::format("  {} vs fp64: SNR {} dB, relative error {}, max abs error {}, {} non-finite\n", what,
                       json_number_or_na(t.at("snr_db"), "{:.1f}"), json_number_or_na(t.at("rel_fro_error"), "{:.3g}"),
                       json_number_or_na(t.at("max_abs_error"), "{:.3g}"), grouped(json_u64(t.at("nonfinite"))));
  };
  std::string o = line("core output o", acc.at("core_output")) + line("layer output y", acc.at("layer_output"));
  const auto& inv = acc.at("inverse").as_object();
  o += fmt::format("  inverse T vs exact (I + A)^-1 of the layer's A: SNR {} dB mean, {} dB worst\n",
                   json_number_or_na(inv.at("snr_db").as_object().at("mean"), "{:.1f}"),
                   json_number_or_na(inv.at("snr_db").as_object().at("worst"), "{:.1f}"));
  return o;
}

std::string layer_header(const json::object& layer) {
  return fmt::format("  layer: {}, {} tokens{} ({} chunk{} of {}), {} activations, {} weights{}\n",
                     layer.at("model").as_string().c_str(), grouped(json_u64(layer.at("seq"))),
                     json_u64(layer.at("tokens")) != json_u64(layer.at("seq"))
                         ? fmt::format(" padded to {}", grouped(json_u64(layer.at("tokens"))))
                         : "",
                     grouped(json_u64(layer.at("chunks"))), json_u64(layer.at("chunks")) == 1 ? "" : "s",
                     json_u64(layer.at("chunk")), layer.at("dtype").as_string().c_str(),
                     layer.at("weights").as_string().c_str(),
                     layer.at("stages").as_string() == "core" ? ", core stages only (inputs from files)" : "");
}

std::string format_run(const json::object& s) {
  json::object plain = s;
  plain.erase("accuracy");
  std::string o = format_summary(plain);
  o += layer_header(s.at("layer").as_object());
  const auto& stages = s.at("stages").as_object();
  o += fmt::format("  inverse: {}\n", stages.at("inverse").as_object().at("summary").as_string().c_str());
  o += stage_table(s);
  o += accuracy_lines(s.at("accuracy"));
  o += std::string(s.at("explanation").as_string()) + "\n";
  return o;
}

}  // namespace

std::string format_layer(const json::object& j) {
  if (!j.contains("runs")) return format_run(j);
  const auto& runs = j.at("runs").as_array();
  const auto& names = j.at("inverses").as_array();
  std::string o;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    o += fmt::format("== inverse {}\n", names[i].as_string().c_str());
    o += format_run(runs[i].as_object());
    o += "\n";
  }
  const auto& a = runs[0].as_object().at("stages").as_object();
  const auto& b = runs[1].as_object().at("stages").as_object();
  o += fmt::format("  {:<9} {:>14} {:>14} {:>9}\n", "stage", names[0].as_string().c_str(), names[1].as_string().c_str(),
                   "change");
  for (const auto& kv : a) {
    const double x = double(json_u64(kv.value().as_object().at("cycles")));
    const double y = double(json_u64(b.at(kv.key()).as_object().at("cycles")));
    o += fmt::format("  {:<9} {:>14} {:>14} {:>8.1f}%\n", std::string(kv.key()), grouped(std::uint64_t(x)),
                     grouped(std::uint64_t(y)), x > 0 ? 100 * (y - x) / x : 0.0);
  }
  const double ca = double(json_u64(runs[0].as_object().at("cycles")));
  const double cb = double(json_u64(runs[1].as_object().at("cycles")));
  o += fmt::format("  {:<9} {:>14} {:>14} {:>8.1f}%\n", "total", grouped(std::uint64_t(ca)), grouped(std::uint64_t(cb)),
                   ca > 0 ? 100 * (cb - ca) / ca : 0.0);
  o += fmt::format("  layer reduction {:.1f}%; inverse share {} -> {}; inverse speedup {:.2f}x\n",
                   100 * json_double(j.at("layer_reduction")),
                   pct(json_double(j.at("inverse_share").as_object().at(names[0].as_string()))),
                   pct(json_double(j.at("inverse_share").as_object().at(names[1].as_string()))),
                   json_double(j.at("inverse_speedup")));
  o += std::string(j.at("explanation").as_string()) + "\n";
  return o;
}

void write_core_output(const std::string& path, const Mat& o, const kernels::LayerShape& s) {
  std::vector<float> f(std::size_t{s.seq} * s.value_dim());
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(o.v[i]);
  write_npy(path, "<f4", {s.seq, s.hv, s.dv}, reinterpret_cast<const std::uint8_t*>(f.data()), f.size() * 4);
}

std::vector<std::string> write_layer_outputs(const LayerResult& r, const npu::NpuConfig& hw,
                                             const kernels::GdnModel& model, const std::string& dir) {
  make_directory(dir);
  std::vector<std::string> written;
  const fs::path d(dir);
  auto text = [&](const fs::path& path, const std::string& body) {
    write_text_file(path.string(), body);
    written.push_back(path.string());
  };
  const json::object& first = r.runs[0].stats;
  kernels::LayerParams p;
  p.model = model;
  p.seq = static_cast<std::uint32_t>(json_u64(first.at("layer").as_object().at("seq")));
  p.chunk = static_cast<std::uint32_t>(json_u64(first.at("layer").as_object().at("chunk")));
  const kernels::LayerShape shape(p);
  text(d / (r.runs.size() == 1 ? "stats.json" : "compare.json"), to_json(r.json));
  text(d / "config.yaml", write_hw_config(hw));
  text(d / "model.yaml", write_model_config(model));
  for (const auto& run : r.runs) {
    const fs::path rd = r.runs.size() == 1 ? d : d / run.inverse;
    if (r.runs.size() > 1) {
      make_directory(rd.string());
      text(rd / "stats.json", to_json(run.stats));
    }
    if (run.o) {
      write_core_output((rd / "o.npy").string(), *run.o, shape);
      written.push_back((rd / "o.npy").string());
    }
    if (run.y) {
      std::vector<float> f(std::size_t{shape.seq} * shape.hidden);
      for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(run.y->v[i]);
      write_npy((rd / "y.npy").string(), "<f4", {shape.seq, shape.hidden}, reinterpret_cast<const std::uint8_t*>(f.data()),
                f.size() * 4);
      written.push_back((rd / "y.npy").string());
    }
  }
  return written;
}

void write_layer_trace(const std::string& path, const npu::NpuConfig& hw, const LayerResult& r) {
  TraceSequence t(path, hw.clock_hz);
  for (const auto& run : r.runs) {
    for (const auto& st : run.stages) {
      const std::string label = (r.runs.size() > 1 ? run.inverse + "/" : "") + kernels::stage_name(st->stage);
      t.add(label, hw, st->program, st->result);
    }
  }
  t.finish(fmt::format("{} stages", r.runs.size() > 1 ? "compared layers'" : "layer"));
}

int run_layer_command(LayerRunOptions o, const LayerCommand& c, std::ostream& out) {
  const npu::NpuConfig hw = read_hw_config(o.hw_path, c.sets);
  kernels::LayerParams& p = o.params;
  p.model = read_model_config(o.model_path);
  if (!o.input_dir.empty()) {
    const std::uint32_t tokens = core_input_tokens(o.input_dir);
    if (c.seq_given && tokens != p.seq) {
      throw InputError(fmt::format("{}/q.npy holds {} tokens but --seq is {}", o.input_dir, tokens, p.seq));
    }
    p.seq = tokens;
  }
  const LayerResult r = run_layer(hw, o);
  auto written = write_layer_outputs(r, hw, p.model, c.out_dir);
  if (!c.trace.empty()) {
    write_layer_trace(c.trace, hw, r);
    written.push_back(c.trace);
  }
  if (!c.dump_output.empty()) {
    write_core_output(c.dump_output, *r.runs[0].o, kernels::LayerShape(p));
    written.push_back(c.dump_output);
  }
  if (c.json) {
    out << to_json(r.json);
  } else if (!c.quiet) {
    out << format_layer(r.json);
    std::string files;
    for (const auto& f : written) files += (files.empty() ? "" : ", ") + f;
    out << "  wrote " << files << '\n';
  }
  return 0;
}

}  // namespace npusim::sim
