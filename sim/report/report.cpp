#include "sim/report/report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <npusim_revision.hpp>
#include <npusim_version.hpp>
#include <set>
#include <cstring>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/report/crossover.hpp"
#include "sim/report/csv.hpp"
#include "sim/report/document.hpp"
#include "sim/report/figures.hpp"
#include "sim/report/json.hpp"
#include "sim/report/plot.hpp"
#include "sim/report/recommend.hpp"
#include "sim/report/report_parts.hpp"
#include "sim/report/sensitivity.hpp"
#include "sim/report/spec_sources.hpp"
#include "sim/run/run_program.hpp"
#include "sim/sweep/store.hpp"

namespace npusim::sim {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace report_parts {

json::object flat(const json::object& stats) { return flatten_figures(stats); }
double num(const json::object& fig, const std::string& key) { return fig_number(fig, key); }
std::string text(const json::object& fig, const std::string& key) { return fig_text(fig, key); }

/// `v` with every string made valid UTF-8 (the analyses are JSON, which must be).
void sanitize(json::value& v) {
  if (v.is_string()) {
    v = valid_utf8(v.as_string());
  } else if (v.is_array()) {
    for (auto& x : v.as_array()) sanitize(x);
  } else if (v.is_object()) {
    for (auto& kv : v.as_object()) sanitize(kv.value());
  }
}

std::string pct(double f, int digits) { return std::isfinite(f) ? fmt::format("{:.{}f}%", 100 * f, digits) : "n/a"; }
std::string number_text(double v) { return std::isfinite(v) ? fmt::format("{}", v) : ""; }

std::string fixed(double v, const char* spec) { return std::isfinite(v) ? fmt::format(fmt::runtime(spec), v) : "n/a"; }

/// Reads a JSON file the report depends on. Invalid UTF-8 inside strings is accepted here (and
/// replaced when shown): a spec name in another encoding must not hide the rest of the report.
json::value read_json(const std::string& path) {
  return parse_json(read_text_file(path, std::uint64_t{1} << 30), path, true);  // traces can be large
}

const json::object& as_object(const json::value& v, const std::string& file) {
  if (!v.is_object()) throw InputError(fmt::format("{}: expected a JSON object", file));
  return v.as_object();
}

const json::object& object_at(const json::object& o, const std::string& key, const std::string& file) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_object()) {
    throw InputError(fmt::format("{}: expected an object '{}': not written by npusim, or by another version", file, key));
  }
  return v->as_object();
}

const json::array& array_at(const json::object& o, const std::string& key, const std::string& file) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_array()) {
    throw InputError(fmt::format("{}: expected an array '{}': not written by npusim, or by another version", file, key));
  }
  return v->as_array();
}

/// A run's stats as an entry; InputError when they lack what every report needs.
Entry stats_entry(const std::string& label, const json::object& stats, const std::string& file) {
  Entry e{label, flat(stats), ""};
  if (!std::isfinite(num(e.fig, "cycles")) || !stats.contains("units")) {
    throw InputError(fmt::format("{}: expected npusim stats with 'cycles' and 'units'", file));
  }
  if (const auto* x = stats.if_contains("explanation"); x && x->is_string()) e.explanation = x->as_string().c_str();
  return e;
}

/// Unit names in the order of the first entry's `units.<unit>.busy_cycles`.
std::vector<std::string> unit_names(const std::vector<Entry>& entries) {
  std::vector<std::string> units;
  for (const auto& kv : entries.front().fig) {
    const std::string k(kv.key());
    if (k.rfind("units.", 0) == 0 && k.size() > 18 && k.compare(k.size() - 12, 12, ".busy_cycles") == 0) {
      units.push_back(k.substr(6, k.size() - 18));
    }
  }
  return units;
}

/// Figure keys under `prefix` with a non-zero value in any entry, in first-seen order.
std::vector<std::string> nonzero_keys(const std::vector<Entry>& entries, const std::string& prefix) {
  std::vector<std::string> keys;
  for (const auto& e : entries) {
    for (const auto& kv : e.fig) {
      const std::string k(kv.key());
      if (k.rfind(prefix, 0) != 0 || k.find('.', prefix.size()) != std::string::npos) continue;
      if (num(e.fig, k) != 0 && std::isfinite(num(e.fig, k)) &&
          std::find(keys.begin(), keys.end(), k) == keys.end()) {
        keys.push_back(k);
      }
    }
  }
  return keys;
}

/// One colour per unit, stall cause and path cause across every plot of a report (Okabe-Ito).
std::string colour_of(const std::string& name) {
  static const std::map<std::string, std::string> fixed = {
      {"sequencer", "#999999"}, {"matrix", "#0072B2"},      {"vector", "#009E73"},       {"dma0", "#56B4E9"},
      {"dma1", "#E69F00"},      {"handoff", "#D55E00"},     {"issue", "#CC79A7"},        {"queue_full", "#F0E442"},
      {"barrier", "#000000"},   {"sync", "#000000"},        {"bank_conflict", "#999999"}, {"dram_bandwidth", "#000000"},
      {"matrix MACs", "#CC79A7"}, {"vector lanes", "#F0E442"}};
  std::string key = name;
  for (const char* suffix : {" busy", " executing"}) {
    if (key.size() > std::strlen(suffix) && key.compare(key.size() - std::strlen(suffix), std::string::npos, suffix) == 0) {
      key.resize(key.size() - std::strlen(suffix));
    }
  }
  if (key.rfind("dep_", 0) == 0) key = key.substr(4);
  const auto it = fixed.find(key);
  if (it != fixed.end()) return it->second;
  return key.rfind("dma", 0) == 0 ? "#56B4E9" : "";
}

struct SectionInfo {
  const char* id;
  const char* title;
};

const std::vector<SectionInfo>& sections() {
  static const std::vector<SectionInfo> s = {
      {"summary", "Summary and recommendation"},
      {"hardware", "Hardware spec"},
      {"comparison", "Per-kernel comparison"},
      {"utilization", "Utilization and stall causes"},
      {"critical-path", "Critical-path breakdown"},
      {"timeline", "Timeline excerpt"},
      {"pareto", "Pareto fronts: accuracy against cycles"},
      {"crossover", "Crossover map"},
      {"sensitivity", "Sensitivity of the base point"},
      {"layer", "Layer breakdown"},
      {"reproduce", "How to reproduce"},
  };
  return s;
}

Builder::Builder(const ReportOptions& o) : m_opt(o) {
  for (const auto& s : sections()) m_doc.section(s.id, s.title);
}

Section& Builder::section(const std::string& id) {
  for (auto& s : m_doc.sections) {
    if (s.id == id) return s;
  }
  NPUSIM_ASSERT(false, "unknown report section " + id);
}

void Builder::figure(const std::string& section_id, const std::string& name, const std::string& caption, const Plot& p) {
  const std::string title = caption.substr(0, caption.find(": "));
  section(section_id).figure(Figure{name, caption, render_svg(p, "f-" + name, title)});
}

void Builder::finish(const std::map<std::string, std::string>& notes) {
  for (auto& s : m_doc.sections) {
    if (!s.blocks.empty() || !s.omitted.empty()) continue;
    const auto it = notes.find(s.id);
    s.omitted = it != notes.end() ? it->second : "No data for this section in this output.";
  }
}

/// The hardware spec: every resolved value with the preset's comment on where it comes from.
void hardware_text_section(Builder& b, const std::string& resolved_yaml, const std::string& config_path,
                           const std::string& preset_path, const std::string& note) {
  Section& s = b.section("hardware");
  const SpecSources src = spec_sources(resolved_yaml, config_path, preset_path);
  std::string name, description;
  Table t{{"key", "value", "origin", "source or comment (from the preset)"}, {}, {false, true, false, false}};
  std::map<std::string, int> counts;
  for (const auto& e : src.entries) {
    if (e.key == "name") {
      name = e.value;
      continue;
    }
    if (e.key == "description") {
      description = e.value;
      continue;
    }
    ++counts[e.origin];
    t.rows.push_back({e.key, e.value, e.origin, e.note});
  }
  std::vector<Span> intro{{"Preset "}, {name, Span::Style::strong}};
  if (!description.empty()) intro.push_back({": " + description});
  intro.push_back({fmt::format(". Resolved spec: {} (every key explicit); sources from the comments of {}. ",
                               config_path, preset_path.empty() ? "(no preset recorded)" : preset_path)});
  std::string tally;
  for (const auto& [origin, n] : counts) tally += fmt::format("{}{} {}", tally.empty() ? "" : ", ", n, origin);
  intro.push_back({"Values: " + tally + "."});
  s.paragraph(intro);
  if (!note.empty()) s.paragraph(note);
  if (!src.problem.empty()) s.paragraph(std::vector<Span>{{"Note: ", Span::Style::strong}, {src.problem}});
  if (!src.header.empty()) s.paragraph(std::vector<Span>{{"The preset says: ", Span::Style::strong}, {src.header}});
  s.table(std::move(t));
  json::array spec;
  for (const auto& e : src.entries) {
    spec.push_back(json::object{{"key", e.key}, {"value", e.value}, {"origin", e.origin}, {"note", e.note}});
  }
  b.analyses()["hardware"] = json::object{{"config", config_path}, {"preset", preset_path}, {"values", std::move(spec)}};
}

void hardware_section(Builder& b, const std::string& config_path, const std::string& preset_path,
                      const std::string& note) {
  if (!fs::exists(config_path)) {
    b.section("hardware").omitted = fmt::format("No resolved spec ({} is missing).", config_path);
    return;
  }
  hardware_text_section(b, read_text_file(config_path), config_path, preset_path, note);
}

/// Per-kernel figures side by side (the first entry is the baseline of the speedups).
void comparison_section(Builder& b, const std::vector<Entry>& entries) {
  Section& s = b.section("comparison");
  Table t;
  t.header.push_back("figure");
  for (const auto& e : entries) t.header.push_back(e.label);
  t.numeric.assign(t.header.size(), true);
  t.numeric[0] = false;
  auto row = [&](const std::string& label, const std::function<std::string(const Entry&)>& cell) {
    std::vector<std::string> r{label};
    for (const auto& e : entries) r.push_back(cell(e));
    t.rows.push_back(std::move(r));
  };
  const double base = num(entries.front().fig, "cycles");
  row("cycles", [](const Entry& e) { return cycles_text(num(e.fig, "cycles")); });
  if (entries.size() > 1) {
    row(fmt::format("speedup over {}", entries.front().label),
        [&](const Entry& e) { return fixed(base / num(e.fig, "cycles"), "{:.2f}x"); });
  }
  row("instructions", [](const Entry& e) { return cycles_text(num(e.fig, "instructions")); });
  const auto units = unit_names(entries);
  for (const auto& u : units) {
    row(u + ": instructions", [&](const Entry& e) { return cycles_text(num(e.fig, "units." + u + ".instructions")); });
  }
  for (const auto& u : units) {
    row(u + ": busy cycles (utilization)", [&](const Entry& e) {
      return cycles_text(num(e.fig, "units." + u + ".busy_cycles")) + " (" +
             pct(num(e.fig, "units." + u + ".utilization"), 0) + ")";
    });
  }
  row("matrix MAC utilization", [](const Entry& e) { return pct(num(e.fig, "units.matrix.mac_utilization")); });
  row("vector lane utilization", [](const Entry& e) { return pct(num(e.fig, "units.vector.lane_utilization")); });
  for (const auto& k : nonzero_keys(entries, "stalls.")) {
    row("stall " + k.substr(7) + " (unit-cycles)", [&](const Entry& e) { return cycles_text(num(e.fig, k)); });
  }
  row("DRAM read / written", [](const Entry& e) {
    return human_bytes(num(e.fig, "traffic.dram_read_bytes")) + " / " + human_bytes(num(e.fig, "traffic.dram_write_bytes"));
  });
  row("DRAM bandwidth utilization", [](const Entry& e) { return pct(num(e.fig, "traffic.dram_bandwidth_utilization")); });
  row("hand-offs matrix->vector / vector->matrix", [](const Entry& e) {
    return cycles_text(num(e.fig, "handoff.matrix_to_vector.count")) + " / " +
           cycles_text(num(e.fig, "handoff.vector_to_matrix.count"));
  });
  row("hand-off cycles", [](const Entry& e) {
    return cycles_text(num(e.fig, "handoff.matrix_to_vector.cycles") + num(e.fig, "handoff.vector_to_matrix.cycles"));
  });
  row("tightest lower bound (share of the run)", [](const Entry& e) {
    return text(e.fig, "bounds.binding") + " (" + pct(num(e.fig, "bounds.binding_fraction"), 0) + ")";
  });
  row("critical-path instructions", [](const Entry& e) { return cycles_text(num(e.fig, "critical_path.instructions")); });
  const bool accuracy = std::any_of(entries.begin(), entries.end(), [](const Entry& e) {
    return e.fig.contains("accuracy.nonfinite");
  });
  if (accuracy) {
    row("SNR mean / worst chunk (dB)", [](const Entry& e) {
      return fixed(num(e.fig, "accuracy.snr_db.mean"), "{:.1f}") + " / " + fixed(num(e.fig, "accuracy.snr_db.worst"), "{:.1f}");
    });
    row("relative error, worst chunk", [](const Entry& e) { return fixed(num(e.fig, "accuracy.rel_fro_error.worst"), "{:.2e}"); });
    row("non-finite values / saturations", [](const Entry& e) {
      return cycles_text(num(e.fig, "accuracy.nonfinite")) + " / " + cycles_text(num(e.fig, "accuracy.saturations"));
    });
  }
  s.table(std::move(t));
  std::vector<std::string> why;
  for (const auto& e : entries) {
    if (!e.explanation.empty()) why.push_back(e.label + ": " + e.explanation);
  }
  if (!why.empty()) s.bullets(why);
}

/// One horizontal bar per entry, stacked from the figures `series` names (key, legend name).
BarChart stacked_bars(const std::vector<Entry>& entries, const std::vector<std::pair<std::string, std::string>>& series,
                      const std::string& value_label) {
  BarChart c;
  c.stacked = c.horizontal = true;
  for (const auto& e : entries) c.categories.push_back(e.label);
  for (const auto& [key, name] : series) {
    BarChart::Series s{name, {}, {}, colour_of(name)};
    for (const auto& e : entries) s.values.push_back(num(e.fig, key));
    c.series.push_back(std::move(s));
  }
  c.value_label = value_label;
  c.value_min = 0;
  return c;
}

/// Busy share per unit, and stall causes, per entry.
void utilization_section(Builder& b, const std::vector<Entry>& entries) {
  const auto units = unit_names(entries);
  if (units.empty()) return;  // no unit figures (a store without them): the section says so
  BarChart u;
  for (const auto& e : entries) u.categories.push_back(e.label);
  for (const auto& unit : units) {
    BarChart::Series s{unit + " busy", {}, {}, colour_of(unit)};
    for (const auto& e : entries) s.values.push_back(100 * num(e.fig, "units." + unit + ".utilization"));
    u.series.push_back(std::move(s));
  }
  BarChart::Series mac{"matrix MACs", {}, {}, colour_of("matrix MACs")}, lanes{"vector lanes", {}, {}, colour_of("vector lanes")};
  for (const auto& e : entries) {
    mac.values.push_back(100 * num(e.fig, "units.matrix.mac_utilization"));
    lanes.values.push_back(100 * num(e.fig, "units.vector.lane_utilization"));
  }
  u.series.push_back(std::move(mac));
  u.series.push_back(std::move(lanes));
  u.value_label = "utilization (% of cycles; MACs and lanes: % of peak)";
  u.value_min = 0;
  u.value_max = 100;
  b.figure("utilization", "utilization",
           "Utilization per unit: busy cycles as a share of the run, and the matrix unit's MACs and the vector unit's "
           "lanes as a share of their peak",
           bar_plot(u));
  const auto stalls = nonzero_keys(entries, "stalls.");
  if (stalls.empty()) {
    b.section("utilization").paragraph("No unit stalled in any run.");
    return;
  }
  std::vector<std::pair<std::string, std::string>> series;
  for (const auto& k : stalls) series.emplace_back(k, k.substr(7));
  const BarChart st = stacked_bars(entries, series, "stalled unit-cycles (several units can stall in one cycle)");
  b.figure("utilization", "stalls",
           "Stall causes: cycles the execution units lost, by cause (dep_UNIT: waiting for a producer on UNIT; issue: "
           "starved by the sequencer; bank_conflict and dram_bandwidth: cycles added by sharing)",
           bar_plot(st));
}

/// The critical path of each entry split into execution per unit and the causes that stretched it.
void critical_path_section(Builder& b, const std::vector<Entry>& entries) {
  auto keys = nonzero_keys(entries, "critical_path.by_unit.");
  for (const auto& k : nonzero_keys(entries, "critical_path.by_cause.")) keys.push_back(k);
  if (keys.empty()) return;
  std::vector<std::pair<std::string, std::string>> series;
  for (const auto& k : keys) {
    const bool unit = k.rfind("critical_path.by_unit.", 0) == 0;
    series.emplace_back(k, unit ? k.substr(22) + " executing" : k.substr(23));
  }
  const BarChart c = stacked_bars(entries, series, "cycles on the critical path (adds up to the run's cycles)");
  b.figure("critical-path", "critical-path",
           "Critical path: the chain of instructions that ends at the last completion, split into time executing on "
           "each unit and time lost to each cause",
           bar_plot(c));
  Table t{{"", "path cycles", "path instructions", "longest dependent run", "tightest bound"}, {}, {false, true, true, false, false}};
  for (const auto& e : entries) {
    t.rows.push_back({e.label, cycles_text(num(e.fig, "critical_path.cycles")),
                      cycles_text(num(e.fig, "critical_path.instructions")),
                      fmt::format("{} instructions on {}", cycles_text(num(e.fig, "critical_path.longest_dependent_run.instructions")),
                                  text(e.fig, "critical_path.longest_dependent_run.unit")),
                      text(e.fig, "bounds.binding") + " " + cycles_text(num(e.fig, "bounds.binding_cycles")) + " cycles"});
  }
  b.section("critical-path").table(std::move(t));
}

/// A timeline excerpt from a Chrome trace written by `--trace`: a lane per unit, the first chunks.
void timeline_figure(Builder& b, const std::string& label, const std::string& path, std::size_t index) {
  const json::value trace = read_json(path);
  const auto& events = array_at(as_object(trace, path), "traceEvents", path);
  std::map<std::pair<std::int64_t, std::int64_t>, std::string> lanes;  // (pid, tid) -> name
  struct Slice {
    std::int64_t pid, tid;
    double start, end;
    bool handoff;
    std::string text;
  };
  std::vector<Slice> slices;
  for (const auto& ev : events) {
    if (!ev.is_object()) continue;
    const auto& o = ev.as_object();
    const std::string ph = o.contains("ph") && o.at("ph").is_string() ? o.at("ph").as_string().c_str() : "";
    const auto* pid = o.if_contains("pid");
    const auto* tid = o.if_contains("tid");
    if (!pid || !tid) continue;
    json::error_code pid_ec, tid_ec;
    const auto key = std::make_pair(pid->to_number<std::int64_t>(pid_ec), tid->to_number<std::int64_t>(tid_ec));
    if (pid_ec || tid_ec) continue;  // not whole numbers: not an event of npusim's traces
    const auto* args = o.if_contains("args");
    if (ph == "M" && o.contains("name") && o.at("name") == "thread_name" && args && args->is_object()) {
      const auto* n = args->as_object().if_contains("name");
      if (n && n->is_string()) lanes[key] = n->as_string().c_str();
    } else if (ph == "X" && args && args->is_object()) {
      const auto& a = args->as_object();
      const std::string cat = o.contains("cat") && o.at("cat").is_string() ? o.at("cat").as_string().c_str() : "";
      if (cat == "handoff") {
        const auto* ts = o.if_contains("ts");
        const auto* dur = o.if_contains("dur");
        const auto* cyc = a.if_contains("cycles");
        if (!ts || !dur || !cyc || !ts->is_number() || !dur->is_number()) continue;
        slices.push_back({key.first, key.second, 0, 0, true, ""});
        slices.back().start = json_double(*ts), slices.back().end = json_double(*ts) + json_double(*dur);
        continue;
      }
      const auto* s0 = a.if_contains("start_cycle");
      const auto* s1 = a.contains("end_cycle") ? a.if_contains("end_cycle") : a.if_contains("done_cycle");
      if (!s0 || !s1 || !s0->is_number() || !s1->is_number()) continue;
      const auto* in = a.if_contains("instruction");
      slices.push_back({key.first, key.second, json_double(*s0), json_double(*s1), false,
                        in && in->is_string() ? in->as_string().c_str() : ""});
    }
  }
  const auto* other = trace.as_object().if_contains("otherData");
  double cycles = NAN, until = NAN, clock_hz = 1e9;
  if (other && other->is_object()) {
    const auto& od = other->as_object();
    if (const auto* c = od.if_contains("cycles"); c && c->is_number()) cycles = json_double(*c);
    if (const auto* u = od.if_contains("traced_until_cycle"); u && u->is_number()) until = json_double(*u);
    if (const auto* h = od.if_contains("clock_hz"); h && h->is_number()) clock_hz = json_double(*h);
  }
  // Hand-off slices carry times, not cycles.
  for (auto& s : slices) {
    if (s.handoff) s.start *= clock_hz / 1e6, s.end *= clock_hz / 1e6;
  }
  if (slices.empty()) {
    b.section("timeline").paragraph(fmt::format("{}: the trace {} holds no instruction slices.", label, path));
    return;
  }
  // The excerpt: until the second chunk's result is stored (kernel runs store T[i] per chunk),
  // else the first 300 instructions.
  std::vector<double> stores;
  for (const auto& s : slices) {
    if (s.text.rfind("dma.store T[", 0) == 0) stores.push_back(s.end);
  }
  std::sort(stores.begin(), stores.end());
  double end = NAN;
  std::string what;
  if (stores.size() >= 2) {
    end = stores[1];
    what = "until the second chunk's T is stored";
  } else {
    std::vector<double> starts;
    for (const auto& s : slices) starts.push_back(s.start);
    std::sort(starts.begin(), starts.end());
    end = starts[std::min<std::size_t>(starts.size() - 1, 300)];
    for (const auto& s : slices) end = s.start <= end ? std::max(end, s.end) : end;
    what = "the first 300 instructions";
  }
  std::vector<std::pair<std::int64_t, std::int64_t>> order;
  for (const auto& [k, n] : lanes) order.push_back(k);
  for (const auto& s : slices) {
    if (std::find(order.begin(), order.end(), std::make_pair(s.pid, s.tid)) == order.end()) order.emplace_back(s.pid, s.tid);
  }
  std::sort(order.begin(), order.end());
  const bool cores = order.front().first != order.back().first;
  Plot p(860, int(std::max<std::size_t>(200, 70 + 34 * order.size())));
  std::string tics;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto it = lanes.find(order[i]);
    const std::string name = (cores ? fmt::format("core {} ", order[i].first) : "") +
                             (it != lanes.end() ? it->second : fmt::format("track {}", order[i].second));
    tics += fmt::format("{}{} {}", i ? ", " : "", gp_quote(name), i);
  }
  p.cmd(fmt::format("set ytics ({}) scale 0", tics));
  p.cmd(fmt::format("set yrange [{}:-0.6]", double(order.size()) - 0.4));
  p.cmd(fmt::format("set xrange [0:{}]", end));
  p.cmd("set xlabel 'cycle'");
  p.cmd("set grid xtics lc rgb '#dddddd'");
  p.cmd("set key outside top center horizontal");
  p.cmd("set style fill solid 0.9 noborder");
  p.cmd("set title " + gp_quote(fmt::format("{}: {}", label, what)));
  std::map<std::size_t, std::vector<std::vector<double>>> busy;
  std::vector<std::vector<double>> handoff;
  std::vector<std::string> lane_names(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto it = lanes.find(order[i]);
    lane_names[i] = it != lanes.end() ? it->second : "";
  }
  std::size_t shown = 0;
  for (const auto& s : slices) {
    if (s.start >= end) continue;
    const std::size_t lane = std::size_t(std::find(order.begin(), order.end(), std::make_pair(s.pid, s.tid)) - order.begin());
    const double hi = std::min(s.end, end);
    (s.handoff ? handoff : busy[lane]).push_back({s.start, std::max(hi, s.start + 0.5), lane - 0.32, lane + 0.32});
    shown += !s.handoff;
  }
  std::set<std::string> titled;
  for (const auto& [lane, rows] : busy) {
    std::string colour = lane_names[lane].rfind("dma", 0) == 0 ? colour_of("dma0") : colour_of(lane_names[lane]);
    if (colour.empty()) colour = palette()[lane % palette().size()];
    // One legend entry per unit kind (every DMA queue is "DMA").
    const std::string kind = lane_names[lane].rfind("dma", 0) == 0 ? "DMA" : lane_names[lane];
    const bool title = titled.insert(kind).second && !kind.empty();
    p.add(fmt::format("{} using (($1+$2)/2):(($3+$4)/2):1:2:3:4 with boxxy lc rgb '{}' {}", p.data(rows), colour,
                      title ? "title " + gp_quote(kind) : std::string("notitle")));
  }
  if (!handoff.empty()) {
    p.add(fmt::format("{} using (($1+$2)/2):(($3+$4)/2):1:2:3:4 with boxxy lc rgb '{}' title 'matrix/vector hand-off'",
                      p.data(handoff), colour_of("handoff")));
  }
  b.figure("timeline", fmt::format("timeline-{}", index),
           fmt::format("Timeline of {}: one lane per unit, {} ({} of {} cycles, {} instructions; from {}{})", label, what,
                       cycles_text(end), cycles_text(cycles), shown, path,
                       std::isfinite(until) && std::isfinite(cycles) && until < cycles
                           ? fmt::format(", traced until cycle {}", cycles_text(until))
                           : ""),
           p);
}

/// The sweep parameters of a kernel run, from its figures (kernel.*): what `npusim sweep` takes.
std::vector<std::pair<std::string, std::string>> kernel_params(const json::object& fig) {
  std::vector<std::pair<std::string, std::string>> p = {
      {"chunk", cycles_text(num(fig, "kernel.chunk"))},
      {"dtype", text(fig, "kernel.dtype")},
      {"batch", cycles_text(num(fig, "kernel.batch"))},
      {"interleave", cycles_text(num(fig, "kernel.interleave"))},
      {"seed", std::isfinite(num(fig, "kernel.input.seed")) ? cycles_text(num(fig, "kernel.input.seed")) : "1"},
      {"correlation", std::isfinite(num(fig, "kernel.input.correlation"))
                          ? fmt::format("{}", num(fig, "kernel.input.correlation"))
                          : "0.5"}};
  if (text(fig, "kernel.name") == "neumann") {
    p.emplace_back("order", cycles_text(num(fig, "kernel.order")));
    p.emplace_back("steps", cycles_text(num(fig, "kernel.steps")));
    p.emplace_back("sum", text(fig, "kernel.sum"));
    p.emplace_back("mask", text(fig, "kernel.mask"));
  } else if (text(fig, "kernel.name") == "newton_schulz") {
    p.emplace_back("steps", cycles_text(num(fig, "kernel.steps")));
  }
  return p;
}

void sensitivity_section(Builder& b, const SensitivityBase& base) {
  if (!b.options().sensitivity) {
    b.section("sensitivity").omitted = "Not computed (--no-sensitivity).";
    return;
  }
  const fs::path html(b.options().html);
  const std::string dir = (html.parent_path() / (html.stem().string() + "-sensitivity")).string();
  const SensitivityResult r = run_sensitivity(base, b.options().step, dir, !b.options().quiet);
  b.analyses()["sensitivity"] = sensitivity_json(r);
  Section& s = b.section("sensitivity");
  const std::size_t nk = r.kernels.size();
  std::string at_base;
  bool any = false;
  for (std::size_t k = 0; k < nk; ++k) {
    const auto& x = r.base_runs[k];
    any |= x.status == "ok";
    at_base += (at_base.empty() ? "" : "; ") +
               (x.status == "ok" ? fmt::format("{} {} cycles, bound by {}", r.kernels[k], cycles_text(x.cycles), x.binding)
                                 : fmt::format("{} did not run ({})", r.kernels[k], x.message));
  }
  if (!any) {
    s.omitted = fmt::format("The base point did not run again: {}", at_base);
    return;
  }
  const std::uint64_t runs = r.points * nk;
  s.paragraph(fmt::format("Base point: {}. Every hardware parameter moved by {:g}% down and up with all else fixed, "
                          "and five what-if knobs: {} timing-only runs in the sweep {} (npusim sweep runs it again). "
                          "At the base: {}.",
                          base.label, 100 * r.step, runs, r.sweep_file, at_base));
  auto change = [&](const SensitivityRun& x, std::size_t k) {
    return x.status == "ok" && r.base_runs[k].status == "ok" ? 100 * (x.cycles - r.base_runs[k].cycles) / r.base_runs[k].cycles
                                                             : NAN;
  };
  BarChart w;
  w.horizontal = true;
  for (const auto& k : r.kernels) w.series.push_back({k, {}, {}, ""});
  Table wt{{"what if"}, {}, {false}};
  for (const auto& k : r.kernels) wt.header.push_back(k + ": cycles (change), bound");
  wt.numeric.assign(wt.header.size(), false);
  double best_gain = 0;
  std::string best_line;
  for (const auto& knob : r.knobs) {
    w.categories.push_back(knob.w.name);
    std::vector<std::string> row{knob.w.name};
    for (std::size_t k = 0; k < nk; ++k) {
      const auto& x = knob.runs[k];
      const double c = change(x, k);
      w.series[k].values.push_back(c);
      w.series[k].labels.push_back(x.status == "ok" ? x.binding : "rejected");
      row.push_back(x.status == "ok" ? fmt::format("{} ({:+.1f}%), {}", cycles_text(x.cycles), c, x.binding)
                                     : "rejected: " + x.message);
      if (std::isfinite(c) && -c > best_gain) {
        best_gain = -c;
        best_line = fmt::format("the largest what-if gain is {} for {} ({:.1f}% fewer cycles, then bound by {})", knob.w.name,
                                r.kernels[k], -c, x.binding);
      }
    }
    wt.rows.push_back(std::move(row));
  }
  w.value_label = "change of cycles against the base point (%; labels: the bound that binds then)";
  w.reference = 0;
  b.figure("sensitivity", "what-if",
           "What-if tornado: the change of cycles when one knob is turned (negative: faster), with the bound that binds "
           "afterwards",
           bar_plot(w));
  s.table(std::move(wt));
  // Elasticities, largest first.
  std::vector<std::size_t> order(r.params.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto size = [&](std::size_t i) {
    double m = -1;
    for (const auto& e : r.params[i].elasticity) m = std::max(m, e ? std::fabs(*e) : -1.0);
    return m;
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t c) { return size(a) > size(c); });
  Table et{{"parameter", "base", "moved to"}, {}, {false, true, false}};
  for (const auto& k : r.kernels) et.header.push_back("elasticity of " + k);
  et.numeric.resize(et.header.size(), true);
  BarChart e;
  e.horizontal = true;
  for (const auto& k : r.kernels) e.series.push_back({k, {}, {}, ""});
  for (std::size_t i : order) {
    const auto& p = r.params[i];
    std::vector<std::string> row{p.p.name, p.p.base_text, p.p.low_text + " / " + p.p.high_text};
    for (std::size_t k = 0; k < nk; ++k) {
      if (p.elasticity[k]) {
        row.push_back(fmt::format("{:+.3f}", *p.elasticity[k]));
      } else {
        const auto& x = p.low[k].status != "ok" ? p.low[k] : p.high[k];
        row.push_back(x.status != "ok" ? "rejected: " + x.message : "n/a");
      }
    }
    et.rows.push_back(std::move(row));
    if (e.categories.size() < 12 && size(i) > 0) {
      e.categories.push_back(p.p.name);
      for (std::size_t k = 0; k < nk; ++k) e.series[k].values.push_back(p.elasticity[k] ? *p.elasticity[k] : NAN);
    }
  }
  if (!order.empty() && size(order.front()) >= 0) {
    const auto& top = r.params[order.front()];
    s.paragraph(fmt::format("Cycles respond most to {} (elasticity {}: {}% more of it, {}% {} cycles); {}.", top.p.name,
                            [&] {
                              std::string t;
                              for (std::size_t k = 0; k < nk; ++k) {
                                if (top.elasticity[k]) t += fmt::format("{}{:+.2f} for {}", t.empty() ? "" : ", ", *top.elasticity[k], r.kernels[k]);
                              }
                              return t;
                            }(),
                            fmt::format("{:g}", 100 * r.step),
                            fmt::format("{:.1f}", std::fabs(100 * r.step * top.elasticity.back().value_or(0))),
                            top.elasticity.back().value_or(0) >= 0 ? "more" : "fewer",
                            best_line.empty() ? "no what-if makes it faster" : best_line));
  }
  e.value_label = "elasticity: % change of cycles per % change of the parameter";
  e.reference = 0;
  if (!e.categories.empty()) {
    b.figure("sensitivity", "elasticity",
             "Elasticity tornado: the hardware parameters cycles respond to most (0: no effect; -1: cycles fall in "
             "proportion as the parameter grows)",
             bar_plot(e));
  }
  s.table(std::move(et));
  if (!r.skipped.empty()) {
    std::string t;
    for (const auto& x : r.skipped) t += (t.empty() ? "" : ", ") + x;
    s.paragraph("Not moved: " + t + ".");
  }
  std::string csv = csv_record({"kind", "name", "kernel", "base", "value", "cycles", "change_percent", "elasticity", "binding", "status"});
  for (const auto& p : r.params) {
    for (std::size_t k = 0; k < nk; ++k) {
      for (const auto& [x, v] : {std::make_pair(&p.low[k], p.p.low), std::make_pair(&p.high[k], p.p.high)}) {
        csv += csv_record({"parameter", p.p.name, r.kernels[k], p.p.base_text, fmt::format("{:g}", v), number_text(x->cycles),
                         number_text(change(*x, k)), p.elasticity[k] ? number_text(*p.elasticity[k]) : "", x->binding,
                         x->status});
      }
    }
  }
  for (const auto& knob : r.knobs) {
    for (std::size_t k = 0; k < nk; ++k) {
      const auto& x = knob.runs[k];
      csv += csv_record({"what_if", knob.w.name, r.kernels[k], "", "", number_text(x.cycles), number_text(change(x, k)), "",
                       x.binding, x.status});
    }
  }
  b.csv("sensitivity", csv);
}

/// Versions, the report's own revision and the spec's hash, and the commands.
void reproduce_section(Builder& b, const std::vector<std::string>& commands, const std::string& written_by,
                       const std::string& config_path) {
  Section& s = b.section("reproduce");
  std::string cmds;
  for (const auto& c : commands) cmds += c + '\n';
  cmds += fmt::format("npusim report --from {}{}{}\n", b.options().from,
                      b.options().html.empty() ? "" : " --out " + b.options().html,
                      b.options().markdown.empty() ? "" : " --md " + b.options().markdown);
  s.paragraph("The outputs were made by, and the report can be made again with:");
  s.code(cmds);
  Table t{{"", ""}, {}, {false, false}};
  t.rows.push_back({"outputs written by", "npusim " + written_by});
  t.rows.push_back({"report written by", fmt::format("npusim {} (git revision {})", kVersion, kGitRevision)});
  if (!config_path.empty() && fs::exists(config_path)) t.rows.push_back({"resolved spec", config_path});
  s.table(std::move(t));
}

std::string shell_word(const std::string& w) {
  if (!w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") ==
                        std::string::npos) {
    return w;
  }
  std::string q = "'";
  for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// The kernel options of a run's stats as command-line flags.
std::string kernel_flags(const json::object& fig) {
  std::string f = fmt::format(" --chunk {} --dtype {} --batch {}", cycles_text(num(fig, "kernel.chunk")),
                              shell_word(text(fig, "kernel.dtype")), cycles_text(num(fig, "kernel.batch")));
  if (text(fig, "kernel.name") == "neumann") {
    f += fmt::format(" --order {} --steps {} --sum {} --mask {}", cycles_text(num(fig, "kernel.order")),
                     cycles_text(num(fig, "kernel.steps")), shell_word(text(fig, "kernel.sum")),
                     shell_word(text(fig, "kernel.mask")));
  } else if (text(fig, "kernel.name") == "newton_schulz") {
    f += fmt::format(" --steps {}", cycles_text(num(fig, "kernel.steps")));
  }
  if (fig.contains("kernel.input.file")) return f + " --input " + shell_word(text(fig, "kernel.input.file"));
  return f + fmt::format(" --seed {} --correlation {}", cycles_text(num(fig, "kernel.input.seed")),
                         num(fig, "kernel.input.correlation"));
}

std::string accuracy_text(const json::object& fig) {
  if (!fig.contains("accuracy.nonfinite")) return "";
  if (num(fig, "accuracy.nonfinite") > 0) {
    return fmt::format("{} non-finite values in T", cycles_text(num(fig, "accuracy.nonfinite")));
  }
  return fmt::format("worst-chunk SNR {} dB (mean {} dB), relative error {}", fixed(num(fig, "accuracy.snr_db.worst"), "{:.1f}"),
                     fixed(num(fig, "accuracy.snr_db.mean"), "{:.1f}"), fixed(num(fig, "accuracy.rel_fro_error.worst"), "{:.2e}"));
}

/// Crossover maps with the speedup-1 contour, and where along each axis the winner changes.
void crossover_section(Builder& b, const std::vector<CrossoverGrid>& grids) {
  json::array out;
  std::size_t index = 0;
  for (const auto& g : grids) {
    const CrossoverResult r = crossover(g);
    const std::size_t cells = r.wins + r.losses + r.ties;
    Section& s = b.section("crossover");
    std::string head = fmt::format("{}: {} wins at {} of {} points", g.title, g.kernel, r.wins, cells);
    if (r.losses) head += fmt::format(", {} at {}", g.baseline, r.losses);
    if (r.ties) head += fmt::format(", ties at {}", r.ties);
    if (r.missing) head += fmt::format("; {} missing or failed", r.missing);
    if (r.best) {
      head += fmt::format(". Largest speedup {:.2f}x at {} = {}, {} = {}", g.speedup[r.best->second][r.best->first],
                          g.x_name, g.x_values[r.best->first], g.y_name, g.y_values[r.best->second]);
    }
    if (r.worst) {
      head += fmt::format("; smallest {:.2f}x at {} = {}, {} = {}", g.speedup[r.worst->second][r.worst->first], g.x_name,
                          g.x_values[r.worst->first], g.y_name, g.y_values[r.worst->second]);
    }
    s.paragraph(head + ".");
    b.figure("crossover", fmt::format("crossover-{}", index++),
             fmt::format("Crossover map: {} (purple: {} faster, orange: {} faster; black line: speedup = 1)", g.title,
                         g.kernel, g.baseline),
             crossover_plot(g, r));
    std::vector<std::string> lines;
    json::array crossings;
    for (const auto& c : r.crossings) {
      const std::string who = c.kernel_wins_after ? g.kernel : g.baseline;
      lines.push_back(fmt::format("at {}: {} wins from {} = {} on (speedup 1 between {} and {}{})", c.at, who, c.axis, c.to,
                                  c.from, c.to, c.value ? fmt::format(", near {:.3g}", *c.value) : ""));
      crossings.push_back(json::object{{"axis", c.axis}, {"at", c.at}, {"from", c.from}, {"to", c.to}, {"index", c.index},
                                       {"value", c.value ? json::value(*c.value) : json::value(nullptr)},
                                       {"winner_after", who}});
    }
    if (!lines.empty()) {
      s.paragraph("Where the winner changes:");
      s.bullets(lines);
    }
    json::array contour;
    for (const auto& seg : r.contour) contour.push_back(json::array{seg.x0, seg.y0, seg.x1, seg.y1});
    json::array grid;
    for (const auto& row : g.speedup) {
      json::array a;
      for (double v : row) a.push_back(std::isfinite(v) ? json::value(v) : json::value(nullptr));
      grid.push_back(std::move(a));
    }
    out.push_back(json::object{{"title", g.title}, {"x", g.x_name}, {"y", g.y_name},
                               {"x_values", json::value_from(g.x_values)}, {"y_values", json::value_from(g.y_values)},
                               {"baseline", g.baseline}, {"kernel", g.kernel}, {"speedup", std::move(grid)},
                               {"wins", r.wins}, {"losses", r.losses}, {"ties", r.ties}, {"missing", r.missing},
                               {"crossings", std::move(crossings)}, {"contour_segments", std::move(contour)}});
  }
  b.analyses()["crossover"] = std::move(out);
}

// ---------------------------------------------------------------------------------------------

void report_run(Builder& b, const std::string& dir) {
  const std::string stats_path = (fs::path(dir) / "stats.json").string();
  const json::value stats = read_json(stats_path);
  if (!stats.is_object()) throw InputError(fmt::format("{}: expected a JSON object", stats_path));
  const bool kernel = stats.as_object().contains("kernel");
  const std::string label = kernel ? text(flat(stats.as_object()), "kernel.name") : "program";
  const Entry e = stats_entry(label.empty() ? "run" : label, stats.as_object(), stats_path);
  const std::string hw = text(e.fig, "hw.name"), hw_file = text(e.fig, "hw.file");
  auto& d = b.doc();
  d.title = fmt::format("npusim report: {} on {}", kernel ? text(e.fig, "kernel.summary") : text(e.fig, "program.file"), hw);
  d.subtitle = fmt::format("a run ({}) from {}", text(e.fig, "mode"), dir);
  Section& s = b.section("summary");
  s.paragraph(std::vector<Span>{{fmt::format("{} cycles", cycles_text(num(e.fig, "cycles"))), Span::Style::strong},
                                {fmt::format(" ({:.2f} us at {:g} GHz), {} instructions on {}. ", num(e.fig, "time_us"),
                                             num(e.fig, "hw.clock_hz") / 1e9, cycles_text(num(e.fig, "instructions")), hw)},
                                {e.explanation}});
  if (const std::string a = accuracy_text(e.fig); !a.empty()) s.paragraph("Accuracy against the fp64 inverse: " + a + ".");
  s.paragraph(std::vector<Span>{{"Recommendation: ", Span::Style::strong}, {recommend_run(e.label, e.fig)}});
  hardware_section(b, (fs::path(dir) / "config.yaml").string(), hw_file, "");
  comparison_section(b, {e});
  utilization_section(b, {e});
  critical_path_section(b, {e});
  const fs::path trace = fs::path(dir) / "trace.json";
  if (fs::exists(trace)) timeline_figure(b, e.label, trace.string(), 0);
  SensitivityBase base;
  base.hw_path = (fs::path(dir) / "config.yaml").string();
  if (kernel) {
    base.label = fmt::format("{} on {}", text(e.fig, "kernel.summary"), hw);
    base.workload = json::object{{"kernel", label}};
    base.params = kernel_params(e.fig);
  } else {
    base.label = fmt::format("the program {} on {}", text(e.fig, "program.file"), hw);
    base.workload = json::object{{"program", (fs::path(dir) / "program.npuasm").string()}};
  }
  sensitivity_section(b, base);
  std::vector<std::string> cmds;
  if (kernel) {
    cmds.push_back(fmt::format("npusim run --hw {} --kernel {}{} --out {}", shell_word(hw_file), shell_word(label),
                               kernel_flags(e.fig), shell_word(dir)));
  } else {
    cmds.push_back(fmt::format("npusim run --hw {} --program {} --out {}   # plus any --input the run was given",
                               shell_word(hw_file), shell_word(text(e.fig, "program.file")), shell_word(dir)));
  }
  reproduce_section(b, cmds, text(e.fig, "npusim"), (fs::path(dir) / "config.yaml").string());
  b.finish({{"comparison", ""},
            {"timeline", fmt::format("No trace in {}: run with --trace {}/trace.json to add one.", dir, dir)},
            {"pareto", "A single run has no accuracy/cycles trade-off: Pareto fronts come from sweeps (npusim sweep)."},
            {"crossover", "A single run has no axes: crossover maps come from sweeps over two axes, or experiments."},
            {"layer", "Not a layer run: the layer breakdown needs the output of npusim layer."}});
}

/// The name of an entry of a comparison's 'kernels'; InputError when it has none.
std::string kernel_name(const json::value& k, const std::string& path) {
  if (!k.is_object() || !k.as_object().contains("name") || !k.as_object().at("name").is_string()) {
    throw InputError(fmt::format("{}: every entry of 'kernels' needs a 'name'", path));
  }
  return k.as_object().at("name").as_string().c_str();
}

void report_compare(Builder& b, const std::string& dir) {
  const std::string path = (fs::path(dir) / "compare.json").string();
  const json::value c = read_json(path);
  const auto& kernels = array_at(as_object(c, path), "kernels", path);
  if (kernels.empty()) throw InputError(fmt::format("{}: 'kernels' is empty", path));
  std::vector<Entry> entries;
  for (const auto& k : kernels) entries.push_back(stats_entry(kernel_name(k, path), k.as_object(), path));
  const json::object top = flat(c.as_object());
  // Each kernel's own directory holds its stats (with the spec file) and resolved spec.
  const fs::path first = fs::path(dir) / entries.front().label;
  json::object first_stats;
  if (fs::exists(first / "stats.json")) {
    const json::value v = read_json((first / "stats.json").string());
    if (v.is_object()) first_stats = flat(v.as_object());
  }
  const std::string hw = text(top, "hw"), hw_file = text(first_stats, "hw.file");
  auto& d = b.doc();
  d.title = fmt::format("npusim report: {} on {}, C = {} {}", [&] {
    std::string n;
    for (const auto& e : entries) n += (n.empty() ? "" : " vs ") + e.label;
    return n;
  }(), hw, cycles_text(num(top, "chunk")), text(top, "dtype"));
  d.subtitle = fmt::format("a comparison of {} chunk matrices from {}", cycles_text(num(top, "batch")), dir);
  Section& s = b.section("summary");
  s.paragraph(text(top, "explanation"));
  s.paragraph(std::vector<Span>{{"Recommendation: ", Span::Style::strong},
                                {recommend_compare(entries, b.options().min_snr_db)}});
  hardware_section(b, (first / "config.yaml").string(), hw_file, "");
  comparison_section(b, entries);
  utilization_section(b, entries);
  critical_path_section(b, entries);
  std::size_t traces = 0;
  for (const auto& e : entries) {
    const fs::path t = fs::path(dir) / e.label / "trace.json";
    if (fs::exists(t)) timeline_figure(b, e.label, t.string(), traces++);
  }
  std::string names;
  for (const auto& e : entries) names += (names.empty() ? "" : ",") + e.label;
  // The kernel options from a kernel's own stats (neumann's, which has the most), else from
  // compare.json.
  json::object options = top;
  options["kernel.chunk"] = top.contains("chunk") ? top.at("chunk") : json::value(nullptr);
  options["kernel.dtype"] = top.contains("dtype") ? top.at("dtype") : json::value(nullptr);
  options["kernel.batch"] = top.contains("batch") ? top.at("batch") : json::value(nullptr);
  for (const char* k : {"seed", "correlation", "file"}) {
    if (top.contains(std::string("input.") + k)) options[std::string("kernel.input.") + k] = top.at(std::string("input.") + k);
  }
  for (const auto& e : entries) {
    const fs::path st = fs::path(dir) / e.label / "stats.json";
    if (!fs::exists(st)) continue;
    const json::value v = read_json(st.string());
    if (!v.is_object() || !(e.label == "neumann" || !options.contains("kernel.name"))) continue;
    options = flat(v.as_object());
    // Compared kernels are given A in memory: where it came from is in compare.json.
    for (const char* k : {"seed", "correlation", "file"}) {
      if (top.contains(std::string("input.") + k)) options[std::string("kernel.input.") + k] = top.at(std::string("input.") + k);
    }
  }
  SensitivityBase base;
  std::string versus;
  for (const auto& e : entries) versus += (versus.empty() ? "" : " vs ") + e.label;
  base.label = fmt::format("{} at C = {} {} on {}", versus, cycles_text(num(top, "chunk")), text(top, "dtype"), hw);
  base.hw_path = (first / "config.yaml").string();
  json::array ks;
  for (const auto& e : entries) ks.emplace_back(e.label);
  base.workload = json::object{{"compare", std::move(ks)}};
  base.params = kernel_params(options);
  sensitivity_section(b, base);
  reproduce_section(b,
                    {fmt::format("npusim compare --hw {} --kernels {}{} --out {}{}", shell_word(hw_file), shell_word(names),
                                 kernel_flags(options), shell_word(dir), traces ? " --trace" : "")},
                    text(first_stats, "npusim"), (first / "config.yaml").string());
  b.finish({{"timeline", fmt::format("No traces in {}: compare with --trace to add one per kernel.", dir)},
            {"pareto", "One setting per kernel has no accuracy/cycles trade-off: Pareto fronts come from sweeps."},
            {"crossover", "A comparison at one point has no axes: crossover maps come from sweeps over two axes, or experiments."},
            {"layer", "Not a layer run: the layer breakdown needs the output of npusim layer."}});
}


/// A layer's run: its whole-layer figures, with the critical path summed over the stages (they
/// run one after another, so the layer's path is theirs end to end) when the stats lack one.
Entry layer_entry(const std::string& label, const json::object& stats, const std::string& file) {
  Entry e = stats_entry(label, stats, file);
  const auto* stages = stats.if_contains("stages");
  if (e.fig.contains("critical_path.cycles") || !stages || !stages->is_object()) return e;
  for (const auto& st : stages->as_object()) {
    if (!st.value().is_object()) continue;
    const json::object f = flat(st.value().as_object());
    for (const auto& kv : f) {
      const std::string k(kv.key());
      if (k.rfind("critical_path.by_", 0) != 0 || !kv.value().is_number()) continue;
      e.fig[k] = (std::isfinite(num(e.fig, k)) ? num(e.fig, k) : 0.0) + json_double(kv.value());
    }
  }
  return e;
}

/// The layer's stages, per run: cycles, shares, bounds and the top of the critical path.
void layer_section(Builder& b, const std::vector<Entry>& runs) {
  std::vector<std::string> stages;
  for (const auto& kv : runs.front().fig) {
    const std::string k(kv.key());
    if (k.rfind("stages.", 0) == 0 && k.size() > 14 && k.compare(k.size() - 7, 7, ".cycles") == 0 &&
        k.find('.', 7) == k.size() - 7) {
      stages.push_back(k.substr(7, k.size() - 14));
    }
  }
  if (stages.empty()) return;
  Section& s = b.section("layer");
  Table t{{"stage"}, {}, {false}};
  for (const auto& r : runs) {
    t.header.push_back(r.label + " cycles");
    t.header.push_back("share");
  }
  t.header.insert(t.header.end(), {"instructions", "bound (share of the stage)", "how it was mapped"});
  t.numeric.assign(t.header.size(), true);
  t.numeric[0] = false;
  t.numeric[t.header.size() - 2] = t.numeric[t.header.size() - 1] = false;
  BarChart c;
  c.horizontal = true;
  for (const auto& r : runs) c.series.push_back({r.label, {}, {}, ""});
  for (const auto& st : stages) {
    const std::string p = "stages." + st + ".";
    std::vector<std::string> row{st};
    for (std::size_t i = 0; i < runs.size(); ++i) {
      row.push_back(cycles_text(num(runs[i].fig, p + "cycles")));
      row.push_back(pct(num(runs[i].fig, p + "share")));
      c.series[i].values.push_back(num(runs[i].fig, p + "cycles"));
      c.series[i].labels.push_back(pct(num(runs[i].fig, p + "share"), 0));
    }
    const json::object& f = runs.back().fig;
    row.push_back(cycles_text(num(f, p + "instructions")));
    row.push_back(text(f, p + "binding") + " (" + pct(num(f, p + "binding_fraction"), 0) + ")");
    row.push_back(text(f, p + "summary"));
    t.rows.push_back(std::move(row));
    c.categories.push_back(st);
  }
  std::vector<std::string> lines;
  for (const auto& r : runs) {
    lines.push_back(fmt::format("{}: the inverse is {} of the layer and {} of the chunked core (cumsum to output, {} of "
                                "the layer)",
                                r.label, pct(num(r.fig, "inverse_share")), pct(num(r.fig, "core.inverse_share")),
                                pct(num(r.fig, "core.share"))));
  }
  s.bullets(lines);
  s.table(std::move(t));
  c.value_label = "cycles of the stage (labels: share of the layer)";
  c.value_min = 0;
  b.figure("layer", "layer-stages", "Layer stages: the cycles of each stage, which run one after another", bar_plot(c));
}

void report_layer(Builder& b, const std::string& dir) {
  const fs::path d(dir);
  std::vector<Entry> runs;
  json::object top;
  std::string explanation;
  const bool compared = fs::exists(d / "compare.json");
  if (compared) {
    const std::string path = (d / "compare.json").string();
    const json::value c = read_json(path);
    top = flat(as_object(c, path));
    for (const auto& r : array_at(as_object(c, path), "runs", path)) {
      if (!r.is_object()) throw InputError(fmt::format("{}: every run must be an object", path));
      runs.push_back(layer_entry(fig_text(flat(r.as_object()), "kernel.name"), r.as_object(), path));
    }
    if (runs.empty()) throw InputError(fmt::format("{}: 'runs' is empty", path));
    explanation = text(top, "explanation");
  } else {
    const std::string path = (d / "stats.json").string();
    const json::value v = read_json(path);
    runs.push_back(layer_entry(fig_text(flat(as_object(v, path)), "kernel.name"), as_object(v, path), path));
    top = runs.front().fig;
    explanation = runs.front().explanation;
  }
  for (auto& r : runs) {
    if (r.label.empty()) r.label = text(r.fig, "stages.inverse.kernel.name");
    if (r.label.empty()) r.label = "layer";
  }
  const json::object& f = runs.front().fig;
  auto& doc = b.doc();
  doc.title = fmt::format("npusim report: {} layer on {}, {} tokens, C = {}", text(f, "layer.model"), text(f, "hw.name"),
                          cycles_text(num(f, "layer.tokens")), cycles_text(num(f, "layer.chunk")));
  doc.subtitle = fmt::format("a whole Gated DeltaNet {} ({} activations, {} weights, {}) from {}", text(f, "layer.stages"),
                             text(f, "layer.dtype"), text(f, "layer.weights"), text(f, "mode"), dir);
  Section& s = b.section("summary");
  s.paragraph(explanation);
  std::string rec;
  if (runs.size() > 1) {
    const double cut = num(top, "layer_reduction");
    rec = cut > 0 ? fmt::format("Use {} in the layer: {} fewer layer cycles than with {} ({} vs {}); its inverse is "
                                "{:.2f}x faster.",
                                runs.back().label, pct(cut), runs.front().label, cycles_text(num(runs.back().fig, "cycles")),
                                cycles_text(num(runs.front().fig, "cycles")), num(top, "inverse_speedup"))
                  : fmt::format("Keep {}: with {} the layer takes {} more cycles.", runs.front().label, runs.back().label,
                                pct(-cut));
  } else {
    rec = fmt::format("The inverse ({}) is {} of the layer: {}", runs.front().label, pct(num(f, "inverse_share")),
                      num(f, "inverse_share") < 0.1 ? "a faster inverse would change the layer little; look at the "
                                                      "largest stages below first."
                                                    : "compare it with another kernel (npusim layer --compare-inverse) "
                                                      "before anything else.");
  }
  s.paragraph(std::vector<Span>{{"Recommendation: ", Span::Style::strong}, {rec}});
  hardware_section(b, (d / "config.yaml").string(), text(f, "hw.file"), "");
  comparison_section(b, runs);
  utilization_section(b, runs);
  critical_path_section(b, runs);
  layer_section(b, runs);
  if (fs::exists(d / "trace.json")) timeline_figure(b, "the layer", (d / "trace.json").string(), 0);
  std::string inverse = runs.size() > 1 ? fmt::format(" --compare-inverse {},{}", runs.front().label, runs.back().label)
                                        : fmt::format(" --inverse {}", runs.front().label);
  reproduce_section(b,
                    {fmt::format("npusim layer --hw {} --model {} --seq {} --chunk {}{} --dtype {} --weights {}{} --out {}",
                                 shell_word(text(f, "hw.file")), shell_word(text(f, "layer.model_file")),
                                 cycles_text(num(f, "layer.seq")), cycles_text(num(f, "layer.chunk")), inverse,
                                 shell_word(text(f, "layer.dtype")), shell_word(text(f, "layer.weights")),
                                 f.contains("layer.input.seed") ? " --seed " + cycles_text(num(f, "layer.input.seed")) : "",
                                 shell_word(dir))},
                    text(f, "npusim"), (d / "config.yaml").string());
  b.finish({{"timeline", "No trace in the directory: run npusim layer with --trace DIR/trace.json to add one."},
            {"pareto", "A layer run has no accuracy/cycles trade-off: Pareto fronts come from sweeps."},
            {"crossover", "A layer run has no axes: crossover maps come from sweeps over two axes, or experiments."},
            {"sensitivity", "The layer's stages are not a sweep workload: the sensitivity of its inverse comes from a "
                            "report of npusim compare or run on the kernel alone."}});
}

void report_experiment(Builder& b, const std::string& dir) {
  const std::string path = (fs::path(dir) / "results.json").string();
  const json::value r = read_json(path);
  const json::object ex = flat(object_at(as_object(r, path), "experiment", path));
  const auto& rows = array_at(as_object(r, path), "rows", path);
  if (rows.empty()) throw InputError(fmt::format("{}: the experiment has no rows", path));
  std::vector<Entry> entries;
  std::vector<ExperimentPoint> points;
  std::vector<std::string> kernels, chunks, dtypes;
  std::map<std::pair<std::string, std::string>, double> speedup;  // (dtype, chunk) -> speedup
  std::string first_dir;
  json::object first_stats;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const json::value& rv = rows[i];
    if (!rv.is_object()) throw InputError(fmt::format("{}: every row must be an object", path));
    const json::object row = flat(rv.as_object());
    const double chunk_rows = num(row, "chunk");
    if (!(chunk_rows >= 1 && chunk_rows <= 1 << 20 && chunk_rows == std::floor(chunk_rows))) {
      const auto* seen = rv.as_object().if_contains("chunk");
      throw InputError(fmt::format("{}: rows[{}].chunk: expected a chunk size (a whole number of rows), got {}", path, i,
                                   seen ? json::serialize(*seen) : std::string("nothing")));
    }
    const std::string dtype = text(row, "dtype"), chunk = fmt::format("{}", std::uint64_t(chunk_rows));
    const auto& cmp = object_at(rv.as_object(), "comparison", path);
    const auto& ks = array_at(cmp, "kernels", path);
    for (const auto& k : ks) {
      const std::string name = kernel_name(k, path);
      if (std::find(kernels.begin(), kernels.end(), name) == kernels.end()) kernels.push_back(name);
      entries.push_back(stats_entry(fmt::format("{} C={} {}", dtype, chunk, name), k.as_object(), path));
      if (first_dir.empty()) {
        first_dir = (fs::path(dir) / fmt::format("{}-C{}", dtype, chunk) / name).string();
        if (fs::exists(fs::path(first_dir) / "stats.json")) {
          const json::value v = read_json((fs::path(first_dir) / "stats.json").string());
          if (v.is_object()) first_stats = flat(v.as_object());
        }
      }
    }
    if (std::find(chunks.begin(), chunks.end(), chunk) == chunks.end()) chunks.push_back(chunk);
    if (std::find(dtypes.begin(), dtypes.end(), dtype) == dtypes.end()) dtypes.push_back(dtype);
    ExperimentPoint p{dtype, std::uint64_t(chunk_rows), num(row, "speedup"), std::nullopt};
    if (std::isfinite(num(row, "reported_speedup"))) p.reported = num(row, "reported_speedup");
    points.push_back(p);
    speedup[{dtype, chunk}] = p.speedup;
  }
  std::sort(chunks.begin(), chunks.end(), [](const std::string& x, const std::string& y) { return std::stod(x) < std::stod(y); });
  const std::string baseline = kernels.front(), kernel = kernels.back();
  auto& d = b.doc();
  d.title = fmt::format("npusim report: experiment {} on {}", text(ex, "name"), text(ex, "hw"));
  d.subtitle = fmt::format("{} ({} chunk matrices per run; from {})", text(ex, "description"), cycles_text(num(ex, "batch")), dir);
  Section& s = b.section("summary");
  s.paragraph(std::vector<Span>{{"Recommendation: ", Span::Style::strong}, {recommend_experiment(kernel, baseline, points)}});
  if (!text(ex, "reported_source").empty()) s.paragraph("Reported figures: " + text(ex, "reported_source") + ".");
  hardware_section(b, (fs::path(first_dir) / "config.yaml").string(), text(first_stats, "hw.file"),
                   "Every row of the experiment ran on this spec.");
  // The table of the experiment and the speedups against the reported ones.
  Table t{{"dtype", "C"}, {}, {false, true}};
  for (const auto& k : kernels) t.header.push_back(k + " cycles");
  t.header.push_back("speedup of " + kernel);
  t.header.push_back("reported");
  t.numeric.resize(t.header.size(), true);
  BarChart chart;
  chart.series = {{"simulated", {}, {}, ""}, {"reported", {}, {}, ""}};
  for (const auto& rv : rows) {
    const json::object row = flat(rv.as_object());
    std::vector<std::string> cells{text(row, "dtype"), cycles_text(num(row, "chunk"))};
    for (const auto& k : kernels) cells.push_back(cycles_text(num(row, "cycles." + k)));
    cells.push_back(fixed(num(row, "speedup"), "{:.2f}x"));
    cells.push_back(fixed(num(row, "reported_speedup"), "{:.1f}x"));
    t.rows.push_back(std::move(cells));
    chart.categories.push_back(fmt::format("{} C={}", text(row, "dtype"), cycles_text(num(row, "chunk"))));
    chart.series[0].values.push_back(num(row, "speedup"));
    chart.series[0].labels.push_back(fixed(num(row, "speedup"), "{:.2f}x"));
    chart.series[1].values.push_back(num(row, "reported_speedup"));
    chart.series[1].labels.push_back(fixed(num(row, "reported_speedup"), "{:.1f}x"));
  }
  b.section("comparison").table(std::move(t));
  chart.value_label = fmt::format("speedup of {} over {} (x)", kernel, baseline);
  chart.reference = 1.0;
  chart.value_min = 0;
  b.figure("comparison", "speedups",
           fmt::format("Speedups: {} over {} at each chunk size and dtype, simulated and reported (dashed: 1x)", kernel,
                       baseline),
           bar_plot(chart));
  std::vector<std::string> why;
  for (const auto& rv : rows) {
    const json::object row = flat(rv.as_object());
    why.push_back(fmt::format("{} C={}: {}", text(row, "dtype"), cycles_text(num(row, "chunk")), text(row, "explanation")));
  }
  b.section("comparison").bullets(why);
  utilization_section(b, entries);
  critical_path_section(b, entries);
  // A crossover map over chunk x dtype.
  CrossoverGrid g;
  g.title = fmt::format("{} over {}: speedup by chunk size and dtype", kernel, baseline);
  g.x_name = "chunk";
  g.y_name = "dtype";
  g.x_values = chunks;
  g.y_values = dtypes;
  g.baseline = baseline;
  g.kernel = kernel;
  for (const auto& dt : dtypes) {
    std::vector<double> line;
    for (const auto& c : chunks) {
      const auto it = speedup.find({dt, c});
      line.push_back(it == speedup.end() ? NAN : it->second);
    }
    g.speedup.push_back(line);
  }
  crossover_section(b, {g});
  // The sensitivity of the C = 64 row (the common chunk size), else of the first.
  {
    std::string chunk = chunks.front(), dtype = dtypes.front();
    if (std::find(chunks.begin(), chunks.end(), "64") != chunks.end()) chunk = "64";
    SensitivityBase base;
    base.label = fmt::format("{} vs {} at C = {} {} on {}", baseline, kernel, chunk, dtype, text(ex, "hw"));
    base.hw_path = (fs::path(dir) / fmt::format("{}-C{}", dtype, chunk) / baseline / "config.yaml").string();
    json::array ks;
    for (const auto& k : kernels) ks.emplace_back(k);
    base.workload = json::object{{"compare", std::move(ks)}};
    base.params = {{"chunk", chunk}, {"dtype", dtype}, {"batch", cycles_text(num(ex, "batch"))},
                   {"seed", cycles_text(num(ex, "seed"))}, {"correlation", fmt::format("{}", num(ex, "correlation"))}};
    if (fs::exists(base.hw_path)) {
      sensitivity_section(b, base);
    } else {
      b.section("sensitivity").omitted = fmt::format("No resolved spec to perturb ({} is missing).", base.hw_path);
    }
  }
  reproduce_section(b, {fmt::format("npusim experiment {} --out {}", shell_word(text(ex, "file")), shell_word(dir))},
                    text(first_stats, "npusim"), (fs::path(first_dir) / "config.yaml").string());
  b.finish({{"timeline", "Experiments keep no traces: run npusim compare with --trace on one point for a timeline."},
            {"pareto", "An experiment runs each kernel at its default setting: Pareto fronts come from sweeps."},
            {"layer", "Not a layer run: the layer breakdown needs the output of npusim layer."}});
}

}  // namespace report_parts

using namespace report_parts;

OutputKind detect_output(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw InputError(fmt::format("--from {}: no such directory", dir));
  if (!fs::is_directory(dir, ec)) {
    throw InputError(fmt::format("--from {}: not a directory; give the output directory of npusim run, compare, "
                                 "experiment, layer or sweep", dir));
  }
  const fs::path d(dir);
  if (fs::exists(d / "results.sqlite")) return OutputKind::sweep;
  // A layer's output holds its model next to the stats (or the comparison of two inverses).
  if (fs::exists(d / "model.yaml") && (fs::exists(d / "stats.json") || fs::exists(d / "compare.json"))) {
    return OutputKind::layer;
  }
  if (fs::exists(d / "compare.json")) return OutputKind::compare;
  if (fs::exists(d / "results.json")) return OutputKind::experiment;
  if (fs::exists(d / "stats.json")) return OutputKind::run;
  throw InputError(fmt::format(
      "--from {}: not an npusim output directory: expected results.sqlite (npusim sweep), compare.json (npusim "
      "compare), results.json (npusim experiment), stats.json (npusim run) or model.yaml with stats.json or "
      "compare.json (npusim layer)",
      dir));
}

const char* output_kind_name(OutputKind k) {
  switch (k) {
    case OutputKind::compare: return "comparison";
    case OutputKind::experiment: return "experiment";
    case OutputKind::run: return "run";
    case OutputKind::sweep: return "sweep";
    case OutputKind::layer: return "layer";
  }
  return "?";
}

const std::vector<std::string>& report_section_ids() {
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> v;
    for (const auto& s : sections()) v.push_back(s.id);
    return v;
  }();
  return ids;
}

std::vector<std::string> write_report(const ReportOptions& options) {
  ReportOptions o = options;
  const OutputKind kind = detect_output(o.from);
  if (o.html.empty()) o.html = (fs::path(o.from) / "report.html").string();
  std::error_code ec;
  for (const std::string* p : {&o.html, &o.markdown}) {
    if (!p->empty() && fs::is_directory(*p, ec)) {
      throw InputError(fmt::format("{}: is a directory; give the report's file name, such as {}/report.html", *p, *p));
    }
  }
  if (!o.markdown.empty() && fs::path(o.markdown).lexically_normal() == fs::path(o.html).lexically_normal()) {
    throw InputError(fmt::format("--md {}: the same file as --out", o.markdown));
  }
  Builder b(o);
  switch (kind) {
    case OutputKind::run: report_run(b, o.from); break;
    case OutputKind::compare: report_compare(b, o.from); break;
    case OutputKind::experiment: report_experiment(b, o.from); break;
    case OutputKind::layer: report_layer(b, o.from); break;
    case OutputKind::sweep: report_sweep(b, o.from); break;
  }
  std::vector<std::string> written;
  const fs::path html(o.html);
  if (html.has_parent_path()) make_directory(html.parent_path().string());
  write_text_file(o.html, render_html(b.doc()));
  written.push_back(o.html);
  const fs::path analyses = html.parent_path() / (html.stem().string() + ".analyses.json");
  b.analyses()["kind"] = output_kind_name(kind);
  b.analyses()["from"] = o.from;
  json::value all = b.analyses();
  sanitize(all);
  write_text_file(analyses.string(), to_json(all));
  written.push_back(analyses.string());
  for (const auto& [name, text] : b.csvs()) {
    const fs::path csv = html.parent_path() / (html.stem().string() + "." + name + ".csv");
    write_text_file(csv.string(), valid_utf8(text));
    written.push_back(csv.string());
  }
  if (!o.markdown.empty()) {
    const fs::path md(o.markdown);
    if (md.has_parent_path()) make_directory(md.parent_path().string());
    const std::string figure_dir = md.stem().string() + "-figures";
    std::vector<std::pair<std::string, std::string>> figures;
    write_text_file(o.markdown, render_markdown(b.doc(), figure_dir, figures));
    written.push_back(o.markdown);
    if (!figures.empty()) make_directory((md.parent_path() / figure_dir).string());
    for (const auto& [file, svg] : figures) {
      write_text_file((md.parent_path() / figure_dir / file).string(), svg);
      written.push_back((md.parent_path() / figure_dir / file).string());
    }
  }
  return written;
}

}  // namespace npusim::sim
