#pragma once
/// Running a `.npuasm` program file on a hardware spec file and writing the results.
#include <boost/json.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "npu/isa/program.hpp"
#include "npu/top/simulate.hpp"
#include "sim/report/stats.hpp"

namespace npusim::sim {

class OutputPlan;
class Progress;

struct RunOptions {
  std::string hw_path;
  std::vector<std::string> overrides;           ///< --set KEY=VALUE
  std::string program_path;
  std::map<std::string, std::string> inputs;    ///< --input TENSOR=FILE.npy
  bool numerics = true;                         ///< false: --timing-only
  bool progress = true;                         ///< progress on stderr for long runs
  std::string vcd_path;                         ///< --vcd
  std::uint64_t max_memory = 0;                 ///< --max-memory; 0: half of the RAM
  /// Called with the checked program before anything is simulated (to check and clear outputs).
  std::function<void(const npu::Program&)> before_simulation;
};

struct ProgramRun {
  npu::NpuConfig hw;
  npu::Program program;
  npu::RunResult result;
  std::vector<std::uint8_t> dram;  ///< final DRAM image (numerics only)
  RunStats figures;                ///< what the summary, comparisons and explanations read
  boost::json::object stats;       ///< the same as stats.json (stats_json(figures))
};

/// Reads and checks a program file against `hw`. Throws InputError.
npu::Program load_program(const std::string& path, const npu::NpuConfig& hw);

/// Simulates a checked program and makes the stats. With `numerics`, `dram` is the initial DRAM
/// image (build_dram_image()); without, it is ignored and only timing is simulated. A program
/// that could run longer than npusim represents is refused (check_run_length()). `progress`,
/// when set, reports the simulation as a step.
ProgramRun simulate_program(npu::NpuConfig hw, npu::Program program, bool numerics, std::vector<std::uint8_t> dram,
                            const std::string& hw_label, Progress* progress, const std::string& vcd_path = "");

/// Reads everything named in `options` and runs it.
ProgramRun run_program(const RunOptions& options);

/// Writes stats.json, config.yaml (resolved), program.npuasm and, when `tensors`, every `output`
/// tensor as TENSOR.npy into `dir`, each atomically. Returns the paths written.
std::vector<std::string> write_outputs(const ProgramRun& run, const std::string& dir, bool tensors = true);

/// Adds `dir` and the files write_outputs() writes there (but the tensors) to `plan`.
void plan_outputs(OutputPlan& plan, const std::string& dir);
/// Adds the TENSOR.npy files of `program`'s output tensors in `dir` to `plan`.
void plan_tensor_outputs(OutputPlan& plan, const std::string& dir, const npu::Program& program);

/// Writes a text file atomically; InputError if it cannot.
void write_text_file(const std::string& path, const std::string& text);

/// Creates a directory and its parents; InputError if it cannot.
void make_directory(const std::string& dir);

}  // namespace npusim::sim
