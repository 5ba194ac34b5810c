#pragma once
/// The stats of a run: typed structs (RunStats) that the summary, comparisons and explanations
/// read, and a registry (stat_registry()) in which every stats key is registered once, with its
/// unit, its description and its value. The registry writes stats.json (keys in its order),
/// reads it back, and is README.md's table of keys (tests/unit/test_docs.cpp checks that the
/// table is the registry). Derived values (utilizations) are computed here, at dump time, from
/// the plain counters the model kept.
#include <boost/json.hpp>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "npu/isa/program.hpp"
#include "npu/top/simulate.hpp"

namespace npusim::sim {

/// Named counts in a fixed order (stall causes, path time by unit, ...).
using Counts = std::vector<std::pair<std::string, std::uint64_t>>;

/// The count called `name`, 0 if there is none.
std::uint64_t count_of(const Counts& c, const std::string& name);

/// One unit (sequencer, matrix, vector, dma0, ...): counters summed over cores.
struct UnitStats {
  std::string name;
  std::uint64_t instructions = 0;
  Cycle busy_cycles = 0;
  double utilization = 0;                       ///< busy_cycles / (cycles x cores)
  std::optional<std::uint64_t> macs;            ///< matrix unit
  std::optional<double> mac_utilization;        ///< matrix unit
  std::optional<std::uint64_t> elements;        ///< vector unit
  std::optional<std::uint64_t> vectors;         ///< vector unit
  std::optional<double> lane_utilization;       ///< vector unit
  std::optional<std::uint64_t> handoffs;        ///< matrix and vector units
  std::optional<std::uint64_t> handoff_bytes;   ///< matrix and vector units
  std::optional<Cycle> handoff_cycles;          ///< matrix and vector units
  std::optional<std::uint64_t> dram_read_bytes;   ///< DMA queues
  std::optional<std::uint64_t> dram_write_bytes;  ///< DMA queues
  Counts stalls;                                ///< dep_<unit>, then every npu::Stall cause
};

struct ScratchpadTraffic {
  std::string unit;
  std::uint64_t read_bytes = 0;
  std::uint64_t write_bytes = 0;
};

struct HandoffCounts {
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  Cycle cycles = 0;
};

/// Lower bounds on the run (sim/report/analysis.hpp computes them).
struct BoundsStats {
  Cycle matrix = 0, vector = 0, memory = 0, issue = 0, dependency = 0;
  std::string binding;
  Cycle binding_cycles = 0;
  double binding_fraction = 0;
};

/// The critical path's totals (sim/report/analysis.hpp walks it).
struct CriticalPathStats {
  Cycle cycles = 0;
  std::uint64_t instructions = 0;
  Counts by_unit, by_cause, instructions_by_unit, edges;
  std::string longest_run_unit;
  std::uint64_t longest_run = 0;
};

/// What an inverse kernel run computed (sim/run/run_kernel.cpp).
struct KernelStats {
  std::string name, summary, dtype, sum, mask;
  std::uint64_t chunk = 0, batch = 0, order = 0, steps = 0, interleave = 0;
  boost::json::value input;       ///< {generator, seed, correlation}, {file} or {given}
  boost::json::value int_scales;  ///< {a, t, e, p}, or null for float dtypes
};

/// Accuracy of a kernel run against the fp64 inverse; the error figures are absent (null in
/// JSON) when undefined, and undefined_reason says why.
struct AccuracyStats {
  std::optional<double> rel_fro_error_worst, rel_fro_error_mean, max_abs_error, snr_db_mean, snr_db_worst;
  std::uint64_t nonfinite = 0;
  std::uint64_t saturations = 0;
  bool exact = false;
  std::optional<std::string> undefined_reason;
};

struct CoreStats {
  Cycle cycles = 0;
  std::vector<UnitStats> units;
};

/// Everything a run reports.
struct RunStats {
  std::string npusim;  ///< version that wrote it
  std::string hw_name, hw_file;
  double clock_hz = 0;
  std::uint64_t hw_cores = 1;
  std::string program_file;
  std::uint64_t program_instructions = 0;
  std::string mode;  ///< "numerics" or "timing-only"
  Cycle cycles = 0;
  double time_us = 0;
  std::uint64_t instructions = 0;
  std::vector<UnitStats> units;
  Counts stalls;
  std::uint64_t dram_read_bytes = 0, dram_write_bytes = 0, dram_read_payload_bytes = 0, dram_write_payload_bytes = 0;
  double dram_bandwidth_utilization = 0;
  std::vector<ScratchpadTraffic> scratchpad;
  HandoffCounts matrix_to_vector, vector_to_matrix;
  std::uint64_t saturations = 0, nonfinite = 0;
  std::optional<BoundsStats> bounds;                ///< after analysis
  std::optional<CriticalPathStats> critical_path;   ///< after analysis
  std::optional<std::string> explanation;           ///< after analysis
  std::optional<KernelStats> kernel;                ///< kernel runs
  std::optional<AccuracyStats> accuracy;            ///< kernel runs with numerics (null otherwise)
  std::vector<CoreStats> cores;                     ///< multi-core runs

  /// The unit called `name` (NPUSIM_ASSERT that it exists).
  const UnitStats& unit(const std::string& name) const;
};

/// Where a run came from, for the stats header.
struct RunInfo {
  std::string hw_file;
  std::string program_file;
  bool numerics = true;
};

/// The counters of a run as stats (no analysis yet). Identical inputs give identical stats (no
/// host times inside).
RunStats run_stats(const npu::NpuConfig& hw, const npu::RunResult& result, const RunInfo& info);

/// One registered stats key: `<unit>` stands for a unit name (sequencer, matrix, vector, dma0,
/// ...), `<cause>` for a stall cause, `<kind>` for an edge kind, `[i]` for a core.
struct StatDef {
  std::string key;
  std::string unit;
  std::string description;
  /// Adds the key's value(s) in `stats` to the stats object.
  std::function<void(const RunStats& stats, boost::json::object& out)> put;
  /// Reads them back from a stats object (absent keys leave the default).
  std::function<void(const boost::json::object& in, RunStats& stats)> get;
};

/// Every stats key, in the order of stats.json and of README.md's table.
const std::vector<StatDef>& stat_registry();

/// The stats object (stats.json), made by the registry.
boost::json::object stats_json(const RunStats& s);
/// A stats object read back into the structs (what the registry knows; other keys ignored).
RunStats stats_from_json(const boost::json::object& j);

/// run_stats() as a stats object.
boost::json::object make_stats(const npu::NpuConfig& hw, const npu::RunResult& result, const RunInfo& info);

/// A human-readable summary of a run.
std::string format_summary(const RunStats& s);
/// The same of a stats object (stats_from_json()).
std::string format_summary(const boost::json::object& stats);

/// README.md's table of stats keys, made from the registry: "| `key` | unit | description |".
std::string stat_table();

}  // namespace npusim::sim
