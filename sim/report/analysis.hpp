#pragma once
/// Why a run took the cycles it took: lower bounds from the config and the work, the critical
/// path through the executed instruction graph, and a short explanation built from both.
#include <boost/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "npu/isa/program.hpp"
#include "npu/top/simulate.hpp"
#include "sim/report/stats.hpp"

namespace npusim::sim {

/// Lower bounds on the run's cycles, each computed from the work and the config alone.
struct Bounds {
  Cycle matrix = 0;      ///< useful MACs / peak MACs per cycle (busiest core)
  Cycle vector = 0;      ///< sum of elements / lanes x the op's interval (busiest core)
  Cycle memory = 0;      ///< DRAM bytes (burst-rounded) / DRAM bandwidth (all cores share it)
  Cycle issue = 0;       ///< instructions x issue cycles (busiest core)
  Cycle dependency = 0;  ///< longest chain of dependent instructions, each at its unloaded cost
  std::string binding;   ///< the largest of them
  Cycle binding_cycles = 0;
};

/// The critical path: the chain of events that ends at the last completion, walked backwards.
/// Its time adds up to the run's cycles: execution on units, and the causes that stretched it.
struct CriticalPath {
  Cycle cycles = 0;
  std::uint64_t instructions = 0;
  std::map<std::string, Cycle> by_unit;   ///< unit execution on the path (busy and pipeline latency)
  std::map<std::string, Cycle> by_cause;  ///< issue, barrier, sync, handoff, bank_conflict, dram_bandwidth
  std::map<std::string, std::uint64_t> edges;  ///< predecessor kinds along the path
  std::map<std::string, std::uint64_t> instructions_by_unit;
  std::string longest_run_unit;           ///< longest run of path instructions linked by dependencies
  std::uint64_t longest_run = 0;          ///< on one unit
};

Bounds compute_bounds(const npu::NpuConfig& hw, const npu::Program& p, const npu::RunResult& r);
CriticalPath critical_path(const npu::NpuConfig& hw, const npu::Program& p, const npu::RunResult& r);

/// The bounds and the critical path as the stats report them.
BoundsStats bounds_stats(const Bounds& b, Cycle cycles);
CriticalPathStats critical_path_stats(const CriticalPath& c);

/// Adds bounds, the critical path and the explanation to a run's stats.
void add_analysis(RunStats& stats, const npu::NpuConfig& hw, const npu::Program& p, const npu::RunResult& r);
/// The same on a stats object (its `bounds`, `critical_path` and `explanation` keys).
void add_analysis(boost::json::object& stats, const npu::NpuConfig& hw, const npu::Program& p,
                  const npu::RunResult& r);

/// One or two sentences on what bounds a run, from its stats (with analysis).
std::string explain_run(const std::string& name, const RunStats& stats);

/// Why the fastest of several runs is faster than the others (stats in the same order as names).
std::string explain_comparison(const std::vector<std::string>& names, const std::vector<const RunStats*>& stats);

}  // namespace npusim::sim
