#pragma once
/// The stats of a run: one JSON object with stable keys (documented in README.md, listed by
/// stat_docs()), and a readable summary. Derived values (utilizations) are computed here, at
/// dump time, from the plain counters the model kept.
#include <boost/json.hpp>
#include <string>
#include <vector>

#include "npu/isa/program.hpp"
#include "npu/top/simulate.hpp"

namespace npusim::sim {

/// Where a run came from, for the stats header.
struct RunInfo {
  std::string hw_file;
  std::string program_file;
  bool numerics = true;
};

/// Builds the stats object. Identical inputs give identical objects (no host times inside).
boost::json::object make_stats(const npu::NpuConfig& hw, const npu::RunResult& result, const RunInfo& info);

/// A human-readable summary of a stats object.
std::string format_summary(const boost::json::object& stats);

/// One documented stats key. `<unit>` stands for a unit name (sequencer, matrix, vector, dma0,
/// ...), `<cause>` for a stall cause.
struct StatDoc {
  std::string key;
  std::string unit;
  std::string description;
};
const std::vector<StatDoc>& stat_docs();

}  // namespace npusim::sim
