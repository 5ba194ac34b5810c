// The report of a sweep: read from its store (configs/README.md, "The sweep store"), with the
// Pareto fronts per chunk and dtype, crossover maps over two of its axes, the failures, and the
// sensitivity of the recommended point.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <map>

#include "kernels/inverse/inverse.hpp"
#include "npu/common/error.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/report/crossover.hpp"
#include "sim/report/csv.hpp"
#include "sim/report/json.hpp"
#include "sim/report/pareto.hpp"
#include "sim/report/report_parts.hpp"
#include "sim/sweep/store.hpp"

namespace npusim::sim::report_parts {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

/// A stored point: its axis values and its row per kernel (null where it has none).
struct Point {
  std::uint64_t number = 0;
  std::vector<std::string> axes;
  std::vector<const StoredRow*> rows;
  bool ok() const {
    return std::all_of(rows.begin(), rows.end(), [](const StoredRow* r) { return r && r->status == "ok"; });
  }
};

json::value meta_json(Store& s, const std::string& key) {
  const std::string text = s.meta(key);
  if (text.empty()) return nullptr;
  return parse_json(text, s.path() + " (meta " + key + ")");
}

std::vector<std::string> string_list(const json::value& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& x : v.as_array()) {
      if (x.is_string()) out.emplace_back(x.as_string());
    }
  }
  return out;
}

std::string short_name(const std::string& axis) {
  if (axis == "order") return "N";
  if (axis == "steps") return "S";
  if (axis == "chunk") return "C";
  return axis;
}

class SweepData {
 public:
  explicit SweepData(const std::string& dir) : m_dir(dir), m_store(Store::open((fs::path(dir) / "results.sqlite").string(), true)) {
    m_rows = m_store.rows();
    m_axes = string_list(meta_json(m_store, "axes"));
    m_kernels = string_list(meta_json(m_store, "kernels"));
    if (m_kernels.empty()) m_kernels.push_back("?");
    const json::value fixed = meta_json(m_store, "fixed");
    if (fixed.is_object()) {
      for (const auto& kv : fixed.as_object()) {
        m_fixed.emplace_back(std::string(kv.key()),
                             kv.value().is_string() ? std::string(kv.value().as_string()) : json::serialize(kv.value()));
      }
    }
    m_definition = meta_json(m_store, "definition");
    m_workload = meta_json(m_store, "workload");
    for (const auto& r : m_rows) {
      if (r.status == "ok") check_figures(r);
      if (m_points.empty() || m_points.back().number != r.point) {
        m_points.push_back(Point{r.point, r.axis_values, std::vector<const StoredRow*>(m_kernels.size(), nullptr)});
      }
      const auto k = std::find(m_kernels.begin(), m_kernels.end(), r.kernel);
      if (k != m_kernels.end()) m_points.back().rows[std::size_t(k - m_kernels.begin())] = &r;
    }
  }

  /// The figures the analyses plot, as npusim writes them: a count of cycles, an SNR in dB.
  void check_figures(const StoredRow& r) const {
    auto bad = [&](const char* figure, const char* expected) {
      const auto* v = r.figures.if_contains(figure);
      throw InputError(fmt::format("{}: point {}, {}: {} is {}, expected {}: not a store npusim wrote", m_store.path(),
                                   r.point, r.kernel, figure, v ? json::serialize(*v) : "missing", expected));
    };
    const double cycles = fig_number(r.figures, "cycles");
    if (!(cycles >= 0 && cycles < 0x1p64)) bad("cycles", "a count of cycles");
    if (r.figures.contains("accuracy.snr_db.worst")) {
      const double snr = fig_number(r.figures, "accuracy.snr_db.worst");
      if (!(std::abs(snr) <= 1000)) bad("accuracy.snr_db.worst", "an SNR in dB");
    }
  }

  Store& store() { return m_store; }
  const std::vector<Point>& points() const { return m_points; }
  const std::vector<std::string>& axes() const { return m_axes; }
  const std::vector<std::string>& kernels() const { return m_kernels; }
  const std::vector<std::pair<std::string, std::string>>& fixed() const { return m_fixed; }
  const json::value& definition() const { return m_definition; }
  const json::value& workload() const { return m_workload; }
  std::string meta(const std::string& k) { return m_store.meta(k); }

  /// A parameter of a point: its axis value, else the fixed value, else "".
  std::string param(const Point& p, const std::string& name) const {
    for (std::size_t i = 0; i < m_axes.size(); ++i) {
      if (m_axes[i] == name) return p.axes[i];
    }
    for (const auto& [k, v] : m_fixed) {
      if (k == name) return v;
    }
    return "";
  }

  /// The spec file, relative to the working directory.
  std::string hw_path() {
    return (fs::path(meta("sweep_file")).parent_path() / meta("hw")).lexically_normal().string();
  }

  /// The hardware overrides of a point (fixed and axis values of hw.* parameters).
  std::vector<std::string> hw_overrides(const Point* p) const {
    std::vector<std::string> o;
    for (const auto& [k, v] : m_fixed) {
      if (k.rfind("hw.", 0) == 0) o.push_back(k.substr(3) + "=" + v);
    }
    for (std::size_t i = 0; p && i < m_axes.size(); ++i) {
      if (m_axes[i].rfind("hw.", 0) == 0) o.push_back(m_axes[i].substr(3) + "=" + p->axes[i]);
    }
    return o;
  }

 private:
  std::string m_dir;
  Store m_store;
  std::vector<StoredRow> m_rows;
  std::vector<std::string> m_axes, m_kernels;
  std::vector<std::pair<std::string, std::string>> m_fixed;
  json::value m_definition, m_workload;
  std::vector<Point> m_points;
};

double fnum(const StoredRow& r, const std::string& key) { return fig_number(r.figures, key); }

/// The worst-chunk SNR of a row, when its results were finite.
std::optional<double> snr_of(const StoredRow& r) {
  if (fnum(r, "accuracy.nonfinite") > 0) return std::nullopt;
  const double s = fnum(r, "accuracy.snr_db.worst");
  return std::isfinite(s) ? std::optional<double>(s) : std::nullopt;
}

/// "neumann N=3 S=8": the kernel and the settings of the axes that are not the group's (order
/// and steps only for kernels that take them).
std::string setting_label(const SweepData& d, const Point& p, const StoredRow& r, const std::vector<std::string>& group) {
  std::string s = r.kernel;
  for (std::size_t i = 0; i < d.axes().size(); ++i) {
    const std::string& a = d.axes()[i];
    if (std::find(group.begin(), group.end(), a) != group.end()) continue;
    if ((a == "order" && !(fnum(r, "kernel.order") > 0)) || (a == "steps" && !(fnum(r, "kernel.steps") > 0))) continue;
    if ((a == "sum" || a == "mask") && r.kernel != "neumann") continue;
    s += fmt::format(" {}={}", short_name(a), p.axes[i]);
  }
  return s;
}

bool is_default_setting(const StoredRow& r) {
  if (r.kernel != "neumann" || fig_text(r.figures, "kernel.mask") != "band") return false;
  const double c = fnum(r, "kernel.chunk");
  if (!(c > 0)) return false;
  const auto [n, s] = kernels::neumann_defaults(std::uint32_t(c));
  return fnum(r, "kernel.order") == n && fnum(r, "kernel.steps") == s;
}

struct Group {
  std::string name;                      ///< "C = 64 fp16"
  std::vector<std::size_t> points;       ///< indices into SweepData::points()
  bool has_chunk_64 = false;
};

std::vector<std::string> group_axes(const SweepData& d) {
  std::vector<std::string> g;
  for (const char* a : {"chunk", "dtype"}) {
    if (std::find(d.axes().begin(), d.axes().end(), a) != d.axes().end()) g.emplace_back(a);
  }
  return g;
}

std::vector<Group> groups(const SweepData& d) {
  std::vector<Group> out;
  for (std::size_t i = 0; i < d.points().size(); ++i) {
    const Point& p = d.points()[i];
    const std::string chunk = d.param(p, "chunk"), dtype = d.param(p, "dtype");
    std::string name = chunk.empty() ? "" : "C = " + chunk;
    if (!dtype.empty()) name += (name.empty() ? "" : " ") + dtype;
    if (name.empty()) name = "all points";
    auto it = std::find_if(out.begin(), out.end(), [&](const Group& g) { return g.name == name; });
    if (it == out.end()) {
      out.push_back(Group{name, {}, chunk == "64"});
      it = out.end() - 1;
    }
    it->points.push_back(i);
  }
  return out;
}

/// The cheapest row of a group whose worst-chunk SNR reaches the floor (any row when the sweep
/// measured no accuracy), as (point index, kernel index).
std::optional<std::pair<std::size_t, std::size_t>> cheapest(const SweepData& d, const Group& g, bool accuracy, double floor) {
  std::optional<std::pair<std::size_t, std::size_t>> best;
  double best_cycles = INFINITY;
  for (std::size_t i : g.points) {
    const Point& p = d.points()[i];
    for (std::size_t k = 0; k < p.rows.size(); ++k) {
      const StoredRow* r = p.rows[k];
      if (!r || r->status != "ok") continue;
      if (accuracy && !(snr_of(*r) && *snr_of(*r) >= floor)) continue;
      const double c = fnum(*r, "cycles");
      if (c < best_cycles) best_cycles = c, best = std::make_pair(i, k);
    }
  }
  return best;
}

}  // namespace

void report_sweep(Builder& b, const std::string& dir) {
  SweepData d(dir);
  const std::string store = d.store().path();
  const std::string name = d.meta("name"), sweep_file = d.meta("sweep_file");
  const auto& pts = d.points();
  const std::string resume = fmt::format("npusim sweep {} --resume --out {}", shell_word(sweep_file), shell_word(dir));
  if (pts.empty()) {
    throw InputError(fmt::format("{}: no points stored yet: the sweep stopped before its first point finished; resume "
                                 "it with {}",
                                 store, resume));
  }
  std::map<std::string, std::uint64_t> failed;
  const Point* first_failure = nullptr;
  const StoredRow* first_failed_row = nullptr;
  for (const auto& p : pts) {
    std::string worst;
    for (const auto* r : p.rows) {
      if (!r) continue;
      if (r->status == "error" || (r->status == "invalid" && worst != "error")) worst = r->status;
      if (r->status != "ok" && !first_failed_row) first_failure = &p, first_failed_row = r;
    }
    if (!worst.empty()) ++failed[worst];
  }
  std::uint64_t failed_points = 0;
  for (const auto& [k, n] : failed) failed_points += n;
  if (failed_points == pts.size()) {
    std::string counts;
    for (const auto& [k, n] : failed) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n, k);
    throw InputError(fmt::format("{}: every one of the {} stored points failed ({}), so there is nothing to report; the "
                                 "first: point {}, {}: {}",
                                 store, pts.size(), counts, first_failure->number, first_failed_row->kernel,
                                 first_failed_row->message));
  }
  const std::uint64_t meant = std::uint64_t(std::strtoull(d.meta("points").c_str(), nullptr, 10));
  const bool interrupted = meant > pts.size();
  const bool accuracy = d.meta("mode") == "numerics";
  const auto& kernels = d.kernels();
  const bool compare = kernels.size() > 1;
  const std::string baseline = kernels.front();
  const double floor = b.options().min_snr_db;
  const std::string hw = fs::path(d.meta("hw")).stem().string();

  auto& doc = b.doc();
  doc.title = fmt::format("npusim report: sweep {}", name);
  doc.subtitle = fmt::format("{} ({} mode, {} points stored; from {})", d.meta("description"), d.meta("mode"), pts.size(), dir);

  // Summary: what ran, what failed, and a recommendation per chunk and dtype.
  Section& s = b.section("summary");
  std::string runs;
  if (compare) {
    for (std::size_t k = 1; k < kernels.size(); ++k) runs += (k > 1 ? ", " : "") + kernels[k];
    runs = fmt::format("comparing {} with {} (the baseline of the speedups)", runs, baseline);
  } else {
    runs = "running " + kernels.front();
  }
  std::string what = fmt::format("{} of {} points of the sweep {} ({}{}), {} on {}", pts.size(), meant ? meant : pts.size(),
                                  sweep_file, d.meta("shard") == "all" || d.meta("shard").empty() ? "the whole sweep"
                                                                                                    : "shard " + d.meta("shard"),
                                  interrupted ? ", interrupted" : "", runs, hw);
  s.paragraph(what + ".");
  if (interrupted) {
    s.paragraph(std::vector<Span>{{"The sweep is incomplete: ", Span::Style::strong},
                                  {fmt::format("{} of its {} points are missing (stopped before the end); every figure "
                                               "below is from the points stored. Finish it with: ",
                                               meant - pts.size(), meant)},
                                  {resume, Span::Style::code}});
  }
  if (failed_points) {
    Table t{{"status", "points", "first message"}, {}, {false, true, false}};
    for (const auto& [status, n] : failed) {
      std::string msg;
      for (const auto& p : pts) {
        for (const auto* r : p.rows) {
          if (r && r->status == status && msg.empty()) msg = fmt::format("point {}, {}: {}", p.number, r->kernel, r->message);
        }
      }
      t.rows.push_back({status, std::to_string(n), msg});
    }
    s.paragraph(fmt::format("{} of the {} stored points failed; they are left out of every analysis below (the "
                            "crossover maps hatch them):",
                            failed_points, pts.size()));
    s.table(std::move(t));
  }
  const auto gs = groups(d);
  std::vector<std::string> recs;
  // The base point of the sections below: the recommendation at C = 64 (the common chunk size),
  // else the first.
  std::optional<std::pair<std::size_t, std::size_t>> chosen, chosen64;
  json::array rec_json;
  for (const auto& g : gs) {
    const auto best = cheapest(d, g, accuracy, floor);
    if (!best) {
      recs.push_back(fmt::format("at {}: no setting reaches {:g} dB worst-chunk SNR", g.name, floor));
      continue;
    }
    const Point& p = pts[best->first];
    const StoredRow& r = *p.rows[best->second];
    std::string line = fmt::format("at {} on {}, {} is the cheapest setting", g.name, hw, setting_label(d, p, r, group_axes(d)));
    line += accuracy ? fmt::format(" above {:g} dB worst-chunk SNR ({:.1f} dB)", floor, *snr_of(r)) : " (accuracy not measured)";
    line += fmt::format(": {} cycles", cycles_text(fnum(r, "cycles")));
    const StoredRow* base = compare ? p.rows.front() : nullptr;
    if (base && base != &r && base->status == "ok") {
      line += fmt::format(", {:.2f}x faster than {}", fnum(*base, "cycles") / fnum(r, "cycles"), baseline);
    }
    recs.push_back(line);
    rec_json.push_back(json::object{{"group", g.name}, {"point", p.number}, {"kernel", r.kernel},
                                    {"setting", setting_label(d, p, r, group_axes(d))}, {"cycles", fnum(r, "cycles")}});
    if (!chosen) chosen = best;
    if (g.has_chunk_64 && !chosen64) chosen64 = best;
  }
  if (chosen64) chosen = chosen64;
  s.paragraph(std::vector<Span>{{"Recommendation: ", Span::Style::strong},
                                {accuracy ? fmt::format("the cheapest setting of each chunk size and dtype whose worst "
                                                        "chunk reaches {:g} dB SNR (--min-snr):",
                                                        floor)
                                          : "the sweep ran timing-only, so these are the cheapest settings without an "
                                            "accuracy check:"}});
  s.bullets(recs);
  b.analyses()["recommendations"] = std::move(rec_json);

  // The spec the sweep ran on, with its fixed hardware values applied.
  const std::string hw_path = d.hw_path();
  std::string swept;
  for (const auto& a : d.axes()) {
    if (a.rfind("hw.", 0) == 0) swept += (swept.empty() ? "" : ", ") + a;
  }
  try {
    const std::string resolved = write_hw_config(read_hw_config(hw_path, d.hw_overrides(nullptr)));
    hardware_text_section(b, resolved, "the sweep's spec " + hw_path + " with its fixed values", hw_path,
                          swept.empty() ? "" : "The sweep varies " + swept + ": the values below are the base.");
  } catch (const InputError& e) {
    b.section("hardware").omitted = fmt::format("The sweep's spec could not be read again: {}", e.what());
  }

  // The recommended point (of C = 64 when there is one) in detail.
  if (chosen) {
    const Point& p = pts[chosen->first];
    std::vector<Entry> entries;
    for (const auto* r : p.rows) {
      if (r && r->status == "ok") entries.push_back(Entry{r->kernel, r->figures, ""});
    }
    b.section("comparison").paragraph(fmt::format("At the recommended point {} ({}):", p.number, [&] {
      std::string t;
      for (std::size_t i = 0; i < d.axes().size(); ++i) t += (t.empty() ? "" : ", ") + d.axes()[i] + " = " + p.axes[i];
      return t;
    }()));
    comparison_section(b, entries);
    utilization_section(b, entries);
    critical_path_section(b, entries);
  }
  // Per kernel over the whole sweep.
  {
    Table t{{"kernel", "points ok", "failed", "fewest cycles", "most cycles"}, {}, {false, true, true, true, true}};
    for (std::size_t k = 0; k < kernels.size(); ++k) {
      std::uint64_t ok = 0, bad = 0;
      double lo = INFINITY, hi = 0;
      for (const auto& p : pts) {
        const StoredRow* r = p.rows[k];
        if (!r) continue;
        if (r->status != "ok") {
          ++bad;
          continue;
        }
        ++ok;
        lo = std::min(lo, fnum(*r, "cycles")), hi = std::max(hi, fnum(*r, "cycles"));
      }
      t.rows.push_back({kernels[k], std::to_string(ok), std::to_string(bad), cycles_text(lo), cycles_text(hi)});
    }
    b.section("comparison").paragraph("Over the whole sweep:");
    b.section("comparison").table(std::move(t));
  }

  // Pareto fronts per chunk size and dtype.
  std::string pareto_csv = csv_record({"group", "setting", "kernel", "point", "cycles", "snr_db_worst", "rel_fro_error_worst",
                                     "on_front", "dominated_by", "knee", "publication_default", "baseline"});
  json::array pareto_json;
  if (accuracy) {
    std::size_t index = 0;
    for (const auto& g : gs) {
      std::vector<ParetoPoint> pp;
      std::vector<std::pair<std::size_t, const StoredRow*>> src;
      for (std::size_t i : g.points) {
        const Point& p = pts[i];
        for (const auto* r : p.rows) {
          if (!r || r->status != "ok") continue;
          ParetoPoint q{setting_label(d, p, *r, group_axes(d)), fnum(*r, "cycles"), snr_of(*r), std::nullopt,
                        is_default_setting(*r), compare && r->kernel == baseline};
          if (q.snr_db) q.rel_error = fnum(*r, "accuracy.rel_fro_error.worst");
          // Settings the kernel does not read give the same run: keep one.
          const bool same = std::any_of(pp.begin(), pp.end(), [&](const ParetoPoint& x) {
            return x.label == q.label && x.cycles == q.cycles && x.snr_db == q.snr_db;
          });
          if (same) continue;
          pp.push_back(q);
          src.emplace_back(p.number, r);
        }
      }
      if (pp.empty()) continue;
      const ParetoResult r = pareto(pp);
      Section& ps = b.section("pareto");
      std::string line = fmt::format("{}: {} settings, {} on the front", g.name, pp.size(), r.front.size());
      if (r.without_accuracy) line += fmt::format(", {} without a finite result", r.without_accuracy);
      if (r.knee) {
        line += fmt::format("; the knee is {} ({} cycles, {:.1f} dB)", pp[*r.knee].label, cycles_text(pp[*r.knee].cycles),
                            *pp[*r.knee].snr_db);
      }
      for (std::size_t i = 0; i < pp.size(); ++i) {
        if (!pp[i].is_default) continue;
        line += fmt::format("; the publication's default {} ({} cycles, {}) ", pp[i].label, cycles_text(pp[i].cycles),
                            pp[i].snr_db ? fmt::format("{:.1f} dB", *pp[i].snr_db) : "non-finite");
        line += !r.dominated[i] ? "is on the front"
                : r.dominator[i] < pp.size()
                    ? fmt::format("is dominated by {} ({} cycles, {:.1f} dB)", pp[r.dominator[i]].label,
                                  cycles_text(pp[r.dominator[i]].cycles), *pp[r.dominator[i]].snr_db)
                    : "is dominated";
      }
      ps.paragraph(line + ".");
      b.figure("pareto", fmt::format("pareto-{}", index++),
               fmt::format("Pareto front at {}: worst-chunk SNR against cycles of every setting (grey: dominated)", g.name),
               pareto_plot(pp, r, floor));
      Table t{{"setting on the front", "cycles", "worst SNR (dB)", "relative error", "speedup over " + baseline},
              {},
              {false, true, true, true, true}};
      for (std::size_t f : r.front) {
        const auto& [number, row] = src[f];
        const Point* p = nullptr;
        for (const auto& x : pts) {
          if (x.number == number) p = &x;
        }
        const StoredRow* base = p && compare ? p->rows.front() : nullptr;
        t.rows.push_back({pp[f].label + (r.knee && *r.knee == f ? " (knee)" : "") + (pp[f].is_default ? " (default)" : ""),
                          cycles_text(pp[f].cycles), fixed(*pp[f].snr_db, "{:.1f}"),
                          fixed(pp[f].rel_error.value_or(NAN), "{:.2e}"),
                          base && base->status == "ok" ? fixed(fnum(*base, "cycles") / pp[f].cycles, "{:.2f}x") : ""});
      }
      ps.table(std::move(t));
      for (std::size_t i = 0; i < pp.size(); ++i) {
        const bool front = !r.dominated[i];
        pareto_csv += csv_record({g.name, pp[i].label, src[i].second->kernel, std::to_string(src[i].first),
                                number_text(pp[i].cycles), number_text(pp[i].snr_db.value_or(NAN)),
                                number_text(pp[i].rel_error.value_or(NAN)), front ? "1" : "0",
                                r.dominator[i] < pp.size() ? pp[r.dominator[i]].label : "",
                                r.knee && *r.knee == i ? "1" : "0", pp[i].is_default ? "1" : "0",
                                pp[i].is_baseline ? "1" : "0"});
      }
      json::array front;
      for (std::size_t f : r.front) front.push_back(json::object{{"setting", pp[f].label}, {"cycles", pp[f].cycles},
                                                                 {"snr_db_worst", *pp[f].snr_db}});
      pareto_json.push_back(json::object{{"group", g.name}, {"settings", pp.size()}, {"front", std::move(front)},
                                         {"knee", r.knee ? json::value(pp[*r.knee].label) : json::value(nullptr)}});
    }
    b.csv("pareto", pareto_csv);
    b.analyses()["pareto"] = std::move(pareto_json);
  }

  // Crossover maps over the two largest grid dimensions, one per combination of the others.
  std::string crossover_note;
  if (compare) {
    const json::value* dims = d.definition().is_object() ? d.definition().as_object().if_contains("dims") : nullptr;
    std::vector<std::pair<std::string, std::vector<std::string>>> dim;  // name, values
    bool random = false;
    if (dims && dims->is_array()) {
      for (const auto& x : dims->as_array()) {
        if (!x.is_object()) continue;
        const auto names = string_list(x.as_object().contains("names") ? x.as_object().at("names") : json::value());
        const auto* vs = x.as_object().if_contains("values");
        if (!vs || !vs->is_array()) {
          random = true;  // random samples: no list of values
          continue;
        }
        std::vector<std::string> values;
        for (const auto& v : vs->as_array()) {
          const auto parts = string_list(v);
          std::string t;
          for (const auto& part : parts) {
            if (t.find(part) == std::string::npos) t += (t.empty() ? "" : " / ") + part;
          }
          values.push_back(t);
        }
        std::string n;
        for (const auto& part : names) n += (n.empty() ? "" : " + ") + part;
        dim.emplace_back(n, values);
      }
    }
    std::vector<std::size_t> order(dim.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t c) {
      return dim[a].second.size() > dim[c].second.size();
    });
    const std::size_t usable = std::count_if(dim.begin(), dim.end(), [](const auto& x) { return x.second.size() > 1; });
    if (random) {
      crossover_note = "The sweep samples points at random: they are not a grid, so there is no crossover map.";
    } else if (usable < 2) {
      crossover_note = "The sweep varies fewer than two axes (with two values or more): no map to draw.";
    } else {
      const std::size_t xi = order[0], yi = order[1];
      std::vector<std::size_t> facets(order.begin() + 2, order.end());
      std::size_t maps = 1;
      for (std::size_t f : facets) maps *= dim[f].second.size();
      std::map<std::uint64_t, const Point*> by_number;
      for (const auto& p : pts) by_number[p.number] = &p;
      std::vector<CrossoverGrid> grids;
      std::string crossover_csv = csv_record({"map", dim[xi].first, dim[yi].first, "speedup"});
      for (std::size_t m = 0; m < maps && m < 12; ++m) {
        std::vector<std::size_t> at(dim.size(), 0);
        std::size_t rest = m;
        std::string title;
        for (auto it = facets.rbegin(); it != facets.rend(); ++it) {
          at[*it] = rest % dim[*it].second.size();
          rest /= dim[*it].second.size();
        }
        for (std::size_t f : facets) title += (title.empty() ? "" : ", ") + dim[f].first + " = " + dim[f].second[at[f]];
        CrossoverGrid g;
        g.title = fmt::format("{} over {}{}", kernels.back(), baseline, title.empty() ? "" : " at " + title);
        g.x_name = dim[xi].first;
        g.y_name = dim[yi].first;
        g.x_values = dim[xi].second;
        g.y_values = dim[yi].second;
        g.baseline = baseline;
        g.kernel = kernels.back();
        for (std::size_t y = 0; y < g.y_values.size(); ++y) {
          std::vector<double> line;
          for (std::size_t x = 0; x < g.x_values.size(); ++x) {
            at[xi] = x, at[yi] = y;
            std::uint64_t number = 0;
            for (std::size_t k = 0; k < dim.size(); ++k) number = number * dim[k].second.size() + at[k];
            const auto it = by_number.find(number);
            double v = NAN;
            if (it != by_number.end() && it->second->ok()) v = fnum(*it->second->rows.back(), "speedup");
            line.push_back(v);
            crossover_csv += csv_record({title, g.x_values[x], g.y_values[y], number_text(v)});
          }
          g.speedup.push_back(line);
        }
        grids.push_back(std::move(g));
      }
      crossover_section(b, grids);
      b.csv("crossover", crossover_csv);
      if (maps > 12) {
        std::string t;
        for (std::size_t f : facets) t += (t.empty() ? "" : " x ") + dim[f].first;
        b.section("crossover").paragraph(fmt::format("The first 12 of {} maps are shown (one per value of {}).", maps, t));
      }
    }
  } else {
    crossover_note = "The sweep runs one kernel: a crossover map needs a compare workload.";
  }

  // Sensitivity of the recommended point.
  std::string sensitivity_note = "No recommended point to perturb.";
  if (chosen && b.options().sensitivity) {
    const Point& p = pts[chosen->first];
    SensitivityBase base;
    base.label = fmt::format("point {} of {} ({})", p.number, name, setting_label(d, p, *p.rows[chosen->second], {}));
    base.hw_path = hw_path;
    base.hw_overrides = d.hw_overrides(&p);
    base.workload = d.workload().is_object() ? d.workload().as_object() : json::object{};
    for (const auto& [k, v] : d.fixed()) {
      if (k.rfind("hw.", 0) != 0) base.params.emplace_back(k, v);
    }
    for (std::size_t i = 0; i < d.axes().size(); ++i) {
      if (d.axes()[i].rfind("hw.", 0) != 0) base.params.emplace_back(d.axes()[i], p.axes[i]);
    }
    sensitivity_section(b, base);
  } else if (!b.options().sensitivity) {
    sensitivity_note = "Not computed (--no-sensitivity).";
  }

  std::vector<std::string> cmds = {fmt::format("npusim sweep {}{} --out {}", shell_word(sweep_file),
                                               accuracy ? "" : " --timing-only", shell_word(dir))};
  reproduce_section(b, cmds, d.meta("npusim"), "");
  b.finish({{"timeline", "Sweeps keep no traces: run npusim compare --trace at one point for a timeline."},
            {"pareto", accuracy ? "No point finished with a finite accuracy."
                                : "The sweep ran timing-only: no accuracy, so no accuracy/cycles fronts."},
            {"crossover", crossover_note},
            {"sensitivity", sensitivity_note},
            {"layer", "Not a layer run: the layer breakdown needs the output of npusim layer."}});
}

}  // namespace npusim::sim::report_parts
