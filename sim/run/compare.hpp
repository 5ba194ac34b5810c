#pragma once
/// Side-by-side runs of several inverse kernels on the same inputs, and experiments: sweeps of
/// comparisons over chunk sizes and dtypes described in YAML (configs/experiments/).
#include <boost/json.hpp>
#include <functional>
#include <string>
#include <vector>

#include "sim/config/yaml_reader.hpp"
#include "sim/run/run_kernel.hpp"

namespace npusim::sim {

struct CompareOptions {
  KernelRunOptions run;              ///< everything but the kernel name
  std::vector<std::string> kernels;  ///< the first is the baseline of the speedups
};

struct Comparison {
  std::vector<std::string> names;  ///< the kernels, the baseline first
  std::vector<KernelRun> runs;     ///< in the same order
  std::vector<double> speedup;     ///< baseline cycles / each kernel's cycles
  std::string explanation;
  boost::json::object json;  ///< compare.json: {hw, chunk, dtype, batch, kernels: [...], speedup, explanation}
};

/// The memory comparing `options.kernels` takes; builds a small batch of each, so bad
/// parameters are refused here (InputError). `command` names what needs --chunk.
MemoryEstimate estimate_comparison(const npu::NpuConfig& hw, const CompareOptions& options, const std::string& command);

/// Runs every kernel on the same A (generated once, or read once from the input file); refuses
/// a comparison that would need more memory than options.run.max_memory.
Comparison compare_kernels(const npu::NpuConfig& hw, const CompareOptions& options);

/// The comparison as a readable table, with the explanation.
std::string format_comparison(const Comparison& comparison);

/// Writes compare.json, compare.md and every kernel's own outputs (DIR/KERNEL/) into `dir`.
std::vector<std::string> write_comparison(const Comparison& c, const std::string& dir);
/// Adds what write_comparison() writes into `dir` for `kernels` to `plan`, with DIR/KERNEL/trace.json
/// when `traces`.
void plan_comparison(OutputPlan& plan, const std::string& dir, const std::vector<std::string>& kernels, bool traces);

/// An experiment (configs/experiments/*.yaml): the same comparison over chunk sizes and dtypes,
/// with published figures to set the simulated ones against.
struct Experiment {
  std::string name, description, file;
  std::string hw_path;
  std::vector<std::string> overrides;
  std::vector<std::string> override_origins;  ///< FILE:LINE:COL of each override, for messages
  std::vector<std::string> kernels;
  std::vector<std::uint32_t> chunks;
  std::vector<npu::DType> dtypes;
  std::uint32_t batch = 32;
  std::uint64_t seed = 1;
  double correlation = 0.5;
  std::uint32_t interleave = 2;
  std::vector<std::pair<std::uint32_t, double>> reported_speedup;  ///< by chunk
  std::string reported_source;
  std::uint64_t max_memory = 0;  ///< not from the file: --max-memory (0: half of the RAM)
};

/// Reads an experiment (strict YAML, paths relative to the file). `keys`, when given, receives
/// every key the reader knows (for the documentation test).
Experiment read_experiment(const std::string& path, std::vector<KeyDoc>* keys = nullptr);

/// Runs it; returns {experiment, rows: [...]} and writes results.json, results.csv, results.md
/// and each comparison into `dir` (when not empty). `progress`, when set, is called with the
/// fraction of comparisons done after each one.
boost::json::object run_experiment(const Experiment& e, const std::string& dir, bool numerics,
                                   std::vector<std::string>* written,
                                   const std::function<void(double)>& progress = {});

/// Adds what run_experiment() writes into `dir` to `plan`.
void plan_experiment(OutputPlan& plan, const Experiment& e, const std::string& dir);

/// The experiment's results as a readable table.
std::string format_experiment(const boost::json::object& results);

}  // namespace npusim::sim
