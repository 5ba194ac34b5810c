#include "sim/sweep/workload.hpp"

#include <algorithm>
#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <npusim_version.hpp>

#include "kernels/inverse/inverse.hpp"
#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/config/model_config.hpp"
#include "sim/io/tensors.hpp"
#include "sim/report/json.hpp"
#include "sim/run/layer.hpp"
#include "sim/run/run_kernel.hpp"
#include "sim/run/run_program.hpp"

namespace npusim::sim {
namespace json = boost::json;
namespace fs = std::filesystem;

const PointRow* RunCache::find(const std::string& key) {
  const auto it = m_index.find(key);
  if (it == m_index.end()) return nullptr;
  m_entries.splice(m_entries.begin(), m_entries, it->second);
  ++m_hits;
  return &it->second->second;
}

void RunCache::put(const std::string& key, const PointRow& row) {
  if (m_capacity == 0 || m_index.count(key)) return;
  m_entries.emplace_front(key, row);
  m_index[key] = m_entries.begin();
  if (m_entries.size() > m_capacity) {
    m_index.erase(m_entries.back().first);
    m_entries.pop_back();
  }
}

std::shared_ptr<const void> RunCache::find_input(const std::string& key) const {
  for (const auto& [k, v] : m_inputs) {
    if (k == key) return v;
  }
  return nullptr;
}

void RunCache::put_input(const std::string& key, std::shared_ptr<const void> input) {
  constexpr std::size_t kKept = 4;  // a few chunk x dtype combinations in flight
  m_inputs.emplace_front(key, std::move(input));
  if (m_inputs.size() > kKept) m_inputs.pop_back();
}

std::string stable_hash(const std::string& text) {
  // A fixed namespace: the hash of a text never changes between builds or machines.
  static const boost::uuids::uuid ns = boost::uuids::name_generator_sha1(boost::uuids::uuid{})("npusim sweep point");
  std::string s = boost::uuids::to_string(boost::uuids::name_generator_sha1(ns)(text));
  s.erase(std::remove(s.begin(), s.end(), '-'), s.end());
  return s;
}

namespace {

void flatten(const json::value& v, const std::string& prefix, json::object& out) {
  switch (v.kind()) {
    case json::kind::object:
      for (const auto& kv : v.get_object()) {
        flatten(kv.value(), prefix.empty() ? std::string(kv.key()) : prefix + "." + std::string(kv.key()), out);
      }
      break;
    case json::kind::array: case json::kind::null: break;
    default: out[prefix] = v;
  }
}

}  // namespace

json::object flatten_stats(const json::object& stats) {
  json::object out;
  for (const auto& kv : stats) {
    if (kv.key() == "explanation") continue;
    flatten(kv.value(), std::string(kv.key()), out);
  }
  return out;
}

namespace {

/// "" when `v` is a whole number in [lo, hi]; else what was expected.
std::string check_integer(const std::string& v, std::uint64_t lo, std::uint64_t hi) {
  const std::string expected = fmt::format("expected an integer in [{}, {}]", lo, hi);
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) return expected;
  const std::uint64_t n = std::stoull(v);
  return n < lo || n > hi ? expected : "";
}

std::uint32_t as_u32(const std::string& v) { return static_cast<std::uint32_t>(std::stoull(v)); }

/// A parameter of the kernel workloads: how its value is checked and applied to a run.
struct KernelParam {
  ParamDoc doc;
  std::function<std::string(const std::string&)> check;
  std::function<void(KernelRunOptions&, const std::string&)> apply;
};

const std::vector<KernelParam>& kernel_params() {
  static const std::vector<KernelParam> params = {
      {{"chunk", "chunk size C: 16, 32, 64 or 128", ""},
       [](const std::string& v) {
         return v == "16" || v == "32" || v == "64" || v == "128" ? "" : "expected 16, 32, 64 or 128";
       },
       [](KernelRunOptions& o, const std::string& v) { o.params.chunk = as_u32(v); }},
      {{"dtype", "dtype of A, T and the computation", "fp16"},
       [](const std::string& v) {
         return npu::parse_dtype(v) ? std::string() : fmt::format("expected one of {}", npu::dtype_choices());
       },
       [](KernelRunOptions& o, const std::string& v) { o.params.dtype = *npu::parse_dtype(v); }},
      {{"batch", "chunk matrices per run", "1"}, [](const std::string& v) { return check_integer(v, 1, 1 << 20); },
       [](KernelRunOptions& o, const std::string& v) { o.params.batch = as_u32(v); }},
      {{"order", "neumann: series order N", "by chunk"}, [](const std::string& v) { return check_integer(v, 1, 127); },
       [](KernelRunOptions& o, const std::string& v) { o.params.order = as_u32(v); }},
      {{"steps", "neumann: residual terms S (1 to 64); newton_schulz: iterations (0 to 64)", "by chunk"},
       [](const std::string& v) { return check_integer(v, 0, kernels::kMaxSteps); },
       [](KernelRunOptions& o, const std::string& v) { o.params.steps = as_u32(v); }},
      {{"sum", "neumann: residual sum by doubling or horner", "doubling if S is a power of two, else horner"},
       [](const std::string& v) { return v == "doubling" || v == "horner" ? "" : "expected doubling or horner"; },
       [](KernelRunOptions& o, const std::string& v) {
         o.params.sum = v == "doubling" ? kernels::SumMethod::doubling : kernels::SumMethod::horner;
       }},
      {{"mask", "neumann: band, or none (the publication's ablation without the band mask)", "band"},
       [](const std::string& v) { return v == "band" || v == "none" ? "" : "expected band or none"; },
       [](KernelRunOptions& o, const std::string& v) { o.params.band_mask = v == "band"; }},
      {{"interleave", "chunks computed together per core", "2"},
       [](const std::string& v) { return check_integer(v, 1, 64); },
       [](KernelRunOptions& o, const std::string& v) { o.params.interleave = as_u32(v); }},
      {{"seed", "input generator seed", "1"},
       [](const std::string& v) { return check_integer(v, 0, 999'999'999'999'999'999ULL); },
       [](KernelRunOptions& o, const std::string& v) { o.generator.seed = std::stoull(v); }},
      {{"correlation", "input generator key correlation", "0.5"},
       [](const std::string& v) {
         try {
           std::size_t used = 0;
           const double x = std::stod(v, &used);
           if (used == v.size() && x >= 0 && x <= 1) return std::string();
         } catch (...) {
         }
         return std::string("expected a number in [0, 1]");
       },
       [](KernelRunOptions& o, const std::string& v) { o.generator.correlation = std::stod(v); }},
  };
  return params;
}

std::string message_of(const std::exception& e) {
  std::string m = e.what();
  std::replace(m.begin(), m.end(), '\n', ';');
  return m;
}

/// Runs `body`, recording the point's own failures on `row`: a spec or kernel that rejects the
/// point's values is `invalid`, a failed simulation or exhausted memory `error`. Never throws for them.
template <class Body>
void record_failures(PointRow& row, Body&& body) {
  try {
    body();
  } catch (const InputError& e) {
    row.status = "invalid";
    row.message = message_of(e);
  } catch (const SimError& e) {
    row.status = "error";
    row.message = "simulation error: " + message_of(e);
  } catch (const std::bad_alloc&) {
    row.status = "error";
    row.message = "out of memory (see --max-memory)";
  } catch (const std::exception& e) {
    row.status = "error";
    row.message = message_of(e);
  }
}

/// `{kernel: NAME}` (one row per point) and `{compare: [A, B, ...]}` (one row per kernel, all on
/// the same input matrices, speedups against A).
class KernelWorkload : public Workload {
 public:
  KernelWorkload(std::string kind, std::vector<std::string> kernels)
      : m_kind(std::move(kind)), m_kernels(std::move(kernels)) {
    for (const auto& p : kernel_params()) m_docs.push_back(p.doc);
  }

  json::object describe() const override {
    if (m_kind == "kernel") return json::object{{"kernel", m_kernels.front()}};
    json::array ks;
    for (const auto& k : m_kernels) ks.emplace_back(k);
    return json::object{{"compare", std::move(ks)}};
  }
  std::vector<std::string> labels() const override { return m_kernels; }
  const std::vector<ParamDoc>& params() const override { return m_docs; }

  std::string check(const std::string& name, const std::string& value) const override {
    for (const auto& p : kernel_params()) {
      if (p.doc.name == name) return p.check(value);
    }
    return "not a parameter of this workload";
  }

  PointResult run(const PointSpec& point, RunCache& cache) const override {
    PointResult result;
    KernelRunOptions base;
    base.hw_path = point.hw_path;
    base.numerics = point.numerics;
    base.progress = false;
    base.max_memory = point.max_memory;
    std::string params_text;  // every parameter, defaults included: the same run hashes the same
    for (const auto& p : kernel_params()) {
      const auto it = point.params.find(p.doc.name);
      if (it != point.params.end()) p.apply(base, it->second);
      params_text += p.doc.name + "=" + (it == point.params.end() ? "(default)" : it->second) + "\n";
    }
    const std::string head = fmt::format("npusim {}\nmode {}\nworkload {}\n{}", kVersion,
                                         point.numerics ? "numerics" : "timing-only", json::serialize(describe()), params_text);
    npu::NpuConfig hw;
    std::string spec;
    try {
      hw = parse_hw_config(*point.hw_text, point.hw_path, point.overrides);
      spec = write_hw_config(hw);
    } catch (const InputError& e) {
      std::string sets;
      for (const auto& s : point.overrides) sets += s + "\n";
      result.hash = stable_hash(head + "unresolved spec " + point.hw_path + "\n" + *point.hw_text + sets);
      for (const auto& k : m_kernels) result.rows.push_back(PointRow{k, "invalid", message_of(e), std::nullopt, {}});
      return result;
    }
    result.hash = stable_hash(head + "spec\n" + spec);
    for (const auto& name : m_kernels) {
      KernelRunOptions o = base;
      o.kernel = name;
      const auto& options = kernels::find_inverse_kernel(name).options;
      auto uses = [&](const char* opt) { return std::find(options.begin(), options.end(), opt) != options.end(); };
      if (!uses("order")) o.params.order.reset();
      if (!uses("steps")) o.params.steps.reset();
      if (!uses("sum")) o.params.sum = kernels::SumMethod::automatic;
      if (!uses("mask")) o.params.band_mask = true;
      const std::string key = stable_hash(fmt::format(
          "{}\n{} C={} {} batch={} order={} steps={} sum={} mask={} interleave={} seed={} correlation={} numerics={}\n{}",
          name, point.hw_path, o.params.chunk, npu::dtype_name(o.params.dtype), o.params.batch, o.params.order.value_or(0),
          o.params.steps.value_or(0), static_cast<int>(o.params.sum), o.params.band_mask, o.params.interleave, o.generator.seed,
          o.generator.correlation, o.numerics, spec));
      if (const PointRow* hit = cache.find(key)) {
        result.rows.push_back(*hit);
        continue;
      }
      PointRow row{name, "ok", "", std::nullopt, {}};
      record_failures(row, [&] {
        // A and its exact inverse depend only on the generator settings: made once, shared.
        o.shared_input = [&cache](const KernelRunOptions& r) {
          const std::string input_key = fmt::format("{} {} {} {}", r.params.chunk, r.params.batch,
                                                    r.generator.seed, r.generator.correlation);
          auto input = std::static_pointer_cast<const GeneratedInput>(cache.find_input(input_key));
          if (!input) {
            input = generate_input(r);
            cache.put_input(input_key, input);
          }
          return input;
        };
        const KernelRun k = run_kernel(hw, o);
        row.cycles = k.run.result.cycles;
        row.figures = flatten_stats(k.run.stats);
      });
      cache.put(key, row);
      result.rows.push_back(std::move(row));
    }
    return result;
  }

 private:
  std::string m_kind;
  std::vector<std::string> m_kernels;
  std::vector<ParamDoc> m_docs;
};

/// A parameter of the layer workload: a kernel parameter's check (where it has one) or its own,
/// and how it is applied to a layer run.
struct LayerParam {
  ParamDoc doc;
  std::function<std::string(const std::string&)> check;
  std::function<void(LayerRunOptions&, const std::string&)> apply;
};

/// The check of kernel parameter `name` (chunk, dtype, order, ... are checked alike).
std::function<std::string(const std::string&)> kernel_check(const std::string& name) {
  for (const auto& p : kernel_params()) {
    if (p.doc.name == name) return p.check;
  }
  return {};
}

const std::vector<LayerParam>& layer_params() {
  static const std::vector<LayerParam> params = {
      {{"seq", "layer: tokens (the workload's seq unless given)", "the workload's"},
       [](const std::string& v) { return check_integer(v, 1, kMaxSeq); },
       [](LayerRunOptions& o, const std::string& v) { o.params.seq = as_u32(v); }},
      {{"chunk", "chunk size C: 16, 32, 64 or 128", "64"}, kernel_check("chunk"),
       [](LayerRunOptions& o, const std::string& v) { o.params.chunk = as_u32(v); }},
      {{"dtype", "layer: activations and matmul operands of every stage", "fp16"}, kernel_check("dtype"),
       [](LayerRunOptions& o, const std::string& v) { o.params.dtype = *npu::parse_dtype(v); }},
      {{"weights", "layer: projection weights fp16, bf16, int8 or int4", "by dtype"},
       [](const std::string& v) {
         return kernels::parse_weight_format(v) ? std::string() : std::string("expected fp16, bf16, int8 or int4");
       },
       [](LayerRunOptions& o, const std::string& v) { o.params.weights = *kernels::parse_weight_format(v); }},
      {{"order", "neumann: series order N", "by chunk"}, kernel_check("order"),
       [](LayerRunOptions& o, const std::string& v) { o.params.inverse_params.order = as_u32(v); }},
      {{"steps", "neumann: residual terms S; newton_schulz: iterations", "by chunk"}, kernel_check("steps"),
       [](LayerRunOptions& o, const std::string& v) { o.params.inverse_params.steps = as_u32(v); }},
      {{"sum", "neumann: residual sum by doubling or horner", "doubling if S is a power of two, else horner"},
       kernel_check("sum"),
       [](LayerRunOptions& o, const std::string& v) {
         o.params.inverse_params.sum = v == "doubling" ? kernels::SumMethod::doubling : kernels::SumMethod::horner;
       }},
      {{"mask", "neumann: band, or none", "band"}, kernel_check("mask"),
       [](LayerRunOptions& o, const std::string& v) { o.params.inverse_params.band_mask = v == "band"; }},
      {{"interleave", "inverse: chunks computed together per core", "2"}, kernel_check("interleave"),
       [](LayerRunOptions& o, const std::string& v) { o.params.inverse_params.interleave = as_u32(v); }},
      {{"seed", "layer: seed of the synthetic parameters and x", "1"}, kernel_check("seed"),
       [](LayerRunOptions& o, const std::string& v) { o.seed = std::stoull(v); }},
  };
  return params;
}

/// `{layer: MODEL.yaml, seq: N, inverse: [A, ...]}`: one Gated DeltaNet layer per point, as
/// `npusim layer` runs it, one row per inverse kernel (default fla_blocked; with several, the
/// stages that do not depend on the kernel are simulated once).
class LayerWorkload : public Workload {
 public:
  LayerWorkload(std::string model_file, std::string written, kernels::GdnModel model, std::uint32_t seq,
                std::vector<std::string> inverses)
      : m_file(std::move(model_file)), m_written(std::move(written)), m_model(std::move(model)), m_seq(seq),
        m_inverses(std::move(inverses)) {
    for (const auto& p : layer_params()) m_docs.push_back(p.doc);
  }

  json::object describe() const override {
    json::array ks;
    for (const auto& k : m_inverses) ks.emplace_back(k);
    return json::object{{"layer", m_written}, {"seq", m_seq}, {"inverse", std::move(ks)}};
  }
  std::vector<std::string> labels() const override { return m_inverses; }
  const std::vector<ParamDoc>& params() const override { return m_docs; }
  std::string check(const std::string& name, const std::string& value) const override {
    for (const auto& p : layer_params()) {
      if (p.doc.name == name) return p.check(value);
    }
    return "not a parameter of this workload";
  }

  PointResult run(const PointSpec& point, RunCache&) const override {
    PointResult result;
    LayerRunOptions o;
    o.hw_path = point.hw_path;
    o.model_path = m_file;
    o.params.model = m_model;
    o.params.seq = m_seq;
    o.inverses = m_inverses;
    o.numerics = point.numerics;
    o.progress = false;
    const auto weights = point.params.find("weights");
    std::string params_text;  // every parameter, defaults included: the same run hashes the same
    for (const auto& p : layer_params()) {
      const auto it = point.params.find(p.doc.name);
      if (it != point.params.end()) p.apply(o, it->second);
      if (p.doc.name == "dtype" && weights == point.params.end()) o.params.weights = kernels::default_weights(o.params.dtype);
      params_text += p.doc.name + "=" + (it == point.params.end() ? "(default)" : it->second) + "\n";
    }
    const std::string head = fmt::format("npusim {}\nmode {}\nworkload {}\nmodel\n{}{}", kVersion,
                                         point.numerics ? "numerics" : "timing-only", json::serialize(describe()),
                                         write_model_config(m_model), params_text);
    auto fail_all = [&](const std::string& status, const std::string& message) {
      for (const auto& k : m_inverses) result.rows.push_back(PointRow{k, status, message, std::nullopt, {}});
    };
    npu::NpuConfig hw;
    try {
      hw = parse_hw_config(*point.hw_text, point.hw_path, point.overrides);
    } catch (const InputError& e) {
      std::string sets;
      for (const auto& s : point.overrides) sets += s + "\n";
      result.hash = stable_hash(head + "unresolved spec " + point.hw_path + "\n" + *point.hw_text + sets);
      fail_all("invalid", message_of(e));
      return result;
    }
    result.hash = stable_hash(head + "spec\n" + write_hw_config(hw));
    try {
      const LayerResult r = run_layer(hw, o);
      for (const auto& run : r.runs) {
        PointRow row{run.inverse, "ok", "", json_u64(run.stats.at("cycles")), flatten_stats(run.stats)};
        result.rows.push_back(std::move(row));
      }
    } catch (const InputError& e) {
      fail_all("invalid", message_of(e));
    } catch (const SimError& e) {
      fail_all("error", "simulation error: " + message_of(e));
    } catch (const std::exception& e) {
      fail_all("error", message_of(e));
    }
    return result;
  }

 private:
  std::string m_file, m_written;
  kernels::GdnModel m_model;
  std::uint32_t m_seq;
  std::vector<std::string> m_inverses;
  std::vector<ParamDoc> m_docs;
};

/// `{program: FILE}`: a `.npuasm` program (relative to the sweep file) on every point's spec, one
/// row per point labelled `program`. It takes no parameters besides the hardware keys.
class ProgramWorkload : public Workload {
 public:
  ProgramWorkload(std::string given, std::string path) : m_given(std::move(given)), m_path(std::move(path)) {}

  json::object describe() const override { return json::object{{"program", m_given}}; }
  std::vector<std::string> labels() const override { return {"program"}; }
  const std::vector<ParamDoc>& params() const override {
    static const std::vector<ParamDoc> none;
    return none;
  }
  std::string check(const std::string&, const std::string&) const override {
    return "not a parameter of this workload (a program takes only hw.* keys)";
  }

  PointResult run(const PointSpec& point, RunCache&) const override {
    PointResult result;
    PointRow row{"program", "ok", "", std::nullopt, {}};
    const std::string head = fmt::format("npusim {}\nmode {}\nworkload {}\n", kVersion,
                                         point.numerics ? "numerics" : "timing-only", json::serialize(describe()));
    record_failures(row, [&] {
      npu::NpuConfig hw = parse_hw_config(*point.hw_text, point.hw_path, point.overrides);
      const std::string spec = write_hw_config(hw);
      result.hash = stable_hash(head + read_text_file(m_path) + "\nspec\n" + spec);
      npu::Program program = load_program(m_path, hw);
      std::vector<std::uint8_t> dram;
      if (point.numerics) dram = build_dram_image(program, fs::path(m_path).parent_path().string(), {});
      const ProgramRun run =
          simulate_program(std::move(hw), std::move(program), point.numerics, std::move(dram), point.hw_path, nullptr);
      row.cycles = run.result.cycles;
      row.figures = flatten_stats(run.stats);
    });
    if (result.hash.empty()) {
      std::string sets;
      for (const auto& s : point.overrides) sets += s + "\n";
      result.hash = stable_hash(head + "unresolved spec " + point.hw_path + "\n" + *point.hw_text + sets);
    }
    result.rows.push_back(std::move(row));
    return result;
  }

 private:
  std::string m_given;  ///< as written in the sweep file
  std::string m_path;   ///< relative to the working directory
};

/// One workload kind: its key in `workload:` and how it is read from that mapping.
struct WorkloadKind {
  std::string name;
  std::function<std::unique_ptr<Workload>(YamlReader::Map&)> read;
};

/// A kernel name read at `path`, checked against the registry.
bool check_kernel(YamlReader::Map& m, const std::string& path, const std::string& name) {
  if (kernels::lookup_inverse_kernel(name)) return true;
  m.reader().error_at_path(path, kernels::unknown_kernel(name));
  return false;
}

const std::vector<WorkloadKind>& kinds() {
  static const std::vector<WorkloadKind> k = {
      {"kernel",
       [](YamlReader::Map& m) -> std::unique_ptr<Workload> {
         const std::string name = m.text("kernel", "the inverse kernel every point runs");
         if (name.empty() || !check_kernel(m, m.child_path("kernel"), name)) return nullptr;
         return std::make_unique<KernelWorkload>("kernel", std::vector<std::string>{name});
       }},
      {"compare",
       [](YamlReader::Map& m) -> std::unique_ptr<Workload> {
         const auto names = m.list("compare", "kernels run on the same inputs; the first is the baseline");
         if (!names) return nullptr;
         if (names->empty()) {
           m.reader().error_at_path(m.child_path("compare"), "name at least one kernel");
           return nullptr;
         }
         bool ok = true;
         for (std::size_t i = 0; i < names->size(); ++i) {
           ok &= check_kernel(m, m.child_path("compare"), (*names)[i]);
           for (std::size_t j = 0; j < i; ++j) {
             if ((*names)[j] == (*names)[i]) {
               m.reader().error_at_path(m.child_path("compare"), fmt::format("'{}' is listed twice", (*names)[i]));
               ok = false;
             }
           }
         }
         return ok ? std::make_unique<KernelWorkload>("compare", *names) : nullptr;
       }},
      {"layer",
       [](YamlReader::Map& m) -> std::unique_ptr<Workload> {
         const std::string written = m.text("layer", "the GDN model (configs/models/*.yaml), relative to the sweep file");
         const std::uint32_t seq =
             static_cast<std::uint32_t>(m.integer("seq", "tokens of every point (the seq parameter overrides it)", 1,
                                                  kMaxSeq));
         std::vector<std::string> inverses = {"fla_blocked"};
         if (m.has("inverse")) {
           const auto names = m.list("inverse", "inverse kernels; one row each, the first is the baseline");
           if (!names || names->empty()) {
             if (names) m.reader().error_at_path(m.child_path("inverse"), "name at least one kernel");
             return nullptr;
           }
           inverses = *names;
         }
         bool ok = true;
         for (const auto& inverse : inverses) ok &= check_kernel(m, m.child_path("inverse"), inverse);
         if (written.empty()) return nullptr;
         const std::string file =
             (std::filesystem::path(m.reader().file()).parent_path() / written).lexically_normal().string();
         try {
           kernels::GdnModel model = read_model_config(file);
           if (!ok) return nullptr;
           return std::make_unique<LayerWorkload>(file, written, std::move(model), seq, std::move(inverses));
         } catch (const InputError& e) {
           for (const auto& msg : e.messages()) m.reader().error_at_path(m.child_path("layer"), msg);
           return nullptr;
         }
       }},
      {"program",
       [](YamlReader::Map& m) -> std::unique_ptr<Workload> {
         const std::string given = m.text("program", "a .npuasm program, relative to the sweep file");
         if (given.empty()) return nullptr;
         const std::string path = (fs::path(m.reader().file()).parent_path() / given).lexically_normal().string();
         std::error_code ec;
         if (!fs::is_regular_file(path, ec)) {
           m.reader().error_at_path(m.child_path("program"), fmt::format("{}: no such program file", path));
           return nullptr;
         }
         return std::make_unique<ProgramWorkload>(given, path);
       }},
  };
  return k;
}

}  // namespace

std::vector<std::string> workload_kind_names() {
  std::vector<std::string> names;
  for (const auto& k : kinds()) names.push_back(k.name);
  return names;
}

std::unique_ptr<Workload> read_workload(YamlReader::Map& m) {
  if (!m.present()) return nullptr;
  std::vector<const WorkloadKind*> given;
  for (const auto& k : kinds()) {
    if (m.has(k.name)) given.push_back(&k);
  }
  std::string names;
  for (const auto& k : kinds()) names += (names.empty() ? "" : ", ") + k.name;
  if (given.empty()) {
    std::vector<std::string_view> kind_names;
    for (const auto& k : kinds()) kind_names.push_back(k.name);
    bool any = false;
    for (const auto& [key, node] : m.entries()) {
      any = true;
      const auto near = closest_match(key, kind_names);
      m.reader().error(node, m.child_path(key),
                       fmt::format("unknown workload kind{} (kinds: {})",
                                   near.empty() ? std::string() : fmt::format("; did you mean '{}'?", near), names));
    }
    if (!any) m.reader().error_at_path(m.path(), fmt::format("expected one of the kinds {}, such as {{compare: "
                                                             "[fla_blocked, neumann]}}", names));
    return nullptr;
  }
  if (given.size() > 1) {
    m.reader().error_at_path(m.path(), fmt::format("give one kind, got {} and {}", given[0]->name, given[1]->name));
    return nullptr;
  }
  auto w = given.front()->read(m);
  m.finish();
  return w;
}

}  // namespace npusim::sim
