#include "sim/report/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <sstream>
#include <yaml-cpp/yaml.h>

#include "npu/common/error.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/report/crossover.hpp"
#include "sim/run/run_program.hpp"
#include "sim/sweep/runner.hpp"
#include "sim/sweep/store.hpp"

namespace npusim::sim {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kMarker = "# npusim report: the sensitivity sweep of a base point";

/// Leaves of the resolved spec in document order: path -> value text (lists left out).
void leaves(const YAML::Node& n, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string key = prefix + it->first.Scalar();
    if (it->second.IsMap()) {
      leaves(it->second, key + ".", out);
    } else if (it->second.IsScalar()) {
      out.emplace_back(key, it->second.Scalar());
    }
  }
}

std::vector<std::pair<std::string, std::string>> spec_leaves(const std::string& yaml) {
  std::vector<std::pair<std::string, std::string>> out;
  leaves(YAML::Load(yaml), "", out);
  return out;
}

/// The text of one leaf, if the spec has it.
std::optional<std::string> leaf_text(const std::vector<std::pair<std::string, std::string>>& leaves, const std::string& k) {
  for (const auto& [key, text] : leaves) {
    if (key == k) return text;
  }
  return std::nullopt;
}

/// A value "<number><unit>" split; the number may be a fraction a/b.
struct Quantity {
  double value = 0;
  std::string unit;
  bool fraction = false;
  bool integral = false;
};

std::optional<Quantity> quantity(const std::string& text) {
  const auto end = text.find_first_not_of("0123456789./");
  const std::string number = text.substr(0, end);
  if (number.empty()) return std::nullopt;
  const auto v = axis_number(number);
  if (!v) return std::nullopt;
  Quantity q;
  q.value = *v;
  q.unit = end == std::string::npos ? "" : text.substr(end);
  q.fraction = number.find('/') != std::string::npos;
  q.integral = !q.fraction && number.find('.') == std::string::npos;
  return q;
}

/// `q` scaled by `factor`, written as the spec reader takes it: integers stay integers (moved by
/// at least one), rates stay fractions, other numbers keep four significant digits.
std::string scaled(const Quantity& q, double factor, bool rate, double* out) {
  if (rate) {
    // A rate as a fraction with a denominator of 20: 1 -> 22/20 or 18/20 at +-10%.
    const long num = std::lround(q.value * factor * 20);
    *out = double(num) / 20;
    return fmt::format("{}/20", std::max(1L, num));
  }
  if (q.integral) {
    long v = std::lround(q.value * factor);
    if (v == std::lround(q.value)) v += factor > 1 ? 1 : -1;
    if (v < 1 && q.value >= 1) return "";  // a count never moves to zero: one-sided
    *out = double(v);
    return fmt::format("{}{}", v, q.unit);
  }
  *out = q.value * factor;
  return fmt::format("{:.4g}{}", *out, q.unit);
}

bool skipped_key(const std::string& k) {
  for (const char* s : {"name", "description", "clock", "cores", "matrix.model", "matrix.accumulator.",
                        "matrix.systolic.dataflow", "handoff.via", "vector.dtypes"}) {
    if (k.rfind(s, 0) == 0) return true;
  }
  return false;
}

/// The group a key belongs to: every vector op's latency moves together, and so on. With as many
/// vector contexts as threads (vector.contexts' default, one per thread), a thread more or less
/// brings its context: moving the threads alone would make two threads share one context.
std::string group_of(const std::string& k, bool context_per_thread) {
  if (context_per_thread && (k == "sequencer.threads" || k == "vector.contexts")) {
    return "sequencer.threads + vector.contexts";
  }
  const std::string ops = "vector.ops.";
  if (k.rfind(ops, 0) == 0) {
    const auto dot = k.find('.', ops.size());
    if (dot != std::string::npos) return ops + "*" + k.substr(dot);
  }
  if (k.rfind("matrix.dtypes.", 0) == 0) return "matrix.dtypes.*";
  return k;
}

}  // namespace

std::vector<Perturbation> perturbations(const std::string& resolved_yaml, double step, std::vector<std::string>* skipped) {
  std::vector<Perturbation> out;
  std::map<std::string, std::size_t> index;
  const auto all = spec_leaves(resolved_yaml);
  const auto contexts = leaf_text(all, "vector.contexts");
  const bool context_per_thread = contexts && contexts == leaf_text(all, "sequencer.threads");
  for (const auto& [key, text] : all) {
    if (skipped_key(key)) continue;
    const auto q = quantity(text);
    if (!q) {
      if (skipped) skipped->push_back(fmt::format("{} ({}: not a number)", key, text));
      continue;
    }
    if (q->value == 0) {
      if (skipped) skipped->push_back(fmt::format("{} (0: no relative change)", key));
      continue;
    }
    const bool rate = key.rfind("matrix.dtypes.", 0) == 0;
    double lo = q->value, hi = 0;
    const std::string low = scaled(*q, 1 - step, rate, &lo), high = scaled(*q, 1 + step, rate, &hi);
    const std::string g = group_of(key, context_per_thread);
    auto it = index.find(g);
    if (it == index.end()) {
      it = index.emplace(g, out.size()).first;
      Perturbation p;
      p.name = g;
      p.base_text = g == key ? text : text + " (first of the group)";
      p.base = q->value;
      p.low = lo;
      p.high = hi;
      p.low_text = low.empty() ? text : low;
      p.high_text = high;
      out.push_back(p);
    }
    if (!low.empty()) out[it->second].low_set.emplace_back(key, low);
    out[it->second].high_set.emplace_back(key, high);
  }
  return out;
}

std::vector<WhatIf> what_ifs(const std::string& resolved_yaml) {
  const auto all = spec_leaves(resolved_yaml);
  auto value = [&](const std::string& k) -> std::optional<Quantity> {
    const auto text = leaf_text(all, k);
    return text ? quantity(*text) : std::nullopt;
  };
  std::vector<WhatIf> w;
  w.push_back({"DRAM bandwidth unlimited", {{"dram.bandwidth", "1048576B/cycle"}}});
  WhatIf handoff{"zero hand-off cost", {{"handoff.via", "consumer"}}};
  for (const char* d : {"matrix_to_vector", "vector_to_matrix"}) {
    handoff.set.emplace_back(fmt::format("handoff.{}.fixed_cycles", d), "0");
    handoff.set.emplace_back(fmt::format("handoff.{}.bandwidth", d), "unlimited");
  }
  // The hand-shake after a conversion by the vector unit (only valid with via: vector).
  if (const auto q = value("handoff.sync_cycles"); q && q->value != 0) handoff.set.emplace_back("handoff.sync_cycles", "0");
  w.push_back(handoff);
  WhatIf matrix{"2x matrix throughput", {}};
  WhatIf latency{"zero vector latency", {}};
  for (const auto& [key, text] : all) {
    const auto q = quantity(text);
    if (key.rfind("matrix.dtypes.", 0) == 0 && q) matrix.set.emplace_back(key, fmt::format("{}/20", std::lround(q->value * 40)));
    if (key.rfind("vector.ops.", 0) == 0 && key.size() > 8 && key.compare(key.size() - 8, 8, ".latency") == 0) {
      latency.set.emplace_back(key, "0");
    }
  }
  w.push_back(matrix);
  w.push_back(latency);
  WhatIf wide{"2x vector width (and port)", {}};
  for (const char* k : {"vector.width", "vector.port"}) {
    if (const auto q = value(k)) wide.set.emplace_back(k, fmt::format("{:g}{}", 2 * q->value, q->unit));
  }
  w.push_back(wide);
  return w;
}

std::optional<double> elasticity(double c0, double p0, const SensitivityRun& low, double pl, const SensitivityRun& high,
                                 double ph) {
  if (!(c0 > 0) || p0 == 0) return std::nullopt;
  const bool l = low.status == "ok", h = high.status == "ok";
  if (l && h && ph != pl) return ((high.cycles - low.cycles) / c0) / ((ph - pl) / p0);
  if (h && ph != p0) return ((high.cycles - c0) / c0) / ((ph - p0) / p0);
  if (l && pl != p0) return ((low.cycles - c0) / c0) / ((pl - p0) / p0);
  return std::nullopt;
}

SensitivityResult run_sensitivity(const SensitivityBase& base, double step, const std::string& dir, bool progress) {
  SensitivityResult r;
  r.base = base;
  r.step = step;
  const std::string resolved = write_hw_config(read_hw_config(base.hw_path, base.hw_overrides));
  const auto params = perturbations(resolved, step, &r.skipped);
  const auto knobs = what_ifs(resolved);
  // Every key any point sets, at its base value unless the point moves it.
  std::vector<std::string> keys;
  std::map<std::string, std::string> base_value;
  for (const auto& [k, v] : spec_leaves(resolved)) base_value[k] = v;
  auto note_key = [&](const std::string& k) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  };
  for (const auto& p : params) {
    for (const auto& [k, v] : p.high_set) note_key(k);
  }
  for (const auto& w : knobs) {
    for (const auto& [k, v] : w.set) note_key(k);
  }
  // The sweep's points: the base first, then each change; a change that leaves every value as
  // it is (a knob already at its setting) shares the point that has those values.
  std::vector<std::vector<std::string>> points;
  std::map<std::vector<std::string>, std::uint64_t> point_of;
  auto point_for = [&](const std::vector<std::pair<std::string, std::string>>& set) {
    std::vector<std::string> tuple;
    for (const auto& k : keys) {
      std::string v = base_value[k];
      for (const auto& [key, value] : set) {
        if (key == k) v = value;
      }
      tuple.push_back(v);
    }
    const auto [it, added] = point_of.emplace(tuple, points.size());
    if (added) points.push_back(tuple);
    return it->second;
  };
  point_for({});
  std::vector<std::pair<std::uint64_t, std::uint64_t>> param_points;
  for (const auto& p : params) param_points.emplace_back(point_for(p.low_set), point_for(p.high_set));
  std::vector<std::uint64_t> knob_points;
  for (const auto& w : knobs) knob_points.push_back(point_for(w.set));

  YAML::Emitter y;
  y << YAML::BeginMap;
  y << YAML::Key << "name" << YAML::Value << fs::path(dir).filename().string();
  y << YAML::Key << "description" << YAML::Value
    << fmt::format("sensitivity of {}: every hardware parameter +-{:g}%, and what-if knobs", base.label, 100 * step);
  y << YAML::Key << "hw" << YAML::Value << fs::absolute(base.hw_path).lexically_normal().string();
  y << YAML::Key << "workload" << YAML::Value << YAML::Flow << YAML::BeginMap;
  for (const auto& kv : base.workload) {
    y << YAML::Key << std::string(kv.key()) << YAML::Value;
    if (kv.value().is_string()) {
      y << std::string(kv.value().as_string());
    } else {
      y << YAML::Flow << YAML::BeginSeq;
      for (const auto& k : kv.value().as_array()) y << std::string(k.as_string());
      y << YAML::EndSeq;
    }
  }
  y << YAML::EndMap;
  y << YAML::Key << "fixed" << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : base.params) y << YAML::Key << k << YAML::Value << v;
  for (const auto& o : base.hw_overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos) continue;
    const std::string k = o.substr(0, eq);
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) y << YAML::Key << "hw." + k << YAML::Value << o.substr(eq + 1);
  }
  y << YAML::EndMap;
  y << YAML::Key << "zip" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    y << YAML::Key << "hw." + keys[i] << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& p : points) y << p[i];
    y << YAML::EndSeq;
  }
  y << YAML::EndMap << YAML::EndSeq << YAML::EndMap;

  // The directory is the report's own: replace an earlier sensitivity sweep, never anything else.
  const fs::path d(dir);
  const fs::path file = d / "sweep.yaml";
  std::error_code ec;
  if (fs::exists(d, ec)) {
    const bool ours = fs::exists(file) && read_text_file(file.string()).rfind(kMarker, 0) == 0;
    if (!ours) {
      throw InputError(fmt::format("{}: exists and is not a sensitivity sweep of npusim report; move it away, or give "
                                   "the report another --out",
                                   dir));
    }
    fs::remove_all(d, ec);
  }
  make_directory(dir);
  write_text_file(file.string(), std::string(kMarker) + " (" + base.label + "); `npusim sweep` runs it again.\n" +
                                     y.c_str() + "\n");
  r.sweep_file = file.string();
  r.points = points.size();
  r.store = (d / "results.sqlite").string();
  SweepOptions o;
  o.out = dir;
  o.numerics = false;
  o.quiet = !progress;
  o.count_failures = false;  // a value the spec rejects is expected: the elasticity is one-sided, the table says why
  std::ostringstream summary, quiet_err;
  run_sweep(read_sweep(file.string()), o, summary, progress ? std::cerr : quiet_err);

  Store store = Store::open(r.store, true);
  std::map<std::uint64_t, std::vector<SensitivityRun>> runs;
  for (const auto& row : store.rows()) {
    if (std::find(r.kernels.begin(), r.kernels.end(), row.kernel) == r.kernels.end()) r.kernels.push_back(row.kernel);
    SensitivityRun s;
    s.status = row.status;
    s.message = row.message;
    if (const auto* c = row.figures.if_contains("cycles")) s.cycles = c->to_number<double>();
    if (const auto* b = row.figures.if_contains("bounds.binding"); b && b->is_string()) s.binding = b->as_string().c_str();
    runs[row.point].push_back(s);
  }
  auto at = [&](std::uint64_t point) {
    auto v = runs[point];
    v.resize(r.kernels.size());
    return v;
  };
  r.base_runs = at(0);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& p = params[i];
    SensitivityResult::Param q{p, at(param_points[i].first), at(param_points[i].second), {}};
    for (std::size_t k = 0; k < r.kernels.size(); ++k) {
      q.elasticity.push_back(r.base_runs[k].status == "ok"
                                 ? elasticity(r.base_runs[k].cycles, p.base, q.low[k], p.low, q.high[k], p.high)
                                 : std::nullopt);
    }
    r.params.push_back(std::move(q));
  }
  for (std::size_t i = 0; i < knobs.size(); ++i) r.knobs.push_back({knobs[i], at(knob_points[i])});
  return r;
}

json::object sensitivity_json(const SensitivityResult& r) {
  auto run_json = [](const SensitivityRun& s) {
    return json::object{{"status", s.status}, {"message", s.message}, {"cycles", s.cycles}, {"binding", s.binding}};
  };
  auto runs_json = [&](const std::vector<SensitivityRun>& v) {
    json::array a;
    for (const auto& s : v) a.push_back(run_json(s));
    return a;
  };
  json::array params, knobs;
  for (const auto& p : r.params) {
    json::array e;
    for (const auto& x : p.elasticity) e.push_back(x ? json::value(*x) : json::value(nullptr));
    params.push_back(json::object{{"parameter", p.p.name}, {"base", p.p.base_text}, {"low", p.p.low}, {"high", p.p.high},
                                  {"elasticity", std::move(e)}, {"low_runs", runs_json(p.low)},
                                  {"high_runs", runs_json(p.high)}});
  }
  for (const auto& k : r.knobs) knobs.push_back(json::object{{"what_if", k.w.name}, {"runs", runs_json(k.runs)}});
  return json::object{{"base", r.base.label}, {"step", r.step}, {"kernels", json::value_from(r.kernels)},
                      {"sweep", r.sweep_file}, {"base_runs", runs_json(r.base_runs)},
                      {"parameters", std::move(params)}, {"what_ifs", std::move(knobs)},
                      {"skipped", json::value_from(r.skipped)}};
}

}  // namespace npusim::sim
