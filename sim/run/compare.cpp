#include "sim/run/compare.hpp"

#include <cmath>
#include <filesystem>
#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/config/yaml_reader.hpp"
#include "sim/report/analysis.hpp"
#include "sim/io/output.hpp"
#include "sim/report/csv.hpp"
#include "sim/report/json.hpp"
#include "sim/run/progress.hpp"
#include "sim/run/resources.hpp"

namespace npusim::sim {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

json::object kernel_entry(const std::string& name, const json::object& s) {
  json::object k;
  k["name"] = name;
  k["summary"] = s.at("kernel").as_object().at("summary");
  for (const char* key : {"cycles", "instructions", "units", "stalls", "traffic", "handoff", "accuracy", "bounds",
                          "critical_path", "explanation"}) {
    k[key] = s.at(key);
  }
  return k;
}

/// `s` as a finite number in [lo, hi], or nullopt.
std::optional<double> finite_number(const std::string& s, double lo, double hi) {
  char* end = nullptr;
  const double v = s.empty() ? NAN : std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !(v >= lo && v <= hi)) return std::nullopt;
  return v;
}

}  // namespace

MemoryEstimate estimate_comparison(const npu::NpuConfig& hw, const CompareOptions& o, const std::string& command) {
  const InputShape shape = kernel_input_shape(o.run, command);
  kernels::InverseParams params = o.run.params;
  params.chunk = shape.chunk;
  params.batch = shape.batch;
  MemoryEstimate e;
  for (const std::string& name : o.kernels) e.add(estimate_kernel_run(hw, name, params, o.run.numerics));
  return e;
}

Comparison compare_kernels(const npu::NpuConfig& hw, const CompareOptions& o) {
  if (o.kernels.empty()) throw InputError("--kernels: name at least one kernel");
  const InputShape shape = kernel_input_shape(o.run, "compare");
  check_memory(estimate_comparison(hw, o, "compare"), o.run.max_memory,
               fmt::format("comparing {} kernels on {} chunks of {}", o.kernels.size(), shape.batch, shape.chunk),
               "use a smaller --batch");
  KernelRunOptions base = o.run;
  {
    Progress bar("compare", o.run.progress);
    bar.step(base.input_path.empty() && !base.input ? "generating inputs" : "reading inputs");
    base.input = kernel_input(base, "compare", bar.callback());  // once, so every kernel sees the same A
  }
  Comparison c;
  c.names = o.kernels;
  for (const std::string& name : o.kernels) {
    KernelRunOptions k = base;
    k.kernel = name;
    c.runs.push_back(run_kernel(hw, k));
  }
  std::vector<const RunStats*> stats;
  for (const auto& r : c.runs) stats.push_back(&r.run.figures);
  const KernelRun& first = c.runs.front();
  json::object& j = c.json;
  j["hw"] = hw.name;
  j["chunk"] = first.a.n;
  j["dtype"] = npu::dtype_name(base.params.dtype);
  j["batch"] = first.a.batch;
  j["input"] = first.run.stats.at("kernel").as_object().at("input");
  if (base.input_path.empty() && !o.run.input) {
    j["input"] = json::object{{"generator", "gdn"}, {"seed", base.generator.seed}, {"correlation", base.generator.correlation}};
  }
  json::array kernels;
  json::object speedup;
  const double baseline = double(first.run.result.cycles);
  for (std::size_t i = 0; i < c.runs.size(); ++i) {
    kernels.push_back(kernel_entry(o.kernels[i], c.runs[i].run.stats));
    c.speedup.push_back(baseline / double(c.runs[i].run.result.cycles));
    speedup[o.kernels[i]] = c.speedup.back();
  }
  c.explanation = explain_comparison(o.kernels, stats);
  j["kernels"] = std::move(kernels);
  j["speedup"] = std::move(speedup);
  j["explanation"] = c.explanation;
  return c;
}

std::string format_comparison(const Comparison& c) {
  std::vector<const RunStats*> k;
  for (const auto& r : c.runs) k.push_back(&r.run.figures);
  const RunStats& first = *k.front();
  const std::size_t w = 16;
  std::string o = fmt::format("npusim compare: C={} {}, {} chunk{} on {}\n", first.kernel->chunk, first.kernel->dtype,
                              first.kernel->batch, first.kernel->batch == 1 ? "" : "s", first.hw_name);
  auto row = [&](const std::string& label, auto cell) {
    o += fmt::format("  {:<30}", label);
    for (std::size_t i = 0; i < k.size(); ++i) o += fmt::format("{:>{}}", cell(*k[i], i), w);
    o += '\n';
  };
  row("", [&](const RunStats&, std::size_t i) { return c.names[i]; });
  row("cycles", [](const RunStats& x, std::size_t) { return grouped(x.cycles); });
  row("speedup", [&](const RunStats&, std::size_t i) { return fmt::format("{:.2f}x", c.speedup[i]); });
  o += "  instructions\n";
  for (const auto& u : first.units) {
    row("    " + u.name, [&](const RunStats& x, std::size_t) { return grouped(x.unit(u.name).instructions); });
  }
  o += "  busy cycles (utilization)\n";
  for (const auto& u : first.units) {
    if (u.name == "sequencer") continue;
    row("    " + u.name, [&](const RunStats& x, std::size_t) {
      const UnitStats& uu = x.unit(u.name);
      return fmt::format("{} ({:.0f}%)", grouped(uu.busy_cycles), 100 * uu.utilization);
    });
  }
  row("    matrix MAC utilization", [](const RunStats& x, std::size_t) {
    return fmt::format("{:.1f}%", 100 * x.unit("matrix").mac_utilization.value_or(0));
  });
  o += "  stalls (unit-cycles)\n";
  for (const auto& st : first.stalls) {
    bool any = false;
    for (const auto* x : k) any |= count_of(x->stalls, st.first) > 0;
    if (!any) continue;
    row("    " + st.first, [&](const RunStats& x, std::size_t) { return grouped(count_of(x.stalls, st.first)); });
  }
  o += "  traffic\n";
  row("    DRAM read", [](const RunStats& x, std::size_t) { return human_bytes(double(x.dram_read_bytes)); });
  row("    DRAM written", [](const RunStats& x, std::size_t) { return human_bytes(double(x.dram_write_bytes)); });
  row("    scratchpad read+written", [](const RunStats& x, std::size_t) {
    double total = 0;
    for (const auto& t : x.scratchpad) total += double(t.read_bytes) + double(t.write_bytes);
    return human_bytes(total);
  });
  row("  hand-offs m->v / v->m", [](const RunStats& x, std::size_t) {
    return fmt::format("{} / {}", x.matrix_to_vector.count, x.vector_to_matrix.count);
  });
  row("  hand-off cycles",
      [](const RunStats& x, std::size_t) { return grouped(x.matrix_to_vector.cycles + x.vector_to_matrix.cycles); });
  row("  tightest bound", [](const RunStats& x, std::size_t) {
    return fmt::format("{} {:.0f}%", x.bounds->binding, 100 * x.bounds->binding_fraction);
  });
  row("  critical path instructions",
      [](const RunStats& x, std::size_t) { return grouped(x.critical_path->instructions); });
  auto number = [](const std::optional<double>& v, const char* spec) {
    return v ? fmt::format(fmt::runtime(spec), *v) : std::string("n/a");
  };
  if (first.accuracy) {
    row("  SNR dB mean / worst", [&](const RunStats& x, std::size_t) {
      return number(x.accuracy->snr_db_mean, "{:.1f}") + " / " + number(x.accuracy->snr_db_worst, "{:.1f}");
    });
    row("  rel. error worst",
        [&](const RunStats& x, std::size_t) { return number(x.accuracy->rel_fro_error_worst, "{:.2e}"); });
    row("  non-finite / saturations", [](const RunStats& x, std::size_t) {
      return fmt::format("{} / {}", x.accuracy->nonfinite, x.accuracy->saturations);
    });
  }
  o += "\n" + c.explanation + "\n";
  return o;
}

void plan_comparison(OutputPlan& plan, const std::string& dir, const std::vector<std::string>& kernels, bool traces) {
  const fs::path d(dir);
  plan.directory(dir);
  plan.file((d / "compare.json").string(), "the comparison");
  plan.file((d / "compare.md").string(), "the comparison table");
  for (const auto& k : kernels) {
    plan_outputs(plan, (d / k).string());
    if (traces) plan.file((d / k / "trace.json").string(), "the trace of " + k);
  }
}

std::vector<std::string> write_comparison(const Comparison& c, const std::string& dir) {
  make_directory(dir);
  std::vector<std::string> written;
  const fs::path d(dir);
  write_text_file((d / "compare.json").string(), to_json(c.json));
  written.push_back((d / "compare.json").string());
  std::string md = "```\n" + format_comparison(c) + "```\n";
  write_text_file((d / "compare.md").string(), md);
  written.push_back((d / "compare.md").string());
  for (const auto& r : c.runs) {
    const std::string name = r.run.figures.kernel->name;
    auto files = write_outputs(r.run, (d / name).string(), false);
    written.insert(written.end(), files.begin(), files.end());
  }
  return written;
}

Experiment read_experiment(const std::string& path, std::vector<KeyDoc>* keys) {
  YamlReader r(read_text_file(path), path);
  auto root = r.root();
  Experiment e;
  e.file = path;
  e.name = root.text("name", "experiment name", fs::path(path).stem().string());
  if (const auto problem = file_name_problem(e.name)) {
    r.error_at_path("name", fmt::format("'{}' names the output directory: {}", e.name, *problem));
  }
  e.description = root.text("description", "what the experiment reproduces", "");
  const fs::path base = fs::path(path).parent_path();
  const std::string hw = root.text("hw", "hardware spec, relative to the experiment file");
  e.hw_path = (base / hw).lexically_normal().string();
  if (root.has("set")) {
    if (auto sets = root.list("set", "--set overrides of the spec", &e.override_origins)) e.overrides = *sets;
    for (std::size_t i = 0; i < e.overrides.size(); ++i) e.override_origins[i] += ": set " + e.overrides[i];
  }
  auto non_empty = [&](const std::optional<std::vector<std::string>>& list, const char* key, const char* what) {
    if (list && list->empty()) r.error_at_path(key, fmt::format("expected at least one {}, got an empty list", what));
    for (std::size_t i = 0; list && i < list->size(); ++i) {
      if (std::find(list->begin(), list->begin() + i, (*list)[i]) != list->begin() + i) {
        r.error_at_path(key, fmt::format("'{}' is listed twice", (*list)[i]));
      }
    }
  };
  const auto ks = root.list("kernels", "kernels to compare; the first is the baseline");
  non_empty(ks, "kernels", "kernel");
  for (const auto& k : ks.value_or(std::vector<std::string>{})) {
    if (!kernels::lookup_inverse_kernel(k)) {
      r.error_at_path("kernels", kernels::unknown_kernel(k));
      continue;
    }
    e.kernels.push_back(k);
  }
  const auto cs = root.list("chunks", "chunk sizes");
  non_empty(cs, "chunks", "chunk size");
  for (const auto& c : cs.value_or(std::vector<std::string>{})) {
    if (c != "16" && c != "32" && c != "64" && c != "128") {
      r.error_at_path("chunks", fmt::format("chunk size '{}' is not one of 16, 32, 64, 128", c));
      continue;
    }
    e.chunks.push_back(static_cast<std::uint32_t>(std::stoul(c)));
  }
  const auto ds = root.list("dtypes", "dtypes");
  non_empty(ds, "dtypes", "dtype");
  for (const auto& d : ds.value_or(std::vector<std::string>{})) {
    const auto t = npu::parse_dtype(d);
    if (!t) {
      r.error_at_path("dtypes", fmt::format("unknown dtype '{}'; expected one of {}", d, npu::dtype_choices()));
      continue;
    }
    for (const auto& k : e.kernels) {
      if (const auto problem = kernels::dtype_problem(kernels::find_inverse_kernel(k), *t)) {
        r.error_at_path("dtypes", *problem);
      }
    }
    e.dtypes.push_back(*t);
  }
  e.batch = static_cast<std::uint32_t>(root.integer("batch", "chunk matrices per run", 1, kMaxBatch, 32));
  e.seed = root.integer("seed", "input generator seed", 0, UINT64_MAX - 1, 1);
  e.correlation = root.value<double>(
      "correlation", "generator key correlation", "a number in [0, 1]",
      [](const std::string& s) { return finite_number(s, 0, 1); }, 0.5, "0.5");
  e.interleave = static_cast<std::uint32_t>(root.integer("interleave", "chunks computed together per core", 1, 64, 2));
  auto rep = root.map("reported", "published figures to compare with", false);
  e.reported_source = rep.text("source", "where the reported figures come from", "");
  auto sp = rep.map("speedup", "reported speedup of the last kernel over the first, by chunk size", false);
  for (const auto& [k, node] : sp.entries()) {
    const auto speedup = node.IsScalar() ? finite_number(node.Scalar(), 1e-6, 1e6) : std::nullopt;
    if ((k != "16" && k != "32" && k != "64" && k != "128") || !speedup) {
      r.error(node, sp.child_path(k),
              fmt::format("expected CHUNK: SPEEDUP with CHUNK one of 16, 32, 64, 128 and SPEEDUP in [1e-06, 1e+06], "
                          "such as 64: 4.2; got {}: {}",
                          k, shown_value(node)));
      continue;
    }
    e.reported_speedup.emplace_back(static_cast<std::uint32_t>(std::stoul(k)), *speedup);
  }
  sp.finish();
  rep.finish();
  root.finish();
  r.throw_if_errors();
  if (keys) *keys = r.keys();
  return e;
}

namespace {

CompareOptions row_options(const Experiment& e, npu::DType dtype, std::uint32_t chunk, bool numerics) {
  CompareOptions o;
  o.kernels = e.kernels;
  o.run.hw_path = e.hw_path;
  o.run.params.chunk = chunk;
  o.run.params.dtype = dtype;
  o.run.params.batch = e.batch;
  o.run.params.interleave = e.interleave;
  o.run.generator.seed = e.seed;
  o.run.generator.correlation = e.correlation;
  o.run.numerics = numerics;
  o.run.progress = false;
  o.run.max_memory = e.max_memory;
  return o;
}

/// Where a row's comparison is written.
std::string row_directory(const std::string& dir, npu::DType dtype, std::uint32_t chunk) {
  return (fs::path(dir) / fmt::format("{}-C{}", npu::dtype_name(dtype), chunk)).string();
}

/// Runs `f` and names the experiment's row in any InputError it throws.
template <class F>
auto in_row(const Experiment& e, npu::DType dtype, std::uint32_t chunk, F&& f) {
  try {
    return f();
  } catch (const InputError& err) {
    throw InputError(fmt::format("{}: {} C={}: {}", e.file, npu::dtype_name(dtype), chunk, err.what()));
  }
}

}  // namespace

void plan_experiment(OutputPlan& plan, const Experiment& e, const std::string& dir) {
  const fs::path d(dir);
  plan.directory(dir);
  plan.file((d / "results.json").string(), "the results");
  plan.file((d / "results.csv").string(), "the results table (CSV)");
  plan.file((d / "results.md").string(), "the results table");
  for (npu::DType dt : e.dtypes) {
    for (std::uint32_t chunk : e.chunks) plan_comparison(plan, row_directory(dir, dt, chunk), e.kernels, false);
  }
}

boost::json::object run_experiment(const Experiment& e, const std::string& dir, bool numerics,
                                   std::vector<std::string>* written, const std::function<void(double)>& progress) {
  const npu::NpuConfig hw = read_hw_config(e.hw_path, e.overrides, nullptr, e.override_origins);
  // Every row is built small and its memory estimated before the first one runs: a problem with
  // the last row is reported at once, naming the experiment file, not after the others ran.
  for (npu::DType dt : e.dtypes) {
    for (std::uint32_t chunk : e.chunks) {
      in_row(e, dt, chunk, [&] {
        check_memory(estimate_comparison(hw, row_options(e, dt, chunk, numerics), "experiment"), e.max_memory,
                     fmt::format("comparing {} kernels on {} chunks", e.kernels.size(), e.batch),
                     "lower 'batch' in " + e.file);
      });
    }
  }
  json::array rows;
  std::string csv = csv_record({"hw", "dtype", "chunk", "batch", "kernel", "cycles", "speedup", "reported_speedup",
                                "snr_db_mean", "snr_db_worst", "rel_fro_error_worst", "nonfinite", "saturations",
                                "matrix_utilization", "vector_utilization", "binding"});
  for (npu::DType dt : e.dtypes) {
    for (std::uint32_t chunk : e.chunks) {
      const Comparison c = in_row(e, dt, chunk, [&] { return compare_kernels(hw, row_options(e, dt, chunk, numerics)); });
      std::optional<double> reported;
      for (const auto& [ch, v] : e.reported_speedup) {
        if (ch == chunk) reported = v;
      }
      json::object row;
      row["dtype"] = npu::dtype_name(dt);
      row["chunk"] = chunk;
      json::object cycles;
      for (std::size_t i = 0; i < c.runs.size(); ++i) {
        const RunStats& st = c.runs[i].run.figures;
        const std::string& name = c.names[i];
        cycles[name] = st.cycles;
        auto number = [](const std::optional<double>& v) { return v ? fmt::format("{}", *v) : std::string(); };
        const std::optional<AccuracyStats>& acc = st.accuracy;
        csv += csv_record({hw.name, std::string(npu::dtype_name(dt)), std::to_string(chunk), std::to_string(e.batch),
                           name, std::to_string(st.cycles), fmt::format("{}", c.speedup[i]),
                           reported && name == e.kernels.back() ? fmt::format("{}", *reported) : "",
                           acc ? number(acc->snr_db_mean) : "", acc ? number(acc->snr_db_worst) : "",
                           acc ? number(acc->rel_fro_error_worst) : "", acc ? std::to_string(acc->nonfinite) : "",
                           acc ? std::to_string(acc->saturations) : "",
                           fmt::format("{}", st.unit("matrix").utilization),
                           fmt::format("{}", st.unit("vector").utilization), st.bounds->binding});
      }
      row["cycles"] = std::move(cycles);
      row["speedup"] = c.speedup.back();
      row["reported_speedup"] = reported ? json::value(*reported) : json::value(nullptr);
      row["explanation"] = c.explanation;
      row["comparison"] = c.json;
      rows.push_back(std::move(row));
      if (progress) progress(double(rows.size()) / double(e.dtypes.size() * e.chunks.size()));
      if (!dir.empty()) {
        auto files = write_comparison(c, row_directory(dir, dt, chunk));
        if (written) written->insert(written->end(), files.begin(), files.end());
      }
    }
  }
  json::object out;
  out["experiment"] = json::object{{"name", e.name},          {"description", e.description}, {"file", e.file},
                                   {"hw", hw.name},           {"batch", e.batch},              {"seed", e.seed},
                                   {"correlation", e.correlation}, {"baseline", e.kernels.front()},
                                   {"reported_source", e.reported_source}};
  out["rows"] = std::move(rows);
  if (!dir.empty()) {
    make_directory(dir);
    const fs::path d(dir);
    write_text_file((d / "results.json").string(), to_json(out));
    write_text_file((d / "results.csv").string(), csv);
    write_text_file((d / "results.md").string(), format_experiment(out));
    if (written) {
      for (const char* f : {"results.json", "results.csv", "results.md"}) written->push_back((d / f).string());
    }
  }
  return out;
}

std::string format_experiment(const json::object& r) {
  const auto& e = r.at("experiment").as_object();
  const auto& rows = r.at("rows").as_array();
  std::string o = fmt::format("experiment {}: {} on {}, {} chunks per run\n", e.at("name").as_string().c_str(),
                              e.at("description").as_string().c_str(), e.at("hw").as_string().c_str(), json_u64(e.at("batch")));
  if (rows.empty()) return o;
  std::vector<std::string> kernels;
  for (const auto& kv : rows.front().as_object().at("cycles").as_object()) kernels.emplace_back(kv.key());
  o += fmt::format("\n| dtype | C |");
  for (const auto& k : kernels) o += fmt::format(" {} cycles |", k);
  o += fmt::format(" speedup of {} | reported |\n|---|---|", kernels.back());
  for (std::size_t i = 0; i < kernels.size(); ++i) o += "---|";
  o += "---|---|\n";
  for (const auto& rv : rows) {
    const auto& row = rv.as_object();
    o += fmt::format("| {} | {} |", row.at("dtype").as_string().c_str(), json_u64(row.at("chunk")));
    for (const auto& k : kernels) o += fmt::format(" {} |", grouped(json_u64(row.at("cycles").as_object().at(k))));
    o += fmt::format(" {:.2f}x | {} |\n", json_double(row.at("speedup")),
                     row.at("reported_speedup").is_null()
                         ? std::string("")
                         : fmt::format("{:.1f}x", json_double(row.at("reported_speedup"))));
  }
  if (!e.at("reported_source").as_string().empty()) o += fmt::format("\nreported: {}\n", e.at("reported_source").as_string().c_str());
  o += "\n";
  for (const auto& rv : rows) {
    const auto& row = rv.as_object();
    o += fmt::format("- {} C={}: {}\n", row.at("dtype").as_string().c_str(), json_u64(row.at("chunk")),
                     row.at("explanation").as_string().c_str());
  }
  return o;
}

}  // namespace npusim::sim
