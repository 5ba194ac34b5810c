#include "sim/sweep/sweep_file.hpp"

#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <npusim_version.hpp>
#include <set>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/io/output.hpp"

namespace npusim::sim {
namespace fs = std::filesystem;
namespace json = boost::json;

std::vector<std::string> Sweep::axes() const {
  std::vector<std::string> out;
  for (const auto& d : dims) out.insert(out.end(), d.names.begin(), d.names.end());
  return out;
}

std::uint64_t Sweep::size() const {
  std::uint64_t n = 1;
  for (const auto& d : dims) n *= d.size();  // bounded by kMaxSweepPoints when read
  return n;
}

std::vector<std::string> Sweep::axis_values(std::uint64_t index) const {
  std::vector<std::size_t> pos(dims.size());
  for (std::size_t i = dims.size(); i-- > 0;) {
    pos[i] = index % dims[i].size();
    index /= dims[i].size();
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const auto row = dims[i].row(pos[i]);
    out.insert(out.end(), row.begin(), row.end());
  }
  return out;
}

bool Sweep::skipped(const std::vector<std::string>& values) const {
  if (skip.empty()) return false;
  const auto names = axes();
  auto value = [&](const std::string& n) -> std::string {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == n) return values[i];
    }
    for (const auto& [k, v] : fixed) {
      if (k == n) return v;
    }
    NPUSIM_ASSERT(false, "skip: a name the reader accepted has no value");
  };
  for (const auto& e : skip) {
    if (e.eval(value)) return true;
  }
  return false;
}

PointSpec Sweep::point(const std::vector<std::string>& values, bool numerics, std::uint64_t max_memory) const {
  PointSpec p;
  p.max_memory = max_memory;
  p.hw_path = hw;
  p.hw_text = &hw_text;
  p.numerics = numerics;
  auto add = [&](const std::string& key, const std::string& value) {
    if (key.rfind("hw.", 0) == 0) {
      p.overrides.push_back(key.substr(3) + "=" + value);
    } else {
      p.params[key] = value;
    }
  };
  for (const auto& [k, v] : fixed) add(k, v);
  const auto names = axes();
  for (std::size_t i = 0; i < names.size(); ++i) add(names[i], values[i]);
  return p;
}

namespace {

using Map = YamlReader::Map;

/// A value as text: a scalar as written; a mapping or list (hardware sections) as flow YAML.
std::string value_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter e;
  e.SetMapFormat(YAML::Flow);
  e.SetSeqFormat(YAML::Flow);
  e << n;
  return e.c_str();
}

/// `v` with `decimals` decimals, trailing zeros dropped: 0.25, 3, 73.41.
std::string decimal_text(double v, int decimals) {
  std::string s = fmt::format("{:.{}f}", v, std::max(decimals, 0));
  if (s.find('.') != std::string::npos) {
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

int decimals_of(const std::string& s) {
  const auto dot = s.find('.');
  if (dot == std::string::npos) return 0;
  std::size_t end = dot + 1;
  while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
  return static_cast<int>(end - dot - 1);
}

bool is_integer_text(const std::string& s) {
  const std::size_t start = !s.empty() && s[0] == '-' ? 1 : 0;
  return s.size() > start && s.size() - start <= 15 && s.find_first_not_of("0123456789", start) == std::string::npos;
}

/// One parameter's values as read, before the names are checked.
struct Pending {
  std::string name, path;  ///< e.g. "order", "grid.order"
  YAML::Node node;         ///< for positions in messages
  std::vector<std::string> values;
  bool fixed = false;
  std::uint64_t samples = 0;                             ///< random axes: drawn, not listed
  std::function<std::string(std::uint64_t)> sample;

  std::string first() const { return sample ? sample(0) : values.front(); }
  bool empty() const { return sample ? samples == 0 : values.empty(); }
  /// Calls f on every value until it returns false.
  void each(const std::function<bool(const std::string&)>& f) const {
    if (sample) {
      for (std::uint64_t i = 0; i < samples && f(sample(i)); ++i) {
      }
    } else {
      for (const auto& v : values) {
        if (!f(v)) break;
      }
    }
  }
};

class SweepReader {
 public:
  SweepReader(const std::string& path, const std::string& text) : m_r(text, path) { m_sweep.file = path; m_sweep.text = text; }

  Sweep read(std::vector<KeyDoc>* keys) {
    Map root = m_r.root();
    Sweep& s = m_sweep;
    s.name = root.text("name", "sweep name, the output directory's name", fs::path(s.file).stem().string());
    if (const auto problem = file_name_problem(s.name)) {
      m_r.error_at_path("name", fmt::format("'{}' names the output directory: {}", s.name, *problem));
    }
    s.description = root.text("description", "one line about what the sweep shows", "");
    s.hw = root.text("hw", "hardware spec, relative to the sweep file");
    if (!s.hw.empty()) {
      s.hw_path = (fs::path(s.file).parent_path() / s.hw).lexically_normal().string();
      try {
        s.hw_text = read_text_file(s.hw_path);
        m_hw_ok = true;
      } catch (const InputError& e) {
        m_r.error_at_path("hw", e.what());
      }
    }
    Map w = root.map("workload", "what every point runs: {kernel: NAME}, {compare: [BASELINE, ...]} or {layer: "
                                 "MODEL, seq: N}");
    s.workload = read_workload(w);

    Map fixed = root.map("fixed", "parameters with one value for every point", false);
    for (const auto& [key, node] : fixed.entries()) {
      if (!node.IsScalar() && !(node.IsMap() || node.IsSequence())) {
        m_r.error(node, fixed.child_path(key), "expected a value");
        continue;
      }
      m_pending.push_back({key, fixed.child_path(key), node, {value_text(node)}, true, 0, {}});
    }
    Map grid = root.map("grid", "axes crossed with each other (cartesian product)", false);
    for (const auto& [key, node] : grid.entries()) read_axis(grid, key, node, {});
    read_zip(root);
    read_random(root);
    const YAML::Node skip = root.node("skip", "expressions; a point for which one is true is left out", "none");
    root.finish();
    if (m_r.has_errors()) m_r.throw_if_errors();  // the names below need a readable file

    check_names();
    read_skip(skip);
    m_r.throw_if_errors();
    count();
    m_r.throw_if_errors();
    make_definition();
    if (keys) *keys = m_r.keys();
    return std::move(m_sweep);
  }

 private:
  /// Reads one axis (a list of values or {range: [LO, HI, STEP]}) into m_pending; `dim` is the
  /// dimension it belongs to (a new one when not given). A value may repeat in an axis of a zip
  /// group (the group's tuples must differ, checked by read_zip()), never in a grid axis.
  void read_axis(Map& parent, const std::string& key, const YAML::Node& node, std::optional<std::size_t> dim) {
    const std::string path = parent.child_path(key);
    std::vector<std::string> values;
    if (node.IsSequence()) {
      for (const auto& item : node) values.push_back(value_text(item));
      if (values.empty()) {
        m_r.error(node, path, "empty axis: give at least one value");
        return;
      }
    } else if (node.IsMap()) {
      Map m = parent.map(key, "an axis given as a range");
      const auto range = m.list("range", "[LO, HI] or [LO, HI, STEP], inclusive");
      m.finish();
      if (!range) return;
      if (!read_range(*range, node, path + ".range", values)) return;
    } else {
      m_r.error(node, path, fmt::format("expected a list of values or {{range: [LO, HI, STEP]}}, got {} (one value "
                                        "belongs in fixed)",
                                        shown_value(node)));
      return;
    }
    for (std::size_t i = 0; i < values.size() && !dim; ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (values[i] == values[j]) {
          m_r.error(node, path, fmt::format("'{}' is listed twice", values[i]));
          return;
        }
      }
    }
    m_pending.push_back({key, path, node, std::move(values), false, 0, {}});
    if (!dim) {
      m_sweep.dims.push_back({{key}, {}, 0, {}, {}});
      for (const auto& v : m_pending.back().values) m_sweep.dims.back().values.push_back({v});
    }
  }

  bool read_range(const std::vector<std::string>& r, const YAML::Node& node, const std::string& path,
                  std::vector<std::string>& out) {
    const std::string shown = fmt::format("[{}]", fmt::join(r, ", "));
    if (r.size() != 2 && r.size() != 3) {
      m_r.error(node, path, fmt::format("expected [LO, HI] or [LO, HI, STEP], got {}", shown));
      return false;
    }
    const std::string step_text = r.size() == 3 ? r[2] : "1";
    double lo = 0, hi = 0, step = 0;
    std::string unit;
    for (const auto& [t, v] : {std::pair{r[0], &lo}, std::pair{r[1], &hi}, std::pair{step_text, &step}}) {
      if (!split_quantity(t, *v, unit) || !unit.empty() || !std::isfinite(*v)) {
        m_r.error(node, path, fmt::format("expected numbers, got '{}'", t));
        return false;
      }
    }
    if (!(step > 0)) {
      m_r.error(node, path, fmt::format("the step must be > 0, got '{}'", step_text));
      return false;
    }
    if (hi < lo) {
      m_r.error(node, path, fmt::format("{} is empty: LO must be <= HI", shown));
      return false;
    }
    const bool integers = is_integer_text(r[0]) && is_integer_text(r[1]) && is_integer_text(step_text);
    const double n = std::floor((hi - lo) / step + (integers ? 0 : 1e-9)) + 1;
    if (n > double(kMaxSweepPoints)) {
      m_r.error(node, path, fmt::format("{} has {:.0f} values; a sweep has at most {} points", shown, n,
                                        grouped(kMaxSweepPoints)));
      return false;
    }
    const int decimals = std::max({decimals_of(r[0]), decimals_of(r[1]), decimals_of(step_text)});
    for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(n); ++i) {
      if (integers) {
        out.push_back(std::to_string(static_cast<std::int64_t>(lo) + static_cast<std::int64_t>(i * step)));
      } else {
        out.push_back(decimal_text(lo + double(i) * step, decimals));
      }
    }
    return true;
  }

  void read_zip(Map& root) {
    const YAML::Node zip = root.node("zip", "groups of axes whose values go together, not crossed", "none");
    if (!zip.IsDefined() || zip.IsNull()) return;
    if (!zip.IsSequence()) {
      m_r.error(zip, "zip", fmt::format("expected a list of groups such as [{{chunk: [32, 64], order: [4, 3]}}], got {}",
                                        shown_value(zip)));
      return;
    }
    for (std::size_t g = 0; g < zip.size(); ++g) {
      const std::string path = fmt::format("zip[{}]", g);
      if (!zip[g].IsMap() || zip[g].size() == 0) {
        m_r.error(zip[g], path, fmt::format("expected a mapping of axes to lists of equal length, got {}",
                                            shown_value(zip[g])));
        continue;
      }
      Map group = root.item(zip[g], path);
      const std::size_t dim = m_sweep.dims.size();
      const std::size_t first = m_pending.size();
      for (const auto& [key, node] : group.entries()) read_axis(group, key, node, dim);
      if (m_pending.size() - first != zip[g].size()) continue;  // an axis was wrong: reported
      Dimension d;
      for (std::size_t i = first; i < m_pending.size(); ++i) {
        d.names.push_back(m_pending[i].name);
        if (m_pending[i].values.size() != m_pending[first].values.size()) {
          m_r.error(m_pending[i].node, m_pending[i].path,
                    fmt::format("has {} values but '{}' has {}: the axes of a zip group go together, one value of "
                                "each per point",
                                m_pending[i].values.size(), m_pending[first].name, m_pending[first].values.size()));
          return;
        }
      }
      bool repeated = false;
      for (std::size_t v = 0; v < m_pending[first].values.size() && !repeated; ++v) {
        std::vector<std::string> row;
        for (std::size_t i = first; i < m_pending.size(); ++i) row.push_back(m_pending[i].values[v]);
        for (std::size_t u = 0; u < d.values.size() && !repeated; ++u) {
          if (d.values[u] != row) continue;
          m_r.error(zip[g], path, fmt::format("positions {} and {} hold the same values ({}): that point would run twice",
                                              u + 1, v + 1, fmt::join(row, ", ")));
          repeated = true;
        }
        d.values.push_back(std::move(row));
      }
      if (repeated) continue;
      m_sweep.dims.push_back(std::move(d));
    }
  }

  /// A random axis: how its values are drawn.
  struct Dist {
    std::string kind;  ///< uniform, log_uniform, int_uniform, choice
    std::vector<std::string> args;
    double lo = 0, hi = 0;
    std::string unit;
  };

  void read_random(Map& root) {
    Map rnd = root.map("random", "random samples of the axes in `space`, crossed with the grid", false);
    if (!rnd.present()) return;
    const auto samples = rnd.integer("samples", "number of samples", 1, 1'000'000);
    const auto seed = rnd.integer("seed", "sampling seed", 0, UINT64_MAX - 1, 0);
    Map space = rnd.map("space", "axis -> {uniform | log_uniform | int_uniform: [LO, HI]} or {choice: [values]}");
    Dimension d;
    std::vector<std::size_t> pending_index;
    std::vector<Dist> dists;
    bool all_ok = true;
    for (const auto& [key, node] : space.entries()) {
      const std::string path = space.child_path(key);
      if (!node.IsMap()) {
        all_ok = false;
        m_r.error(node, path, fmt::format("expected a distribution such as {{log_uniform: [25GB/s, 400GB/s]}}, got {}",
                                          shown_value(node)));
        continue;
      }
      Map m = space.map(key, "the distribution of one axis");
      std::vector<std::pair<std::string, YAML::Node>> given;
      for (const char* k : {"uniform", "log_uniform", "int_uniform", "choice"}) {
        const YAML::Node n = m.node(k, std::string(k) == "choice" ? "values drawn with equal probability"
                                                                  : "[LO, HI] drawn uniformly (log_uniform: in log "
                                                                    "scale; int_uniform: integers)");
        if (n.IsDefined() && !n.IsNull()) given.emplace_back(k, n);
      }
      m.finish();
      if (given.size() != 1) {
        all_ok = false;
        if (given.size() > 1) {
          m_r.error(node, path, fmt::format("give one distribution, got {} and {}", given[0].first, given[1].first));
        } else if (node.size() == 0) {
          m_r.error(node, path, "expected one of uniform, log_uniform, int_uniform, choice");
        }
        continue;
      }
      const std::string kind = given[0].first;
      std::vector<std::string> args;
      bool scalars = given[0].second.IsSequence();
      if (scalars) {
        for (const auto& item : given[0].second) {
          scalars &= item.IsScalar();
          if (item.IsScalar()) args.push_back(item.Scalar());
        }
      }
      if (!scalars) {
        all_ok = false;
        m_r.error(given[0].second, path + "." + kind,
                  fmt::format("expected a list of values, got {}", shown_value(given[0].second)));
        continue;
      }
      Dist dist;
      dist.kind = kind;
      dist.args = args;
      if (!check_distribution(dist, given[0].second, path + "." + kind)) {
        all_ok = false;
        continue;
      }
      dists.push_back(dist);
      d.names.push_back(key);
      m_pending.push_back({key, path, node, {}, false, 0, {}});
      pending_index.push_back(m_pending.size() - 1);
    }
    space.finish();
    rnd.finish();
    if (dists.empty() || !all_ok) {
      if (all_ok) m_r.error_at_path("random.space", "give at least one axis to sample");
      return;
    }
    // Sample i of axis k draws from its own stream: shards and -j never change a sample, and
    // no sample is held in memory.
    auto draw_one = [dists, seed](std::uint64_t i, std::size_t k) {
      const double u = unit_random(seed, i, k);
      const Dist& t = dists[k];
      if (t.kind == "choice") {
        return t.args[std::min<std::size_t>(static_cast<std::size_t>(u * double(t.args.size())), t.args.size() - 1)];
      }
      if (t.kind == "int_uniform") {
        const double span = t.hi - t.lo + 1;
        return std::to_string(static_cast<std::int64_t>(t.lo + std::min(std::floor(u * span), span - 1))) + t.unit;
      }
      const double x = t.kind == "uniform" ? t.lo + u * (t.hi - t.lo) : t.lo * std::pow(t.hi / t.lo, u);
      return four_digits(x) + t.unit;
    };
    d.samples = samples;
    const std::size_t axes = dists.size();
    d.draw = [draw_one, axes](std::uint64_t i) {
      std::vector<std::string> row;
      for (std::size_t k = 0; k < axes; ++k) row.push_back(draw_one(i, k));
      return row;
    };
    for (std::size_t k = 0; k < axes; ++k) {
      m_pending[pending_index[k]].samples = samples;
      m_pending[pending_index[k]].sample = [draw_one, k](std::uint64_t i) { return draw_one(i, k); };
    }
    json::object space_json;
    for (std::size_t k = 0; k < axes; ++k) {
      space_json[d.names[k]] = json::object{{dists[k].kind, json::value_from(dists[k].args)}};
    }
    d.random = json::object{{"samples", samples}, {"seed", seed}, {"space", std::move(space_json)}};
    m_sweep.dims.push_back(std::move(d));
  }

  /// Checks a distribution's arguments and reads LO, HI and their unit into `d`.
  bool check_distribution(Dist& d, const YAML::Node& node, const std::string& path) {
    const auto& a = d.args;
    if (d.kind == "choice") {
      if (a.empty()) m_r.error(node, path, "give at least one value");
      return !a.empty();
    }
    std::string unit_hi;
    const std::string shown = fmt::format("[{}]", fmt::join(a, ", "));
    if (a.size() != 2 || !split_quantity(a[0], d.lo, d.unit) || !split_quantity(a[1], d.hi, unit_hi) ||
        !std::isfinite(d.lo) || !std::isfinite(d.hi)) {
      m_r.error(node, path, fmt::format("expected [LO, HI], two numbers (units allowed), got {}", shown));
      return false;
    }
    if (d.unit != unit_hi) {
      m_r.error(node, path, fmt::format("{}: LO and HI must have the same unit", shown));
      return false;
    }
    if (d.hi < d.lo || (d.kind == "log_uniform" && d.lo <= 0)) {
      m_r.error(node, path, fmt::format("{}: expected LO <= HI{}", shown, d.kind == "log_uniform" ? " and LO > 0" : ""));
      return false;
    }
    if (d.kind == "int_uniform" && (!is_integer_text(split_number(a[0])) || !is_integer_text(split_number(a[1])))) {
      m_r.error(node, path, fmt::format("{}: expected integers", shown));
      return false;
    }
    return true;
  }

  static std::string split_number(const std::string& s) {
    double x;
    std::string unit;
    split_quantity(s, x, unit);
    return s.substr(0, s.size() - unit.size());
  }

  /// A value rounded to four significant digits, without an exponent.
  static std::string four_digits(double x) {
    if (x == 0) return "0";
    const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(x))));
    return decimal_text(x, 3 - magnitude);
  }

  /// splitmix64 of (seed, sample, axis): a uniform number in [0, 1).
  static double unit_random(std::uint64_t seed, std::uint64_t sample, std::uint64_t axis) {
    std::uint64_t z = seed ^ (sample * 0x9e3779b97f4a7c15ULL) ^ (axis * 0xd1b54a32d192ed03ULL);
    for (int round = 0; round < 2; ++round) {
      z += 0x9e3779b97f4a7c15ULL;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      z ^= z >> 31;
    }
    return double(z >> 11) * 0x1.0p-53;
  }

  /// Every name is a workload parameter or a hardware key, and appears once.
  void check_names() {
    const Workload& w = *m_sweep.workload;
    std::vector<std::string> param_names;
    for (const auto& p : w.params()) param_names.push_back(p.name);
    std::map<std::string, const Pending*> seen;
    for (const auto& p : m_pending) {
      if (auto [it, inserted] = seen.emplace(p.name, &p); !inserted) {
        m_r.error(p.node, p.path, fmt::format("'{}' is already given at {} (a parameter is fixed or one axis, once)",
                                              p.name, it->second->path));
        continue;
      }
      if (p.name.rfind("hw.", 0) == 0) {
        check_hw_key(p);
        continue;
      }
      if (std::find(param_names.begin(), param_names.end(), p.name) == param_names.end()) {
        std::vector<std::string_view> all(param_names.begin(), param_names.end());
        const auto near = closest_match(p.name, all);
        m_r.error(p.node, p.path,
                  fmt::format("unknown parameter{} (parameters: {}, or hw.KEY.PATH for a hardware key)",
                              near.empty() ? std::string() : fmt::format("; did you mean '{}'?", near),
                              fmt::join(param_names, ", ")));
        continue;
      }
      p.each([&](const std::string& v) {
        const std::string problem = w.check(p.name, v);
        if (!problem.empty()) m_r.error(p.node, p.path, fmt::format("'{}': {}", v, problem));
        return problem.empty();
      });
      if (p.fixed) m_sweep.fixed.emplace_back(p.name, p.values.front());
    }
    for (const auto& p : m_pending) {
      if (p.fixed && p.name.rfind("hw.", 0) == 0) m_sweep.fixed.emplace_back(p.name, p.values.front());
    }
    for (const auto& p : w.params()) {
      if (p.default_value.empty() && !seen.count(p.name)) {
        m_r.add_error(fmt::format("missing required parameter '{}' ({}): give it in fixed or as an axis",
                                          p.name, p.description));
      }
    }
    if (m_sweep.dims.empty()) m_r.add_error("the sweep has no axes: give grid, zip or random");
  }

  /// A hardware key is checked by the spec reader itself: the spec with the key set to its
  /// first value must not report it unknown (other problems of a value are the point's).
  void check_hw_key(const Pending& p) {
    if (!m_hw_ok || p.empty()) return;
    const std::string assignment = p.name.substr(3) + "=" + p.first();
    try {
      parse_hw_config(m_sweep.hw_text, m_sweep.hw_path, {assignment});
    } catch (const InputError& e) {
      const std::string key = p.name.substr(3);
      for (const auto& m : e.messages()) {
        // "...: matrx: unknown key; did you mean 'matrix'? ...": ours when the path is on our key.
        const auto at = m.find(": unknown key");
        const auto start = at == std::string::npos || at == 0 ? std::string::npos : m.rfind(": ", at - 1);
        if (start == std::string::npos) continue;
        const std::string path = m.substr(start + 2, at - (start + 2));
        if (key == path || key.rfind(path + ".", 0) == 0) m_r.error(p.node, p.path, "hardware spec: " + m.substr(start + 2));
      }
    }
  }

  void read_skip(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!node.IsSequence()) {
      m_r.error(node, "skip", fmt::format("expected a list of expressions such as [\"dtype == int16 and order > 4\"], "
                                          "got {}",
                                          shown_value(node)));
      return;
    }
    std::vector<std::string> names;
    for (const auto& p : m_pending) names.push_back(p.name);
    auto is_name = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
    for (const auto& item : node) {
      const std::string where = fmt::format("{}:{}:{}", m_sweep.file, item.Mark().line + 1, item.Mark().column + 1);
      if (!item.IsScalar()) {
        m_r.error(item, "skip", fmt::format("expected an expression, got {}", shown_value(item)));
        continue;
      }
      try {
        m_sweep.skip.push_back(SkipExpr::parse(item.Scalar(), is_name, names, where));
      } catch (const InputError& e) {
        for (const auto& m : e.messages()) m_r.add_error(m, true);
      }
    }
  }

  void count() {
    long double n = 1;
    for (const auto& d : m_sweep.dims) n *= d.size();
    if (n > kMaxSweepPoints) {
      m_r.add_error(fmt::format("the sweep has {:.0Lf} points; at most {} are supported (split it into "
                                        "several sweeps, or sample it with random)",
                                        n, grouped(kMaxSweepPoints)));
    }
  }

  void make_definition() {
    Sweep& s = m_sweep;
    json::object d;
    d["name"] = s.name;
    d["hw"] = s.hw;
    d["workload"] = s.workload->describe();
    json::object fixed;
    for (const auto& [k, v] : s.fixed) fixed[k] = v;
    d["fixed"] = std::move(fixed);
    json::array dims;
    for (const auto& dim : s.dims) {
      json::object o;
      o["names"] = json::value_from(dim.names);
      if (dim.draw) {
        o["random"] = dim.random;
      } else {
        o["values"] = json::value_from(dim.values);
      }
      dims.push_back(std::move(o));
    }
    d["dims"] = std::move(dims);
    json::array skip;
    for (const auto& e : s.skip) skip.emplace_back(e.text());
    d["skip"] = std::move(skip);
    s.definition = std::move(d);
    s.digest = stable_hash(fmt::format("npusim {}\n{}\n{}", kVersion, json::serialize(s.definition), s.hw_text));
  }

  YamlReader m_r;
  Sweep m_sweep;
  bool m_hw_ok = false;
  std::vector<Pending> m_pending;
};

}  // namespace

Sweep read_sweep(const std::string& path, std::vector<KeyDoc>* keys) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw InputError(fmt::format("{}: cannot open file (No such file or directory)", path));
  if (!fs::is_regular_file(status)) throw InputError(fmt::format("{}: not a regular file; expected a sweep file (YAML)", path));
  constexpr std::uintmax_t kMaxBytes = 1 << 20;
  if (fs::file_size(path, ec) > kMaxBytes) {
    throw InputError(fmt::format("{}: {} bytes; a sweep file is at most 1 MiB", path, fs::file_size(path, ec)));
  }
  return SweepReader(path, read_text_file(path)).read(keys);
}

}  // namespace npusim::sim
