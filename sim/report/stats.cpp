#include "sim/report/stats.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <npusim_version.hpp>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "npu/core/units.hpp"
#include "sim/report/json.hpp"

namespace npusim::sim {
namespace json = boost::json;
using npu::Stall;
using npu::UnitCounters;

std::uint64_t count_of(const Counts& c, const std::string& name) {
  for (const auto& [n, v] : c) {
    if (n == name) return v;
  }
  return 0;
}

const UnitStats& RunStats::unit(const std::string& name) const {
  for (const auto& u : units) {
    if (u.name == name) return u;
  }
  internal_error(__FILE__, __LINE__, "the stats have no unit called " + name);
}

namespace {

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

// Counters to stats ---------------------------------------------------------------------------

Counts stall_counts(const UnitCounters& u, const std::vector<std::string>& names) {
  Counts s;
  for (std::size_t p = npu::kMatrixUnit; p < names.size(); ++p) s.emplace_back("dep_" + names[p], u.dependency_cycles[p]);
  for (int i = 0; i < npu::kStallCount; ++i) s.emplace_back(std::string(npu::stall_name(static_cast<Stall>(i))), u.stall_cycles[i]);
  return s;
}

UnitStats unit_stats(std::uint32_t unit, const UnitCounters& u, const std::vector<std::string>& names,
                     double unit_cycles, std::uint32_t threads_per_core) {
  UnitStats o;
  o.name = names[unit];
  o.instructions = u.instructions;
  o.busy_cycles = u.busy_cycles;
  // Each hardware thread has a sequencer of its own.
  const double sequencers = unit == npu::kSequencerUnit ? double(threads_per_core) : 1.0;
  o.utilization = ratio(double(u.busy_cycles), unit_cycles * sequencers);
  if (unit == npu::kMatrixUnit) {
    o.macs = u.macs;
    o.mac_utilization = ratio(u.peak_mac_cycles, unit_cycles);
  }
  if (unit == npu::kVectorUnit) {
    o.elements = u.elements;
    o.vectors = u.vectors;
    o.lane_utilization = ratio(double(u.elements), double(u.lane_slots));
  }
  if (unit == npu::kMatrixUnit || unit == npu::kVectorUnit) {
    o.handoffs = u.handoffs;
    o.handoff_bytes = u.handoff_bytes;
    o.handoff_cycles = u.handoff_cycles;
  }
  if (unit >= npu::kFirstDmaUnit) {
    o.dram_read_bytes = u.dram_read_bytes;
    o.dram_write_bytes = u.dram_write_bytes;
  }
  o.stalls = stall_counts(u, names);
  return o;
}

std::vector<UnitStats> all_unit_stats(const std::vector<UnitCounters>& units, const std::vector<std::string>& names,
                                      double unit_cycles, std::uint32_t threads_per_core) {
  std::vector<UnitStats> out;
  for (std::uint32_t u = 0; u < units.size(); ++u) {
    out.push_back(unit_stats(u, units[u], names, unit_cycles, threads_per_core));
  }
  return out;
}

}  // namespace

RunStats run_stats(const npu::NpuConfig& hw, const npu::RunResult& result, const RunInfo& info) {
  const std::vector<std::string> names = npu::unit_names(hw.core);
  std::vector<UnitCounters> total(names.size());
  for (auto& t : total) t.dependency_cycles.assign(names.size(), 0);
  RunStats s;
  for (const auto& c : result.cores) {
    for (std::size_t u = 0; u < names.size(); ++u) total[u].add(c.units[u]);
    s.saturations += c.numerics.saturations;
    s.nonfinite += c.numerics.nonfinite;
  }
  const double cycles = double(result.cycles);
  s.npusim = kVersion;
  s.hw_name = hw.name;
  s.hw_file = info.hw_file;
  s.clock_hz = hw.clock_hz;
  s.hw_cores = hw.cores;
  s.program_file = info.program_file;
  s.program_instructions = result.instructions;
  s.mode = info.numerics ? "numerics" : "timing-only";
  s.cycles = result.cycles;
  s.time_us = cycles / hw.clock_hz * 1e6;
  s.instructions = result.instructions;
  s.units = all_unit_stats(total, names, cycles * hw.cores, hw.core.sequencer.threads);
  for (std::size_t p = npu::kMatrixUnit; p < names.size(); ++p) {
    std::uint64_t sum = 0;
    for (const auto& u : total) sum += u.dependency_cycles[p];
    s.stalls.emplace_back("dep_" + names[p], sum);
  }
  for (int i = 0; i < npu::kStallCount; ++i) {
    std::uint64_t sum = 0;
    for (const auto& u : total) sum += u.stall_cycles[i];
    s.stalls.emplace_back(std::string(npu::stall_name(static_cast<Stall>(i))), sum);
  }
  for (std::size_t u = 0; u < names.size(); ++u) {
    s.dram_read_bytes += total[u].dram_read_bytes;
    s.dram_write_bytes += total[u].dram_write_bytes;
    s.dram_read_payload_bytes += total[u].dram_read_payload_bytes;
    s.dram_write_payload_bytes += total[u].dram_write_payload_bytes;
    if (u != npu::kSequencerUnit) s.scratchpad.push_back({names[u], total[u].sp_read_bytes, total[u].sp_write_bytes});
  }
  s.dram_bandwidth_utilization =
      ratio(double(s.dram_read_bytes + s.dram_write_bytes), hw.dram.bytes_per_cycle * cycles);
  const UnitCounters& mx = total[npu::kMatrixUnit];
  const UnitCounters& vx = total[npu::kVectorUnit];
  s.matrix_to_vector = {vx.handoffs, vx.handoff_bytes, vx.handoff_cycles};
  s.vector_to_matrix = {mx.handoffs, mx.handoff_bytes, mx.handoff_cycles};
  if (hw.cores > 1) {
    for (const auto& c : result.cores) {
      s.cores.push_back({c.end, all_unit_stats(c.units, names, cycles, hw.core.sequencer.threads)});
    }
  }
  return s;
}

namespace {

// JSON values of typed fields, and back --------------------------------------------------------

json::value value_of(std::uint64_t v) { return v; }
json::value value_of(double v) { return v; }
json::value value_of(bool v) { return v; }
json::value value_of(const std::string& v) { return json::value(v); }
json::value value_of(const json::value& v) { return v; }
json::value value_of(const Counts& c) {
  json::object o;
  for (const auto& [k, v] : c) o[k] = v;
  return o;
}
template <class T>
json::value value_of(const std::optional<T>& v) {
  return v ? value_of(*v) : json::value(nullptr);
}

// Reading back never throws: a value of another type leaves the field as it was.
void read(const json::value& v, std::uint64_t& x) {
  if (v.is_uint64()) x = v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) x = static_cast<std::uint64_t>(v.get_int64());
  if (v.is_double() && v.get_double() >= 0 && v.get_double() < 1.8e19) x = static_cast<std::uint64_t>(v.get_double());
}
void read(const json::value& v, double& x) {
  if (v.is_number()) x = v.to_number<double>();
}
void read(const json::value& v, bool& x) {
  if (v.is_bool()) x = v.get_bool();
}
void read(const json::value& v, std::string& x) {
  if (v.is_string()) x = std::string(v.get_string());
}
void read(const json::value& v, json::value& x) { x = v; }
void read(const json::value& v, Counts& c) {
  if (!v.is_object()) return;
  c.clear();
  for (const auto& kv : v.get_object()) {
    std::uint64_t n = 0;
    read(kv.value(), n);
    c.emplace_back(std::string(kv.key()), n);
  }
}
template <class T>
void read(const json::value& v, std::optional<T>& x) {
  if (v.is_null()) {
    x.reset();
    return;
  }
  T t{};
  read(v, t);
  x = std::move(t);
}

using Path = std::vector<std::string>;

Path split(const std::string& key) {
  Path p;
  std::size_t start = 0;
  for (;;) {
    const auto dot = key.find('.', start);
    p.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) return p;
    start = dot + 1;
  }
}

/// Where a key's value sits: its path without a last "<unit>"-like part (a Counts object there).
Path value_path(const std::string& key) {
  Path p = split(key);
  if (p.size() > 1 && p.back().front() == '<') p.pop_back();
  return p;
}

/// Sets o[p0][p1]... = v, making the objects on the way (in insertion order).
void put_at(json::object& o, const Path& p, json::value v) {
  json::object* cur = &o;
  for (std::size_t i = 0; i + 1 < p.size(); ++i) {
    json::value& next = (*cur)[p[i]];
    if (!next.is_object()) next = json::object{};
    cur = &next.get_object();
  }
  (*cur)[p.back()] = std::move(v);
}

const json::value* find_at(const json::object& o, const Path& p) {
  const json::object* cur = &o;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const json::value* v = cur->if_contains(p[i]);
    if (!v) return nullptr;
    if (i + 1 == p.size()) return v;
    if (!v->is_object()) return nullptr;
    cur = &v->get_object();
  }
  return nullptr;
}

/// A key whose value is the field `get(stats)` (a generic lambda, for const and non-const).
template <class Get>
StatDef field(std::string key, std::string unit, std::string description, Get get) {
  const Path p = value_path(key);
  return {std::move(key), std::move(unit), std::move(description),
          [=](const RunStats& s, json::object& o) { put_at(o, p, value_of(get(s))); },
          [=](const json::object& o, RunStats& s) {
            if (const json::value* v = find_at(o, p)) read(*v, get(s));
          }};
}

/// A key inside an optional part of the stats (`part(stats)`, a std::optional): written when the
/// part is there, `absent` written in its place otherwise (nothing when it is null).
template <class Part, class Get>
StatDef in_part(std::string key, std::string unit, std::string description, Part part, Get get,
                std::function<void(const RunStats&, json::object&)> absent = nullptr) {
  const Path p = value_path(key);
  return {std::move(key), std::move(unit), std::move(description),
          [=](const RunStats& s, json::object& o) {
            if (const auto& x = part(s)) {
              put_at(o, p, value_of(get(*x)));
            } else if (absent) {
              absent(s, o);
            }
          },
          [=](const json::object& o, RunStats& s) {
            const json::value* v = find_at(o, p);
            if (!v) return;
            auto& x = part(s);
            if (!x) x.emplace();
            read(*v, get(*x));
          }};
}

/// The keys of one unit, relative to the unit's object (`units.<unit>.` or a core's units).
struct UnitKey {
  std::string key;  ///< as documented, "units.<unit>.busy_cycles" or "units.matrix.macs"
  std::string unit, description;
  std::string only;  ///< the unit it applies to, or empty for every unit that has the value
  std::function<std::optional<json::value>(const UnitStats&)> put;
  std::function<void(const json::value&, UnitStats&)> get;
};

template <class Get>
UnitKey unit_key(std::string key, std::string unit, std::string description, Get get) {
  const std::string prefix = "units.<unit>.";
  std::string only;
  if (key.rfind(prefix, 0) != 0) only = split(key)[1];
  return {std::move(key), std::move(unit), std::move(description), only,
          [=](const UnitStats& u) -> std::optional<json::value> {
            const auto& v = get(u);
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::optional<std::uint64_t>> ||
                          std::is_same_v<std::decay_t<decltype(v)>, std::optional<double>>) {
              if (!v) return std::nullopt;
            }
            return value_of(v);
          },
          [=](const json::value& v, UnitStats& u) { read(v, get(u)); }};
}

const std::vector<UnitKey>& unit_keys() {
  static const std::vector<UnitKey> keys = {
      unit_key("units.<unit>.instructions", "instructions",
               "instructions the unit executed (the sequencer issues all of them)",
               [](auto& u) -> auto& { return u.instructions; }),
      unit_key("units.<unit>.busy_cycles", "cycles", "cycles the unit was occupied (summed over cores)",
               [](auto& u) -> auto& { return u.busy_cycles; }),
      unit_key("units.<unit>.utilization", "fraction",
               "busy_cycles / (cycles x cores); the sequencer's also / threads (each hardware thread has one)",
               [](auto& u) -> auto& { return u.utilization; }),
      unit_key("units.matrix.macs", "MACs", "useful multiply-accumulates (M x K x N per matmul)",
               [](auto& u) -> auto& { return u.macs; }),
      unit_key("units.matrix.mac_utilization", "fraction",
               "useful MACs / (peak MACs per cycle for the dtype x cycles x cores)",
               [](auto& u) -> auto& { return u.mac_utilization; }),
      unit_key("units.vector.elements", "elements", "useful element operations",
               [](auto& u) -> auto& { return u.elements; }),
      unit_key("units.vector.vectors", "vectors", "vector issues", [](auto& u) -> auto& { return u.vectors; }),
      unit_key("units.vector.lane_utilization", "fraction",
               "elements / (vectors x lanes): lanes left idle by short rows",
               [](auto& u) -> auto& { return u.lane_utilization; }),
      unit_key("units.<unit>.handoffs", "instructions", "layout changes into this unit's layout: instructions that read the other unit's layout (`handoff.via: consumer`) or `vec.layout` conversions (`via: vector`)",
               [](auto& u) -> auto& { return u.handoffs; }),
      unit_key("units.<unit>.handoff_bytes", "bytes", "bytes converted by those hand-offs",
               [](auto& u) -> auto& { return u.handoff_bytes; }),
      unit_key("units.<unit>.handoff_cycles", "cycles", "what the hand-offs cost: cycles added to busy_cycles (via consumer), or the conversions' vector busy cycles, latency and `handoff.sync_cycles` (via vector)",
               [](auto& u) -> auto& { return u.handoff_cycles; }),
      unit_key("units.<unit>.dram_read_bytes", "bytes", "DMA queue: burst-rounded bytes read from DRAM",
               [](auto& u) -> auto& { return u.dram_read_bytes; }),
      unit_key("units.<unit>.dram_write_bytes", "bytes", "DMA queue: burst-rounded bytes written to DRAM",
               [](auto& u) -> auto& { return u.dram_write_bytes; }),
      unit_key("units.<unit>.stalls.<cause>", "cycles", "cycles this unit lost to `<cause>` (the causes of `stalls.*`)",
               [](auto& u) -> auto& { return u.stalls; }),
  };
  return keys;
}

/// The last part of a unit key: "busy_cycles", "stalls" (for "stalls.<cause>").
std::string unit_field(const UnitKey& k) {
  const Path p = split(k.key);
  return p[2];
}

json::object units_json(const std::vector<UnitStats>& units) {
  json::object o;
  for (const auto& u : units) o[u.name] = json::object{};
  for (const auto& k : unit_keys()) {
    for (const auto& u : units) {
      if (!k.only.empty() && k.only != u.name) continue;
      if (auto v = k.put(u)) o[u.name].get_object()[unit_field(k)] = std::move(*v);
    }
  }
  return o;
}

std::vector<UnitStats> units_from_json(const json::value& v) {
  std::vector<UnitStats> units;
  if (!v.is_object()) return units;
  for (const auto& kv : v.get_object()) {
    UnitStats u;
    u.name = std::string(kv.key());
    if (!kv.value().is_object()) continue;
    for (const auto& k : unit_keys()) {
      if (const json::value* x = kv.value().get_object().if_contains(unit_field(k))) k.get(*x, u);
    }
    units.push_back(std::move(u));
  }
  return units;
}

/// What each npu::Stall cause means, for its `stalls.<cause>` row.
std::string stall_description(const std::string& cause) {
  static const std::vector<std::pair<std::string, std::string>> d = {
      {"issue", "execution units idle with an empty queue while more work for them was still to come"},
      {"queue_full", "the sequencer blocked because the target unit's queue was full"},
      {"barrier", "the sequencer waiting at `barrier` for earlier instructions"},
      {"sync", "the sequencer in `signal` (draining) or `wait` (flag not yet raised)"},
      {"bank_conflict", "cycles bank conflicts added to matrix and vector instructions"},
      {"dram_bandwidth", "cycles DMA transfers lost to other transfers sharing DRAM bandwidth"},
      {"matrix_lock", "threads in `matrix.acquire` (another thread holds the matrix unit, plus `matrix.lock_cycles`) or "
                      "`matrix.release` (draining their matmuls)"},
      {"vector_context", "threads waiting for a free vector context"},
  };
  for (const auto& [c, text] : d) {
    if (c == cause) return text;
  }
  internal_error(__FILE__, __LINE__, "a stall cause without a description: " + cause);
}

/// A `stalls.<cause>` key: one entry of RunStats::stalls.
StatDef stall_key(const std::string& cause) {
  const Path p = {"stalls", cause};
  return {"stalls." + cause, "cycles", stall_description(cause),
          [=](const RunStats& s, json::object& o) { put_at(o, p, count_of(s.stalls, cause)); },
          [=](const json::object& o, RunStats& s) {
            const json::value* v = find_at(o, p);
            if (!v) return;
            std::uint64_t n = 0;
            read(*v, n);
            s.stalls.emplace_back(cause, n);
          }};
}

std::vector<StatDef> make_registry() {
  std::vector<StatDef> r = {
      field("npusim", "", "version of npusim that wrote the file", [](auto& s) -> auto& { return s.npusim; }),
      field("hw.name", "", "name of the hardware preset", [](auto& s) -> auto& { return s.hw_name; }),
      field("hw.file", "", "hardware spec file as given", [](auto& s) -> auto& { return s.hw_file; }),
      field("hw.clock_hz", "Hz", "core clock", [](auto& s) -> auto& { return s.clock_hz; }),
      field("hw.cores", "", "number of cores", [](auto& s) -> auto& { return s.hw_cores; }),
      field("program.file", "", "program file (or kernel name)", [](auto& s) -> auto& { return s.program_file; }),
      field("program.instructions", "instructions", "instructions in the program, all cores",
            [](auto& s) -> auto& { return s.program_instructions; }),
      field("mode", "", "`numerics` or `timing-only`", [](auto& s) -> auto& { return s.mode; }),
      field("cycles", "cycles", "from the first issue to the last completion on any core",
            [](auto& s) -> auto& { return s.cycles; }),
      field("time_us", "us", "cycles / clock", [](auto& s) -> auto& { return s.time_us; }),
      field("instructions", "instructions", "instructions executed, all cores",
            [](auto& s) -> auto& { return s.instructions; }),
  };
  for (const auto& k : unit_keys()) {
    const std::string field_name = unit_field(k);
    r.push_back({k.key, k.unit, k.description,
                 [k, field_name](const RunStats& s, json::object& o) {
                   for (const auto& u : s.units) {
                     if (!k.only.empty() && k.only != u.name) continue;
                     if (auto v = k.put(u)) put_at(o, {"units", u.name, field_name}, std::move(*v));
                   }
                 },
                 [k, field_name](const json::object& o, RunStats& s) {
                   const json::value* units = find_at(o, {"units"});
                   if (!units || !units->is_object()) return;
                   for (const auto& kv : units->get_object()) {
                     const std::string name(kv.key());
                     auto it = std::find_if(s.units.begin(), s.units.end(), [&](const UnitStats& u) { return u.name == name; });
                     if (it == s.units.end()) {
                       s.units.push_back(UnitStats{});
                       s.units.back().name = name;
                       it = s.units.end() - 1;
                     }
                     if (!kv.value().is_object()) continue;
                     if (const json::value* x = kv.value().get_object().if_contains(field_name)) k.get(*x, *it);
                   }
                 }});
  }
  r.push_back({"stalls.dep_<unit>", "cycles",
               "execution units waiting, queue head ready, for a producer running on `<unit>`",
               [](const RunStats& s, json::object& o) {
                 for (const auto& [k, v] : s.stalls) {
                   if (k.rfind("dep_", 0) == 0) put_at(o, {"stalls", k}, v);
                 }
               },
               [](const json::object& o, RunStats& s) {
                 const json::value* st = find_at(o, {"stalls"});
                 if (!st || !st->is_object()) return;
                 for (const auto& kv : st->get_object()) {
                   if (std::string(kv.key()).rfind("dep_", 0) != 0) continue;
                   std::uint64_t n = 0;
                   read(kv.value(), n);
                   s.stalls.emplace_back(std::string(kv.key()), n);
                 }
               }});
  for (int i = 0; i < npu::kStallCount; ++i) r.push_back(stall_key(std::string(npu::stall_name(static_cast<Stall>(i)))));
  const std::vector<StatDef> rest = {
      field("traffic.dram_read_bytes", "bytes", "bytes read from DRAM, rounded up to whole bursts",
            [](auto& s) -> auto& { return s.dram_read_bytes; }),
      field("traffic.dram_write_bytes", "bytes", "bytes written to DRAM, rounded up to whole bursts",
            [](auto& s) -> auto& { return s.dram_write_bytes; }),
      field("traffic.dram_read_payload_bytes", "bytes", "bytes the program asked DRAM for",
            [](auto& s) -> auto& { return s.dram_read_payload_bytes; }),
      field("traffic.dram_write_payload_bytes", "bytes", "bytes the program wrote to DRAM",
            [](auto& s) -> auto& { return s.dram_write_payload_bytes; }),
      field("traffic.dram_bandwidth_utilization", "fraction", "(read + write bytes) / (DRAM bytes per cycle x cycles)",
            [](auto& s) -> auto& { return s.dram_bandwidth_utilization; }),
  };
  r.insert(r.end(), rest.begin(), rest.end());
  for (const bool read_side : {true, false}) {
    const std::string what = read_side ? "read_bytes" : "write_bytes";
    r.push_back({"traffic.scratchpad.<unit>." + what, "bytes",
                 fmt::format("scratchpad bytes the unit {}", read_side ? "read" : "wrote"),
                 [=](const RunStats& s, json::object& o) {
                   for (const auto& t : s.scratchpad) {
                     put_at(o, {"traffic", "scratchpad", t.unit, what}, read_side ? t.read_bytes : t.write_bytes);
                   }
                 },
                 [=](const json::object& o, RunStats& s) {
                   const json::value* sp = find_at(o, {"traffic", "scratchpad"});
                   if (!sp || !sp->is_object()) return;
                   for (const auto& kv : sp->get_object()) {
                     const std::string unit(kv.key());
                     auto it = std::find_if(s.scratchpad.begin(), s.scratchpad.end(),
                                            [&](const ScratchpadTraffic& t) { return t.unit == unit; });
                     if (it == s.scratchpad.end()) {
                       s.scratchpad.push_back({unit, 0, 0});
                       it = s.scratchpad.end() - 1;
                     }
                     if (!kv.value().is_object()) continue;
                     if (const json::value* x = kv.value().get_object().if_contains(what)) {
                       read(*x, read_side ? it->read_bytes : it->write_bytes);
                     }
                   }
                 }});
  }
  const std::vector<StatDef> more = {
      field("handoff.matrix_to_vector.count", "instructions", "vector instructions that read matrix-layout data, or `vec.layout ... to=vector` conversions (via vector)",
            [](auto& s) -> auto& { return s.matrix_to_vector.count; }),
      field("handoff.matrix_to_vector.bytes", "bytes", "bytes they converted",
            [](auto& s) -> auto& { return s.matrix_to_vector.bytes; }),
      field("handoff.matrix_to_vector.cycles", "cycles", "cycles the conversion cost",
            [](auto& s) -> auto& { return s.matrix_to_vector.cycles; }),
      field("handoff.vector_to_matrix.count", "instructions", "matmuls that read vector-layout data, or `vec.layout ... to=matrix` conversions (via vector)",
            [](auto& s) -> auto& { return s.vector_to_matrix.count; }),
      field("handoff.vector_to_matrix.bytes", "bytes", "bytes they converted",
            [](auto& s) -> auto& { return s.vector_to_matrix.bytes; }),
      field("handoff.vector_to_matrix.cycles", "cycles", "cycles the conversion cost",
            [](auto& s) -> auto& { return s.vector_to_matrix.cycles; }),
      field("numerics.saturations", "values", "integer results clamped to their dtype (0 in timing-only mode)",
            [](auto& s) -> auto& { return s.saturations; }),
      field("numerics.nonfinite", "values", "float results that were inf or NaN (0 in timing-only mode)",
            [](auto& s) -> auto& { return s.nonfinite; }),
  };
  r.insert(r.end(), more.begin(), more.end());
  const auto bounds = [](auto& s) -> auto& { return s.bounds; };
  const auto path = [](auto& s) -> auto& { return s.critical_path; };
  const auto kernel = [](auto& s) -> auto& { return s.kernel; };
  const auto accuracy = [](auto& s) -> auto& { return s.accuracy; };
  // A kernel run in timing-only mode has "accuracy": null.
  const auto accuracy_null = [](const RunStats& s, json::object& o) {
    if (s.kernel && !o.contains("accuracy")) o["accuracy"] = nullptr;
  };
  const std::vector<StatDef> analysis = {
      in_part("bounds.matrix", "cycles", "lower bound: useful MACs / peak MACs per cycle (busiest core)", bounds,
              [](auto& b) -> auto& { return b.matrix; }),
      in_part("bounds.vector", "cycles", "lower bound: elements / lanes x each op's interval (busiest core)", bounds,
              [](auto& b) -> auto& { return b.vector; }),
      in_part("bounds.memory", "cycles", "lower bound: DRAM bytes / DRAM bandwidth", bounds,
              [](auto& b) -> auto& { return b.memory; }),
      in_part("bounds.issue", "cycles", "lower bound: instructions x issue cycles (busiest core)", bounds,
              [](auto& b) -> auto& { return b.issue; }),
      in_part("bounds.dependency", "cycles",
              "lower bound: longest chain of dependent instructions at their unloaded cost", bounds,
              [](auto& b) -> auto& { return b.dependency; }),
      in_part("bounds.binding", "", "the largest bound: `matrix`, `vector`, `memory`, `issue` or `dependency`", bounds,
              [](auto& b) -> auto& { return b.binding; }),
      in_part("bounds.binding_cycles", "cycles", "its value", bounds, [](auto& b) -> auto& { return b.binding_cycles; }),
      in_part("bounds.binding_fraction", "fraction", "binding_cycles / cycles: how close the run comes to its bound",
              bounds, [](auto& b) -> auto& { return b.binding_fraction; }),
      in_part("critical_path.cycles", "cycles", "length of the critical path (equals `cycles`)", path,
              [](auto& c) -> auto& { return c.cycles; }),
      in_part("critical_path.instructions", "instructions", "instructions on it", path,
              [](auto& c) -> auto& { return c.instructions; }),
      in_part("critical_path.by_unit.<unit>", "cycles", "path time executing on the unit (busy and pipeline latency)",
              path, [](auto& c) -> auto& { return c.by_unit; }),
      in_part("critical_path.by_cause.<cause>", "cycles",
              "path time lost to `issue`, `barrier`, `sync`, `handoff`, `bank_conflict`, `dram_bandwidth`, `queue_full`, "
              "`matrix_lock`, `vector_context`",
              path,
              [](auto& c) -> auto& { return c.by_cause; }),
      in_part("critical_path.instructions_by_unit.<unit>", "instructions", "path instructions per unit", path,
              [](auto& c) -> auto& { return c.instructions_by_unit; }),
      in_part("critical_path.edges.<kind>", "edges",
              "why each path instruction waited: `dependency`, `unit` (possibly another thread's instruction), `issue`, "
              "`queue_full`, `barrier`, `lock` (another thread's `matrix.release`)",
              path,
              [](auto& c) -> auto& { return c.edges; }),
      in_part("critical_path.longest_dependent_run.unit", "",
              "unit of the longest run of path instructions linked by dependencies", path,
              [](auto& c) -> auto& { return c.longest_run_unit; }),
      in_part("critical_path.longest_dependent_run.instructions", "instructions", "its length", path,
              [](auto& c) -> auto& { return c.longest_run; }),
      in_part("explanation", "", "a generated sentence on what bounds the run, from the figures above",
              [](auto& s) -> auto& { return s.explanation; }, [](auto& e) -> auto& { return e; }),
      in_part("kernel.name", "", "kernel runs: the inverse kernel", kernel, [](auto& k) -> auto& { return k.name; }),
      in_part("kernel.summary", "", "kernel runs: what it computed and how (order, steps, blocks)", kernel,
              [](auto& k) -> auto& { return k.summary; }),
      in_part("kernel.chunk", "", "kernel runs: chunk size C", kernel, [](auto& k) -> auto& { return k.chunk; }),
      in_part("kernel.dtype", "", "kernel runs: dtype of A, T and the computation", kernel,
              [](auto& k) -> auto& { return k.dtype; }),
      in_part("kernel.batch", "matrices", "kernel runs: chunk matrices inverted", kernel,
              [](auto& k) -> auto& { return k.batch; }),
      in_part("kernel.order", "", "neumann: series order N (0 where it does not apply)", kernel,
              [](auto& k) -> auto& { return k.order; }),
      in_part("kernel.steps", "", "neumann: residual terms S; newton_schulz: iterations", kernel,
              [](auto& k) -> auto& { return k.steps; }),
      in_part("kernel.sum", "", "neumann: `doubling` or `horner`", kernel, [](auto& k) -> auto& { return k.sum; }),
      in_part("kernel.mask", "", "neumann: `band`, or `none` for the unmasked ablation (empty for other kernels)",
              kernel, [](auto& k) -> auto& { return k.mask; }),
      in_part("kernel.interleave", "chunks", "chunks computed together per core after fitting the scratchpad", kernel,
              [](auto& k) -> auto& { return k.interleave; }),
      in_part("kernel.input", "", "where A came from: `{generator, seed, correlation}` or `{file}`", kernel,
              [](auto& k) -> auto& { return k.input; }),
      in_part("kernel.int_scales", "", "integer dtypes: the power-of-two scales `{a, t, e, p}` (null for floats)",
              kernel, [](auto& k) -> auto& { return k.int_scales; }),
      in_part("accuracy.rel_fro_error.worst", "", "max over the batch of ‖T - T_exact‖_F / ‖T_exact‖_F", accuracy,
              [](auto& a) -> auto& { return a.rel_fro_error_worst; }, accuracy_null),
      in_part("accuracy.rel_fro_error.mean", "", "mean over the batch of the same", accuracy,
              [](auto& a) -> auto& { return a.rel_fro_error_mean; }, accuracy_null),
      in_part("accuracy.max_abs_error", "", "max \\|T - T_exact\\| over every entry", accuracy,
              [](auto& a) -> auto& { return a.max_abs_error; }, accuracy_null),
      in_part("accuracy.snr_db.mean", "dB", "mean over the batch of 10 log10(‖T_exact‖² / ‖T - T_exact‖²)", accuracy,
              [](auto& a) -> auto& { return a.snr_db_mean; }, accuracy_null),
      in_part("accuracy.snr_db.worst", "dB", "lowest per-chunk SNR", accuracy,
              [](auto& a) -> auto& { return a.snr_db_worst; }, accuracy_null),
      in_part("accuracy.nonfinite", "values", "entries of T that are inf or NaN (the error figures are then null)",
              accuracy, [](auto& a) -> auto& { return a.nonfinite; }, accuracy_null),
      in_part("accuracy.saturations", "values",
              "integer clamps: storing A plus every instruction's (`numerics.saturations`)", accuracy,
              [](auto& a) -> auto& { return a.saturations; }, accuracy_null),
      in_part("accuracy.exact", "", "every entry equals the fp64 reference", accuracy,
              [](auto& a) -> auto& { return a.exact; }, accuracy_null),
      in_part("accuracy.undefined_reason", "",
              "why the error figures are null (T or the fp64 reference not finite), else null", accuracy,
              [](auto& a) -> auto& { return a.undefined_reason; }, accuracy_null),
  };
  r.insert(r.end(), analysis.begin(), analysis.end());
  r.push_back({"cores[i].cycles", "cycles", "multi-core only: last completion on core i",
               [](const RunStats& s, json::object& o) {
                 if (s.cores.empty()) return;
                 json::array a;
                 for (const auto& c : s.cores) a.push_back(json::object{{"cycles", c.cycles}});
                 o["cores"] = std::move(a);
               },
               [](const json::object& o, RunStats& s) {
                 const json::value* a = o.if_contains("cores");
                 if (!a || !a->is_array()) return;
                 s.cores.assign(a->get_array().size(), CoreStats{});
                 for (std::size_t i = 0; i < s.cores.size(); ++i) {
                   const json::value& c = a->get_array()[i];
                   if (c.is_object() && c.get_object().contains("cycles")) read(c.get_object().at("cycles"), s.cores[i].cycles);
                 }
               }});
  r.push_back({"cores[i].units.<unit>.*", "", "multi-core only: the units object of core i",
               [](const RunStats& s, json::object& o) {
                 for (std::size_t i = 0; i < s.cores.size(); ++i) {
                   o["cores"].get_array()[i].get_object()["units"] = units_json(s.cores[i].units);
                 }
               },
               [](const json::object& o, RunStats& s) {
                 const json::value* a = o.if_contains("cores");
                 if (!a || !a->is_array()) return;
                 for (std::size_t i = 0; i < s.cores.size() && i < a->get_array().size(); ++i) {
                   const json::value& c = a->get_array()[i];
                   if (c.is_object() && c.get_object().contains("units")) s.cores[i].units = units_from_json(c.get_object().at("units"));
                 }
               }});
  return r;
}

}  // namespace

const std::vector<StatDef>& stat_registry() {
  static const std::vector<StatDef> registry = make_registry();
  return registry;
}

json::object stats_json(const RunStats& s) {
  json::object o;
  for (const auto& d : stat_registry()) d.put(s, o);
  return o;
}

RunStats stats_from_json(const json::object& j) {
  RunStats s;
  s.stalls.clear();
  for (const auto& d : stat_registry()) d.get(j, s);
  return s;
}

json::object make_stats(const npu::NpuConfig& hw, const npu::RunResult& result, const RunInfo& info) {
  return stats_json(run_stats(hw, result, info));
}

std::string stat_table() {
  std::string out = "| key | unit | meaning |\n|---|---|---|\n";
  for (const auto& d : stat_registry()) {
    out += fmt::format("| `{}` |{} | {} |\n", d.key, d.unit.empty() ? "" : " " + d.unit, d.description);
  }
  return out;
}

namespace {

std::string number_or_na(const std::optional<double>& v, const char* spec) {
  return v ? fmt::format(fmt::runtime(spec), *v) : std::string("n/a");
}

}  // namespace

std::string format_summary(const RunStats& s) {
  std::string o = fmt::format("npusim: {} on {} ({} core{}, {})\n", s.program_file, s.hw_name, s.hw_cores,
                              s.hw_cores == 1 ? "" : "s", s.mode);
  if (s.kernel) o += fmt::format("  kernel: {} ({} chunk{})\n", s.kernel->summary, s.kernel->batch, s.kernel->batch == 1 ? "" : "s");
  o += fmt::format("  cycles {}  ({:.2f} us at {:.3g} GHz), {} instructions\n", grouped(s.cycles), s.time_us,
                   s.clock_hz / 1e9, grouped(s.instructions));
  o += fmt::format("  {:<10} {:>9} {:>12} {:>7}  {}\n", "unit", "instr", "busy", "util", "");
  for (const auto& u : s.units) {
    std::string note;
    if (u.mac_utilization) note = fmt::format("MAC utilization {:.1f}%", 100 * *u.mac_utilization);
    if (u.lane_utilization) note = fmt::format("lane utilization {:.1f}%", 100 * *u.lane_utilization);
    if (u.handoff_cycles.value_or(0) > 0) note += fmt::format(", {} hand-off cycles", grouped(*u.handoff_cycles));
    o += fmt::format("  {:<10} {:>9} {:>12} {:>6.1f}%  {}\n", u.name, grouped(u.instructions), grouped(u.busy_cycles),
                     100 * u.utilization, note);
  }
  Counts stalls;
  for (const auto& st : s.stalls) {
    if (st.second > 0) stalls.push_back(st);
  }
  std::stable_sort(stalls.begin(), stalls.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string st;
  for (const auto& [k, n] : stalls) st += fmt::format("{}{} {}", st.empty() ? "" : ", ", k, grouped(n));
  o += fmt::format("  stalls (unit-cycles): {}\n", st.empty() ? "none" : st);
  o += fmt::format("  DRAM: read {}, written {}; {:.1f}% of peak bandwidth\n", human_bytes(double(s.dram_read_bytes)),
                   human_bytes(double(s.dram_write_bytes)), 100 * s.dram_bandwidth_utilization);
  std::string sp;
  for (const auto& t : s.scratchpad) {
    if (t.read_bytes + t.write_bytes == 0) continue;
    sp += fmt::format("{}{} r {} w {}", sp.empty() ? "" : "; ", t.unit, human_bytes(double(t.read_bytes)),
                      human_bytes(double(t.write_bytes)));
  }
  o += fmt::format("  scratchpad: {}\n", sp.empty() ? "no traffic" : sp);
  o += fmt::format("  hand-offs: matrix->vector {} ({} cycles), vector->matrix {} ({} cycles)\n",
                   grouped(s.matrix_to_vector.count), grouped(s.matrix_to_vector.cycles),
                   grouped(s.vector_to_matrix.count), grouped(s.vector_to_matrix.cycles));
  if (const auto& a = s.accuracy; a && a->undefined_reason) {
    o += fmt::format("  accuracy vs fp64: no figures: {}; {} non-finite, {} saturations\n", *a->undefined_reason,
                     grouped(a->nonfinite), grouped(a->saturations));
  } else if (a) {
    o += fmt::format(
        "  accuracy vs fp64: SNR {} dB mean, {} dB worst; relative error {} worst; max abs error {}; {} "
        "non-finite, {} saturations\n",
        number_or_na(a->snr_db_mean, "{:.1f}"), number_or_na(a->snr_db_worst, "{:.1f}"),
        number_or_na(a->rel_fro_error_worst, "{:.3g}"), number_or_na(a->max_abs_error, "{:.3g}"), grouped(a->nonfinite),
        grouped(a->saturations));
  }
  if (s.mode == "numerics") {
    o += fmt::format("  numerics: {} saturations, {} non-finite results\n", grouped(s.saturations), grouped(s.nonfinite));
  }
  return o;
}

std::string format_summary(const json::object& stats) { return format_summary(stats_from_json(stats)); }

}  // namespace npusim::sim
