#include "sim/report/analysis.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/core/units.hpp"
#include "npu/core/instruction_cost.hpp"
#include "npu/dma/dma_timing.hpp"
#include "sim/report/json.hpp"

namespace npusim::sim {
namespace json = boost::json;
using npu::InstrRecord;

namespace {

/// The core's instructions (none if the program gives it none).
const npu::Stream& stream_of(const npu::Program& p, std::uint32_t core) {
  static const npu::Stream empty;
  const npu::Stream* s = p.find_stream(core);
  return s ? *s : empty;
}

std::uint32_t core_index(const npu::NpuConfig& hw, const npu::RunResult& r) {
  for (std::uint32_t c = 0; c < r.cores.size() && c < hw.cores; ++c) {
    if (r.cores[c].end == r.cycles) return c;
  }
  return 0;
}

}  // namespace

Bounds compute_bounds(const npu::NpuConfig& hw, const npu::Program& p, const npu::RunResult& r) {
  Bounds b;
  std::uint64_t dram_bytes = 0;
  for (std::uint32_t c = 0; c < r.cores.size(); ++c) {
    const auto& core = r.cores[c];
    const auto& units = core.units;
    b.matrix = std::max<Cycle>(b.matrix, static_cast<Cycle>(std::ceil(units[npu::kMatrixUnit].peak_mac_cycles - 1e-9)));
    b.issue = std::max<Cycle>(b.issue, units[npu::kSequencerUnit].busy_cycles);
    for (const auto& u : units) dram_bytes += u.dram_read_bytes + u.dram_write_bytes;

    const npu::Stream& s = stream_of(p, c);
    double vector_ideal = 0;
    std::vector<Cycle> chain(s.code.size(), 0);
    for (std::size_t i = 0; i < s.code.size(); ++i) {
      const npu::Instruction& in = s.code[i];
      const InstrRecord& rec = core.records[i];
      Cycle own = 0;  // the instruction's unloaded cost
      if (in.unit() == npu::UnitKind::vector) {
        const npu::InstructionCost cost = npu::unloaded_cost(p, in, hw);
        const double lanes = cost.vectors ? double(cost.lane_slots) / double(cost.vectors) : 1.0;
        vector_ideal += double(cost.elements) / lanes * hw.core.vector.op(in.info().vclass).interval_cycles;
        own = rec.done - rec.start;
      } else if (in.unit() == npu::UnitKind::dma) {
        const npu::InstructionCost cost = npu::unloaded_cost(p, in, hw);
        own = cost.dma_fixed_cycles + cost.dma_ideal_transfer_cycles + cost.latency;
      } else if (in.unit() == npu::UnitKind::matrix) {
        own = rec.done - rec.start;
      }
      Cycle ready = 0;
      for (std::uint32_t k = 0; k < rec.deps_count; ++k) ready = std::max(ready, chain[core.dep_pool[rec.deps_begin + k]]);
      chain[i] = ready + own;
      b.dependency = std::max(b.dependency, chain[i]);
    }
    b.vector = std::max<Cycle>(b.vector, static_cast<Cycle>(std::ceil(vector_ideal - 1e-9)));
  }
  b.memory = npu::transfer_cycles(double(dram_bytes), hw.dram.bytes_per_cycle);
  const std::pair<const char*, Cycle> all[] = {{"matrix", b.matrix}, {"vector", b.vector}, {"memory", b.memory},
                                               {"issue", b.issue}, {"dependency", b.dependency}};
  for (const auto& [name, v] : all) {
    if (v > b.binding_cycles || b.binding.empty()) {
      b.binding = name;
      b.binding_cycles = v;
    }
  }
  return b;
}

CriticalPath critical_path(const npu::NpuConfig& hw, const npu::Program& p, const npu::RunResult& r) {
  CriticalPath path;
  if (r.cores.empty()) return path;
  const std::uint32_t c = core_index(hw, r);
  const auto& core = r.cores[c];
  const npu::Stream& s = stream_of(p, c);
  const std::size_t n = s.code.size();
  if (n == 0) return path;
  const Cycle issue = hw.core.sequencer.issue_cycles;

  // The previous instruction on the same unit (units run their queue in program order).
  std::vector<std::int64_t> prev_on_unit(n, -1);
  {
    std::vector<std::int64_t> last(npu::unit_count(hw.core), -1);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t u = npu::unit_of(s.code[i]);
      prev_on_unit[i] = last[u];
      last[u] = static_cast<std::int64_t>(i);
    }
  }
  auto unit_of = [&](std::size_t i) { return npu::unit_of(s.code[i]); };
  auto add_unit = [&](std::size_t i, Cycle cycles) {
    if (cycles) path.by_unit[npu::unit_name(unit_of(i))] += cycles;
  };

  enum class At { done, end, start, dispatch };
  std::size_t idx = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (core.records[i].done >= core.records[idx].done) idx = i;
  }
  At at = At::done;
  std::string via = "end";
  std::size_t last_unit_run_unit = SIZE_MAX;
  std::uint64_t run = 0;
  auto visit = [&](std::size_t i, const std::string& how) {
    path.steps.push_back({c, static_cast<std::uint32_t>(i), how});
    ++path.instructions;
    ++path.instructions_by_unit[npu::unit_name(unit_of(i))];
    // Runs of dependent instructions on one unit ("a 15-step vector chain").
    if (how == "dependency" && unit_of(i) == last_unit_run_unit) {
      ++run;
    } else {
      run = 1;
      last_unit_run_unit = unit_of(i);
    }
    if (run > path.longest_run && unit_of(i) != npu::kSequencerUnit) {
      path.longest_run = run;
      path.longest_run_unit = npu::unit_name(unit_of(i));
    }
  };
  visit(idx, via);
  Cycle accounted = r.cycles > core.records[idx].done ? r.cycles - core.records[idx].done : 0;
  if (accounted) path.by_cause["issue"] += accounted;  // sequencer tail, if any

  for (std::size_t guard = 0; guard < 8 * n + 8; ++guard) {
    const InstrRecord& rec = core.records[idx];
    const std::uint32_t unit = unit_of(idx);
    if (at == At::done) {
      if (unit == npu::kSequencerUnit) {
        // A barrier or signal ended when the last drained instruction completed.
        std::int64_t drained = -1;
        if (s.code[idx].op != npu::Opcode::wait && rec.done > rec.start) {
          for (std::size_t j = 0; j < idx; ++j) {
            if (core.records[j].done == rec.done && unit_of(j) != npu::kSequencerUnit) drained = static_cast<std::int64_t>(j);
          }
        }
        if (drained >= 0) {
          idx = static_cast<std::size_t>(drained);
          visit(idx, "barrier");
          ++path.edges["barrier"];
          continue;
        }
        path.by_cause[s.code[idx].op == npu::Opcode::wait ? "sync" : "barrier"] += rec.done - rec.start;
        accounted += rec.done - rec.start;
        at = At::dispatch;
        continue;
      }
      add_unit(idx, rec.done - rec.end);
      accounted += rec.done - rec.end;
      at = At::end;
      continue;
    }
    if (at == At::end) {
      const Cycle busy = rec.end - rec.start;
      const npu::InstructionCost cost = npu::unloaded_cost(p, s.code[idx], hw);
      Cycle handoff = rec.handoff_cycles, bank = 0, dram = 0;
      if (unit == npu::kMatrixUnit || unit == npu::kVectorUnit) bank = cost.bank_conflict_cycles;
      if (unit >= npu::kFirstDmaUnit) {
        const Cycle ideal = cost.dma_fixed_cycles + cost.dma_ideal_transfer_cycles;
        dram = busy > ideal ? busy - ideal : 0;
      }
      handoff = std::min(handoff, busy);
      bank = std::min(bank, busy - handoff);
      dram = std::min(dram, busy - handoff - bank);
      if (handoff) path.by_cause["handoff"] += handoff;
      if (bank) path.by_cause["bank_conflict"] += bank;
      if (dram) path.by_cause["dram_bandwidth"] += dram;
      add_unit(idx, busy - handoff - bank - dram);
      accounted += busy;
      at = At::start;
      continue;
    }
    if (at == At::start) {
      Cycle dep_ready = 0;
      std::int64_t dep = -1;
      for (std::uint32_t k = 0; k < rec.deps_count; ++k) {
        const std::uint32_t d = core.dep_pool[rec.deps_begin + k];
        if (dep < 0 || core.records[d].done > dep_ready) {
          dep_ready = core.records[d].done;
          dep = d;
        }
      }
      const std::int64_t prev = prev_on_unit[idx];
      const Cycle unit_ready = prev >= 0 ? core.records[prev].end : 0;
      if (dep >= 0 && dep_ready == rec.start && dep_ready >= unit_ready) {
        idx = static_cast<std::size_t>(dep);
        at = At::done;
        visit(idx, "dependency");
        ++path.edges["dependency"];
      } else if (prev >= 0 && unit_ready == rec.start && unit_ready > rec.dispatch) {
        idx = static_cast<std::size_t>(prev);
        at = At::end;
        visit(idx, "unit");
        ++path.edges["unit"];
      } else {
        at = At::dispatch;
      }
      continue;
    }
    // At::dispatch: the sequencer dispatched idx at rec.dispatch.
    if (idx == 0) {
      path.by_cause["issue"] += rec.dispatch;
      accounted += rec.dispatch;
      break;
    }
    const std::size_t prev = idx - 1;
    const InstrRecord& pr = core.records[prev];
    const bool prev_seq = unit_of(prev) == npu::kSequencerUnit;
    const Cycle base = prev_seq ? pr.done : pr.dispatch;
    if (rec.dispatch <= base + issue || unit == npu::kSequencerUnit) {
      path.by_cause["issue"] += rec.dispatch - base;
      accounted += rec.dispatch - base;
      idx = prev;
      at = prev_seq ? At::done : At::dispatch;
      visit(idx, "issue");
      ++path.edges["issue"];
      continue;
    }
    // Blocked on a full queue until an earlier instruction of the same unit started.
    std::int64_t freed = -1;
    for (std::int64_t q = prev_on_unit[idx]; q >= 0; q = prev_on_unit[q]) {
      if (core.records[q].start == rec.dispatch) {
        freed = q;
        break;
      }
    }
    if (freed < 0) {  // not expected; keep the accounting whole
      path.by_cause["queue_full"] += rec.dispatch - base;
      accounted += rec.dispatch - base;
      idx = prev;
      at = At::dispatch;
      continue;
    }
    idx = static_cast<std::size_t>(freed);
    at = At::start;
    visit(idx, "queue_full");
    ++path.edges["queue_full"];
  }
  path.cycles = accounted;
  return path;
}

json::object bounds_json(const Bounds& b, Cycle cycles) {
  json::object o;
  o["matrix"] = b.matrix;
  o["vector"] = b.vector;
  o["memory"] = b.memory;
  o["issue"] = b.issue;
  o["dependency"] = b.dependency;
  o["binding"] = b.binding;
  o["binding_cycles"] = b.binding_cycles;
  o["binding_fraction"] = cycles ? double(b.binding_cycles) / double(cycles) : 0.0;
  return o;
}

json::object critical_path_json(const CriticalPath& c) {
  json::object o;
  o["cycles"] = c.cycles;
  o["instructions"] = c.instructions;
  json::object units, causes, edges, counts;
  for (const auto& [k, v] : c.by_unit) units[k] = v;
  for (const auto& [k, v] : c.by_cause) causes[k] = v;
  for (const auto& [k, v] : c.edges) edges[k] = v;
  for (const auto& [k, v] : c.instructions_by_unit) counts[k] = v;
  o["by_unit"] = std::move(units);
  o["by_cause"] = std::move(causes);
  o["instructions_by_unit"] = std::move(counts);
  o["edges"] = std::move(edges);
  o["longest_dependent_run"] = json::object{{"unit", c.longest_run_unit}, {"instructions", c.longest_run}};
  return o;
}

void add_analysis(json::object& stats, const npu::NpuConfig& hw, const npu::Program& p, const npu::RunResult& r) {
  stats["bounds"] = bounds_json(compute_bounds(hw, p, r), r.cycles);
  stats["critical_path"] = critical_path_json(critical_path(hw, p, r));
  stats["explanation"] = explain_run("", stats);
}

namespace {

/// The unit (or cause) holding the largest share of the critical path.
std::pair<std::string, std::uint64_t> top_share(const json::object& cp) {
  std::pair<std::string, std::uint64_t> best{"", 0};
  for (const auto& kv : cp.at("by_unit").as_object()) {
    if (json_u64(kv.value()) > best.second) best = {std::string(kv.key()), json_u64(kv.value())};
  }
  for (const auto& kv : cp.at("by_cause").as_object()) {
    if (json_u64(kv.value()) > best.second) best = {std::string(kv.key()), json_u64(kv.value())};
  }
  return best;
}

std::string describe_share(const std::string& what, const json::object& cp) {
  if (what == "issue") return "the sequencer issuing instructions";
  if (what == "handoff") return "matrix/vector layout hand-offs";
  if (what == "bank_conflict") return "scratchpad bank conflicts";
  if (what == "dram_bandwidth") return "DRAM bandwidth shared between transfers";
  if (what == "barrier" || what == "sync") return "waiting at " + what + "s";
  const auto& counts = cp.at("instructions_by_unit").as_object();
  const std::uint64_t n = counts.contains(what) ? json_u64(counts.at(what)) : 0;
  std::string s = fmt::format("{} {} instruction{}", n, what, n == 1 ? "" : "s");
  const auto& run = cp.at("longest_dependent_run").as_object();
  if (run.at("unit").as_string() == what && json_u64(run.at("instructions")) > 1) {
    s += fmt::format(", a chain of {} dependent ones", json_u64(run.at("instructions")));
  }
  return s;
}

/// The facts an explanation is made of.
struct Facts {
  std::string name;
  double cycles = 0;
  std::string top;  ///< unit or cause with the largest share of the critical path
  double top_share = 0;
  std::uint64_t run = 0;               ///< longest dependent run on the path, if on that unit
  double matrix_busy = 0, vector_busy = 0, mac = 0;
  std::uint64_t matrix_instr = 0, vector_instr = 0, handoffs = 0, handoff_cycles = 0;
  std::string binding;
  double binding_fraction = 0;
};

Facts facts_of(const std::string& name, const json::object& s) {
  Facts f;
  f.name = name;
  f.cycles = double(json_u64(s.at("cycles")));
  const auto& cp = s.at("critical_path").as_object();
  const auto [what, amount] = top_share(cp);
  f.top = what;
  f.top_share = f.cycles > 0 ? double(amount) / f.cycles : 0;
  const auto& run = cp.at("longest_dependent_run").as_object();
  if (run.at("unit").as_string() == what) f.run = json_u64(run.at("instructions"));
  const auto& units = s.at("units").as_object();
  const auto& m = units.at("matrix").as_object();
  const auto& v = units.at("vector").as_object();
  f.matrix_busy = json_double(m.at("utilization"));
  f.vector_busy = json_double(v.at("utilization"));
  f.mac = json_double(m.at("mac_utilization"));
  f.matrix_instr = json_u64(m.at("instructions"));
  f.vector_instr = json_u64(v.at("instructions"));
  f.handoffs = json_u64(m.at("handoffs")) + json_u64(v.at("handoffs"));
  f.handoff_cycles = json_u64(m.at("handoff_cycles")) + json_u64(v.at("handoff_cycles"));
  const auto& b = s.at("bounds").as_object();
  f.binding = b.at("binding").as_string().c_str();
  f.binding_fraction = json_double(b.at("binding_fraction"));
  return f;
}

std::string sentence(const Facts& f, const json::object& s) {
  const auto& cp = s.at("critical_path").as_object();
  std::string out = f.name.empty() ? "" : f.name + ": ";
  out += fmt::format("{:.0f}% of the critical path is {}", 100 * f.top_share, describe_share(f.top, cp));
  out += fmt::format("; matrix unit busy {:.0f}% over {} matmul{} (MAC utilization {:.1f}%), vector unit busy {:.0f}% "
                     "over {} instruction{}",
                     100 * f.matrix_busy, f.matrix_instr, f.matrix_instr == 1 ? "" : "s", 100 * f.mac,
                     100 * f.vector_busy, f.vector_instr, f.vector_instr == 1 ? "" : "s");
  if (f.handoffs) {
    out += fmt::format("; {} matrix/vector hand-off{} cost {} cycles", f.handoffs, f.handoffs == 1 ? "" : "s",
                       f.handoff_cycles);
  }
  out += fmt::format("; tightest lower bound: {} ({:.0f}% of the run)", f.binding, 100 * f.binding_fraction);
  return out;
}

}  // namespace

std::string explain_run(const std::string& name, const json::object& s) { return sentence(facts_of(name, s), s); }

std::string explain_comparison(const std::vector<std::string>& names, const std::vector<json::object>& stats) {
  if (names.size() < 2) return names.empty() ? "" : explain_run(names[0], stats[0]);
  std::size_t fast = 0, slow = 0;
  for (std::size_t i = 1; i < stats.size(); ++i) {
    if (json_u64(stats[i].at("cycles")) < json_u64(stats[fast].at("cycles"))) fast = i;
    if (json_u64(stats[i].at("cycles")) > json_u64(stats[slow].at("cycles"))) slow = i;
  }
  const Facts a = facts_of(names[slow], stats[slow]), b = facts_of(names[fast], stats[fast]);
  std::string out = fmt::format("{} is {:.2f}x faster than {}.", b.name, a.cycles / b.cycles, a.name);
  // The contrasts that carry the difference, largest first.
  std::vector<std::string> why;
  if (a.vector_instr > b.vector_instr && a.vector_busy * a.cycles > b.vector_busy * b.cycles) {
    why.push_back(fmt::format("{} keeps the vector unit busy {:.1f}x longer ({} vs {} cycles, {} vs {} instructions)",
                              a.name, a.vector_busy * a.cycles / std::max(1.0, b.vector_busy * b.cycles),
                              static_cast<std::uint64_t>(a.vector_busy * a.cycles),
                              static_cast<std::uint64_t>(b.vector_busy * b.cycles), a.vector_instr, b.vector_instr));
  }
  if (b.mac > a.mac) {
    why.push_back(fmt::format("{} runs its work as {} matmuls at {:.1f}% MAC utilization, {} as {} at {:.1f}%", b.name,
                              b.matrix_instr, 100 * b.mac, a.name, a.matrix_instr, 100 * a.mac));
  }
  if (a.handoff_cycles > b.handoff_cycles) {
    why.push_back(fmt::format("{} pays {} cycles of matrix/vector hand-offs ({} instructions), {} pays {}", a.name,
                              a.handoff_cycles, a.handoffs, b.name, b.handoff_cycles));
  }
  if (a.run > 1) {
    why.push_back(fmt::format("{}'s critical path holds a chain of {} dependent {} instructions", a.name, a.run, a.top));
  }
  for (std::size_t i = 0; i < why.size(); ++i) out += (i == 0 ? " " : "; ") + why[i];
  if (!why.empty()) out += ".";
  out += " " + sentence(a, stats[slow]) + ". " + sentence(b, stats[fast]) + ".";
  return out;
}

}  // namespace npusim::sim
