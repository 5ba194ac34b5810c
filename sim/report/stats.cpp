#include "sim/report/stats.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <npusim_version.hpp>

#include "npu/common/text.hpp"
#include "sim/report/json.hpp"

namespace npusim::sim {
namespace json = boost::json;
using npu::Stall;
using npu::UnitCounters;

namespace {

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

/// Stall causes a unit can suffer, as stats keys: dependencies on each execution unit, then
/// the other causes.
json::object stall_object(const UnitCounters& u, const std::vector<std::string>& names) {
  json::object s;
  for (std::size_t p = npu::kMatrixUnit; p < names.size(); ++p) s["dep_" + names[p]] = u.dependency_cycles[p];
  for (int i = 0; i < npu::kStallCount; ++i) s[std::string(npu::stall_name(static_cast<Stall>(i)))] = u.stall_cycles[i];
  return s;
}

json::object unit_object(std::uint32_t unit, const UnitCounters& u, const std::vector<std::string>& names,
                         double unit_cycles) {
  json::object o;
  o["instructions"] = u.instructions;
  o["busy_cycles"] = u.busy_cycles;
  o["utilization"] = ratio(double(u.busy_cycles), unit_cycles);
  if (unit == npu::kMatrixUnit) {
    o["macs"] = u.macs;
    o["mac_utilization"] = ratio(u.peak_mac_cycles, unit_cycles);
  }
  if (unit == npu::kVectorUnit) {
    o["elements"] = u.elements;
    o["vectors"] = u.vectors;
    o["lane_utilization"] = ratio(double(u.elements), double(u.lane_slots));
  }
  if (unit == npu::kMatrixUnit || unit == npu::kVectorUnit) {
    o["handoffs"] = u.handoffs;
    o["handoff_bytes"] = u.handoff_bytes;
    o["handoff_cycles"] = u.handoff_cycles;
  }
  if (unit >= npu::kFirstDmaUnit) {
    o["dram_read_bytes"] = u.dram_read_bytes;
    o["dram_write_bytes"] = u.dram_write_bytes;
  }
  o["stalls"] = stall_object(u, names);
  return o;
}

json::object units_object(const std::vector<UnitCounters>& units, const std::vector<std::string>& names,
                          double unit_cycles) {
  json::object o;
  for (std::uint32_t u = 0; u < units.size(); ++u) o[names[u]] = unit_object(u, units[u], names, unit_cycles);
  return o;
}

}  // namespace

json::object make_stats(const npu::NpuConfig& hw, const npu::RunResult& result, const RunInfo& info) {
  const std::vector<std::string> names = npu::unit_names(hw.core);
  std::vector<UnitCounters> total(names.size());
  for (auto& t : total) t.dependency_cycles.assign(names.size(), 0);
  npu::NumericsCounters numerics;
  for (const auto& c : result.cores) {
    for (std::size_t u = 0; u < names.size(); ++u) total[u].add(c.units[u]);
    numerics.saturations += c.numerics.saturations;
    numerics.nonfinite += c.numerics.nonfinite;
  }
  const double cycles = double(result.cycles);

  json::object s;
  s["npusim"] = kVersion;
  s["hw"] = json::object{{"name", hw.name}, {"file", info.hw_file}, {"clock_hz", hw.clock_hz}, {"cores", hw.cores}};
  s["program"] = json::object{{"file", info.program_file}, {"instructions", result.instructions}};
  s["mode"] = info.numerics ? "numerics" : "timing-only";
  s["cycles"] = result.cycles;
  s["time_us"] = cycles / hw.clock_hz * 1e6;
  s["instructions"] = result.instructions;
  s["units"] = units_object(total, names, cycles * hw.cores);

  json::object stalls;
  for (std::size_t p = npu::kMatrixUnit; p < names.size(); ++p) {
    std::uint64_t sum = 0;
    for (const auto& u : total) sum += u.dependency_cycles[p];
    stalls["dep_" + names[p]] = sum;
  }
  for (int i = 0; i < npu::kStallCount; ++i) {
    std::uint64_t sum = 0;
    for (const auto& u : total) sum += u.stall_cycles[i];
    stalls[std::string(npu::stall_name(static_cast<Stall>(i)))] = sum;
  }
  s["stalls"] = std::move(stalls);

  json::object traffic;
  std::uint64_t rd = 0, wr = 0, rd_payload = 0, wr_payload = 0;
  json::object sp;
  for (std::size_t u = 0; u < names.size(); ++u) {
    rd += total[u].dram_read_bytes;
    wr += total[u].dram_write_bytes;
    rd_payload += total[u].dram_read_payload_bytes;
    wr_payload += total[u].dram_write_payload_bytes;
    if (u != npu::kSequencerUnit) {
      sp[names[u]] = json::object{{"read_bytes", total[u].sp_read_bytes}, {"write_bytes", total[u].sp_write_bytes}};
    }
  }
  traffic["dram_read_bytes"] = rd;
  traffic["dram_write_bytes"] = wr;
  traffic["dram_read_payload_bytes"] = rd_payload;
  traffic["dram_write_payload_bytes"] = wr_payload;
  traffic["dram_bandwidth_utilization"] = ratio(double(rd + wr), hw.dram.bytes_per_cycle * cycles);
  traffic["scratchpad"] = std::move(sp);
  s["traffic"] = std::move(traffic);

  const UnitCounters& mx = total[npu::kMatrixUnit];
  const UnitCounters& vx = total[npu::kVectorUnit];
  s["handoff"] = json::object{
      {"matrix_to_vector", json::object{{"count", vx.handoffs}, {"bytes", vx.handoff_bytes}, {"cycles", vx.handoff_cycles}}},
      {"vector_to_matrix", json::object{{"count", mx.handoffs}, {"bytes", mx.handoff_bytes}, {"cycles", mx.handoff_cycles}}}};
  s["numerics"] = json::object{{"saturations", numerics.saturations}, {"nonfinite", numerics.nonfinite}};

  if (hw.cores > 1) {
    json::array per_core;
    for (const auto& c : result.cores) {
      per_core.push_back(json::object{{"cycles", c.end}, {"units", units_object(c.units, names, cycles)}});
    }
    s["cores"] = std::move(per_core);
  }
  return s;
}

std::string format_summary(const json::object& s) {
  std::string o;
  const auto& hw = s.at("hw").as_object();
  const auto& prog = s.at("program").as_object();
  o += fmt::format("npusim: {} on {} ({} core{}, {})\n", prog.at("file").as_string().c_str(),
                   hw.at("name").as_string().c_str(), json_u64(hw.at("cores")), json_u64(hw.at("cores")) == 1 ? "" : "s",
                   s.at("mode").as_string().c_str());
  if (const auto* k = s.if_contains("kernel")) {
    o += fmt::format("  kernel: {} ({} chunk{})\n", k->as_object().at("summary").as_string().c_str(),
                     json_u64(k->as_object().at("batch")), json_u64(k->as_object().at("batch")) == 1 ? "" : "s");
  }
  o += fmt::format("  cycles {}  ({:.2f} us at {:.3g} GHz), {} instructions\n", grouped(json_u64(s.at("cycles"))),
                   json_double(s.at("time_us")), json_double(hw.at("clock_hz")) / 1e9,
                   grouped(json_u64(s.at("instructions"))));
  o += fmt::format("  {:<10} {:>9} {:>12} {:>7}  {}\n", "unit", "instr", "busy", "util", "");
  for (const auto& kv : s.at("units").as_object()) {
    const auto& u = kv.value().as_object();
    std::string note;
    if (u.contains("mac_utilization")) {
      note = fmt::format("MAC utilization {:.1f}%", 100 * json_double(u.at("mac_utilization")));
    }
    if (u.contains("lane_utilization")) {
      note = fmt::format("lane utilization {:.1f}%", 100 * json_double(u.at("lane_utilization")));
    }
    if (u.contains("handoff_cycles") && json_u64(u.at("handoff_cycles")) > 0) {
      note += fmt::format(", {} hand-off cycles", grouped(json_u64(u.at("handoff_cycles"))));
    }
    o += fmt::format("  {:<10} {:>9} {:>12} {:>6.1f}%  {}\n", std::string(kv.key()), grouped(json_u64(u.at("instructions"))),
                     grouped(json_u64(u.at("busy_cycles"))), 100 * json_double(u.at("utilization")), note);
  }
  std::vector<std::pair<std::uint64_t, std::string>> stalls;
  for (const auto& kv : s.at("stalls").as_object()) {
    if (json_u64(kv.value()) > 0) stalls.emplace_back(json_u64(kv.value()), std::string(kv.key()));
  }
  std::stable_sort(stalls.begin(), stalls.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string st;
  for (const auto& [n, k] : stalls) st += fmt::format("{}{} {}", st.empty() ? "" : ", ", k, grouped(n));
  o += fmt::format("  stalls (unit-cycles): {}\n", st.empty() ? "none" : st);
  const auto& t = s.at("traffic").as_object();
  o += fmt::format(
      "  DRAM: read {}, written {}; {:.1f}% of peak bandwidth\n", human_bytes(json_double(t.at("dram_read_bytes"))),
      human_bytes(json_double(t.at("dram_write_bytes"))), 100 * json_double(t.at("dram_bandwidth_utilization")));
  std::string sp;
  for (const auto& kv : t.at("scratchpad").as_object()) {
    const auto& u = kv.value().as_object();
    if (json_u64(u.at("read_bytes")) + json_u64(u.at("write_bytes")) == 0) continue;
    sp += fmt::format("{}{} r {} w {}", sp.empty() ? "" : "; ", std::string(kv.key()),
                      human_bytes(json_double(u.at("read_bytes"))), human_bytes(json_double(u.at("write_bytes"))));
  }
  o += fmt::format("  scratchpad: {}\n", sp.empty() ? "no traffic" : sp);
  const auto& h = s.at("handoff").as_object();
  const auto& m2v = h.at("matrix_to_vector").as_object();
  const auto& v2m = h.at("vector_to_matrix").as_object();
  o += fmt::format("  hand-offs: matrix->vector {} ({} cycles), vector->matrix {} ({} cycles)\n",
                   grouped(json_u64(m2v.at("count"))), grouped(json_u64(m2v.at("cycles"))), grouped(json_u64(v2m.at("count"))),
                   grouped(json_u64(v2m.at("cycles"))));
  if (const auto* a = s.if_contains("accuracy"); a && a->is_object() && a->as_object().at("undefined_reason").is_string()) {
    const auto& acc = a->as_object();
    o += fmt::format("  accuracy vs fp64: no figures: {}; {} non-finite, {} saturations\n",
                     acc.at("undefined_reason").as_string().c_str(), grouped(json_u64(acc.at("nonfinite"))),
                     grouped(json_u64(acc.at("saturations"))));
  } else if (a && a->is_object()) {
    const auto& acc = a->as_object();
    const auto& snr = acc.at("snr_db").as_object();
    const auto& rel = acc.at("rel_fro_error").as_object();
    o += fmt::format(
        "  accuracy vs fp64: SNR {} dB mean, {} dB worst; relative error {} worst; max abs error {}; {} "
        "non-finite, {} saturations\n",
        json_number_or_na(snr.at("mean"), "{:.1f}"), json_number_or_na(snr.at("worst"), "{:.1f}"),
        json_number_or_na(rel.at("worst"), "{:.3g}"), json_number_or_na(acc.at("max_abs_error"), "{:.3g}"),
        grouped(json_u64(acc.at("nonfinite"))), grouped(json_u64(acc.at("saturations"))));
  }
  if (s.at("mode").as_string() == "numerics") {
    const auto& n = s.at("numerics").as_object();
    o += fmt::format("  numerics: {} saturations, {} non-finite results\n", grouped(json_u64(n.at("saturations"))),
                     grouped(json_u64(n.at("nonfinite"))));
  }
  return o;
}

const std::vector<StatDoc>& stat_docs() {
  static const std::vector<StatDoc> docs = {
      {"npusim", "", "version of npusim that wrote the file"},
      {"hw.name", "", "name of the hardware preset"},
      {"hw.file", "", "hardware spec file as given"},
      {"hw.clock_hz", "Hz", "core clock"},
      {"hw.cores", "", "number of cores"},
      {"program.file", "", "program file (or kernel name)"},
      {"program.instructions", "instructions", "instructions in the program, all cores"},
      {"mode", "", "'numerics' or 'timing-only'"},
      {"cycles", "cycles", "from the first issue to the last completion on any core"},
      {"time_us", "us", "cycles / clock"},
      {"instructions", "instructions", "instructions executed, all cores"},
      {"units.<unit>.instructions", "instructions", "instructions the unit executed (the sequencer issues all of them)"},
      {"units.<unit>.busy_cycles", "cycles", "cycles the unit was occupied (summed over cores)"},
      {"units.<unit>.utilization", "fraction", "busy_cycles / (cycles x cores)"},
      {"units.matrix.macs", "MACs", "useful multiply-accumulates (M x K x N per matmul)"},
      {"units.matrix.mac_utilization", "fraction", "useful MACs / (peak MACs per cycle for the dtype x cycles x cores)"},
      {"units.vector.elements", "elements", "useful element operations"},
      {"units.vector.vectors", "vectors", "vector issues"},
      {"units.vector.lane_utilization", "fraction", "elements / (vectors x lanes): lanes left idle by short rows"},
      {"units.<unit>.handoffs", "instructions", "matrix/vector instructions that read the other unit's layout"},
      {"units.<unit>.handoff_bytes", "bytes", "bytes converted by those hand-offs"},
      {"units.<unit>.handoff_cycles", "cycles", "cycles the hand-offs added to busy_cycles"},
      {"units.<unit>.dram_read_bytes", "bytes", "DMA queue: burst-rounded bytes read from DRAM"},
      {"units.<unit>.dram_write_bytes", "bytes", "DMA queue: burst-rounded bytes written to DRAM"},
      {"units.<unit>.stalls.<cause>", "cycles", "cycles this unit lost to <cause> (see stalls.<cause>)"},
      {"stalls.dep_<unit>", "cycles", "execution units waiting, queue head ready, for a producer running on <unit>"},
      {"stalls.issue", "cycles", "execution units idle with an empty queue while more work for them was still to come"},
      {"stalls.queue_full", "cycles", "the sequencer blocked because the target unit's queue was full"},
      {"stalls.barrier", "cycles", "the sequencer waiting at barrier for earlier instructions"},
      {"stalls.sync", "cycles", "the sequencer in signal (draining) or wait (flag not yet raised)"},
      {"stalls.bank_conflict", "cycles", "cycles bank conflicts added to matrix and vector instructions"},
      {"stalls.dram_bandwidth", "cycles", "cycles DMA transfers lost to other transfers sharing DRAM bandwidth"},
      {"traffic.dram_read_bytes", "bytes", "bytes read from DRAM, rounded up to whole bursts"},
      {"traffic.dram_write_bytes", "bytes", "bytes written to DRAM, rounded up to whole bursts"},
      {"traffic.dram_read_payload_bytes", "bytes", "bytes the program asked DRAM for"},
      {"traffic.dram_write_payload_bytes", "bytes", "bytes the program wrote to DRAM"},
      {"traffic.dram_bandwidth_utilization", "fraction", "(read + write bytes) / (DRAM bytes per cycle x cycles)"},
      {"traffic.scratchpad.<unit>.read_bytes", "bytes", "scratchpad bytes the unit read"},
      {"traffic.scratchpad.<unit>.write_bytes", "bytes", "scratchpad bytes the unit wrote"},
      {"handoff.matrix_to_vector.count", "instructions", "vector instructions that read matrix-layout data"},
      {"handoff.matrix_to_vector.bytes", "bytes", "bytes they converted"},
      {"handoff.matrix_to_vector.cycles", "cycles", "cycles the conversion cost"},
      {"handoff.vector_to_matrix.count", "instructions", "matmuls that read vector-layout data"},
      {"handoff.vector_to_matrix.bytes", "bytes", "bytes they converted"},
      {"handoff.vector_to_matrix.cycles", "cycles", "cycles the conversion cost"},
      {"numerics.saturations", "values", "integer results clamped to their dtype (0 in timing-only mode)"},
      {"numerics.nonfinite", "values", "float results that were inf or NaN (0 in timing-only mode)"},
      {"bounds.matrix", "cycles", "lower bound: useful MACs / peak MACs per cycle (busiest core)"},
      {"bounds.vector", "cycles", "lower bound: elements / lanes x each op's interval (busiest core)"},
      {"bounds.memory", "cycles", "lower bound: DRAM bytes / DRAM bandwidth"},
      {"bounds.issue", "cycles", "lower bound: instructions x issue cycles (busiest core)"},
      {"bounds.dependency", "cycles", "lower bound: longest chain of dependent instructions at their unloaded cost"},
      {"bounds.binding", "", "the largest bound: matrix, vector, memory, issue or dependency"},
      {"bounds.binding_cycles", "cycles", "its value"},
      {"bounds.binding_fraction", "fraction", "binding_cycles / cycles: how close the run comes to its bound"},
      {"critical_path.cycles", "cycles", "length of the critical path (equals cycles)"},
      {"critical_path.instructions", "instructions", "instructions on it"},
      {"critical_path.by_unit.<unit>", "cycles", "path time executing on the unit (busy and pipeline latency)"},
      {"critical_path.by_cause.<cause>", "cycles", "path time lost to issue, barrier, sync, handoff, bank_conflict, dram_bandwidth"},
      {"critical_path.instructions_by_unit.<unit>", "instructions", "path instructions per unit"},
      {"critical_path.edges.<kind>", "edges", "why each path instruction waited: dependency, unit, issue, queue_full, barrier"},
      {"critical_path.longest_dependent_run.unit", "", "unit of the longest run of path instructions linked by dependencies"},
      {"critical_path.longest_dependent_run.instructions", "instructions", "its length"},
      {"explanation", "", "a generated sentence on what bounds the run, from the figures above"},
      {"kernel.name", "", "kernel runs: the inverse kernel"},
      {"kernel.summary", "", "kernel runs: what it computed and how (order, steps, blocks)"},
      {"kernel.chunk", "", "kernel runs: chunk size C"},
      {"kernel.dtype", "", "kernel runs: dtype of A, T and the computation"},
      {"kernel.batch", "matrices", "kernel runs: chunk matrices inverted"},
      {"kernel.order", "", "neumann: series order N (0 where it does not apply)"},
      {"kernel.steps", "", "neumann: residual terms S; newton_schulz: iterations"},
      {"kernel.sum", "", "neumann: doubling or horner"},
      {"kernel.mask", "", "neumann: band, or none for the unmasked ablation (empty for other kernels)"},
      {"kernel.interleave", "chunks", "chunks computed together per core after fitting the scratchpad"},
      {"kernel.input", "", "where A came from: {generator, seed, correlation} or {file}"},
      {"kernel.int_scales", "", "integer dtypes: the power-of-two scales {a, t, e, p} (null for floats)"},
      {"accuracy.rel_fro_error.worst", "", "max over the batch of ||T - T_exact||_F / ||T_exact||_F"},
      {"accuracy.rel_fro_error.mean", "", "mean over the batch of the same"},
      {"accuracy.max_abs_error", "", "max |T - T_exact| over every entry"},
      {"accuracy.snr_db.mean", "dB", "mean over the batch of 10 log10(||T_exact||^2 / ||T - T_exact||^2)"},
      {"accuracy.snr_db.worst", "dB", "lowest per-chunk SNR"},
      {"accuracy.nonfinite", "values", "entries of T that are inf or NaN (the error figures are then null)"},
      {"accuracy.saturations", "values", "integer clamps: storing A plus every instruction's (numerics.saturations)"},
      {"accuracy.exact", "", "every entry equals the fp64 reference"},
      {"accuracy.undefined_reason", "", "why the error figures are null (T or the fp64 reference not finite), else null"},
      {"cores[i].cycles", "cycles", "multi-core only: last completion on core i"},
      {"cores[i].units.<unit>.*", "", "multi-core only: the units object of core i"},
  };
  return docs;
}

}  // namespace npusim::sim
