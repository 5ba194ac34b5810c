#pragma once
/// Running a whole Gated DeltaNet layer: every stage program (kernels/gdn) in turn, with the
/// tensors passed from stage to stage through the runner in numerics mode, the fp64 reference
/// and the accuracy of the core and layer outputs, integer calibration, per-stage and layer
/// stats, and the comparison of two inverse kernels in the same layer.
#include <boost/json.hpp>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/gdn/layer.hpp"
#include "kernels/gdn/reference.hpp"
#include "npu/top/simulate.hpp"

namespace npusim::sim {

struct LayerRunOptions {
  std::string hw_path;                 ///< labels the stats
  std::string model_path;              ///< labels the stats
  kernels::LayerParams params;         ///< params.inverse is replaced by each of `inverses`
  std::vector<std::string> inverses;   ///< one kernel, or two to compare (the first is the baseline)
  std::uint64_t seed = 1;              ///< parameters and x
  std::string input_dir;               ///< q, k, v, g, beta .npy: the core stages only
  /// q, k, v, g, beta given directly (programmatic runs): the core stages only. Rows are the
  /// padded tokens, as read_core_inputs() gives them.
  std::optional<kernels::LayerTensors> core_inputs;
  bool numerics = true;
  bool progress = true;
  bool keep_records = false;           ///< keep every stage's instruction records (for a trace)
  std::uint64_t max_memory = 0;        ///< --max-memory (0: half of the RAM)
};

/// One stage as it ran.
struct StageRun {
  kernels::Stage stage = kernels::Stage::in_proj;
  std::string summary;
  npu::Program program;     ///< kept only with keep_records
  npu::RunResult result;    ///< instruction records only with keep_records
  boost::json::object stats;
};

struct LayerRun {
  std::string inverse;
  std::vector<std::shared_ptr<const StageRun>> stages;  ///< stages that do not depend on the kernel are shared
  boost::json::object stats;
  std::optional<kernels::Mat> o, y;  ///< numerics: the core output and the layer output, [tokens, value_dim]
};

struct LayerResult {
  std::vector<LayerRun> runs;
  boost::json::object json;  ///< one run: its stats; two: {layer, runs, layer_reduction, ...}
};

/// Whether the run covers the core stages only (inputs from files or given).
inline bool core_only(const LayerRunOptions& o) { return !o.input_dir.empty() || o.core_inputs.has_value(); }

/// Checks the options that do not need the hardware (sequence length, chunk, kernels).
void check_layer_options(const LayerRunOptions& o);

/// Runs the layer once per inverse kernel. Throws InputError on bad options or inputs.
LayerResult run_layer(const npu::NpuConfig& hw, const LayerRunOptions& o);

/// The largest sequence npusim accepts (Qwen3.5's max_position_embeddings, 262144).
inline constexpr std::uint32_t kMaxSeq = 262144;

/// Reads q.npy, k.npy, v.npy, g.npy and beta.npy from `dir` for the model's shapes (tokens x
/// key heads x dk, tokens x value heads x dv, tokens x value heads), float, finite, g <= 0 and
/// beta in [0, 1]; rows padded to whole chunks. Returns the tokens in the files.
std::uint32_t read_core_inputs(const std::string& dir, const kernels::LayerShape& s, kernels::LayerTensors& out);
/// The number of tokens in `dir`/q.npy (to size the layer before reading everything).
std::uint32_t core_input_tokens(const std::string& dir);

/// The readable report: the stage table, units, stalls, traffic, accuracy; for two kernels both
/// and the layer reduction.
std::string format_layer(const boost::json::object& json);

/// Writes stats.json (or compare.json and one directory per kernel), config.yaml, model.yaml and,
/// in numerics mode, o.npy and y.npy into `dir`. Returns the paths written.
std::vector<std::string> write_layer_outputs(const LayerResult& r, const npu::NpuConfig& hw,
                                             const kernels::GdnModel& model, const std::string& dir);

/// Writes the core output [seq, value heads, dv] as float32.
void write_core_output(const std::string& path, const kernels::Mat& o, const kernels::LayerShape& s);

/// What `npusim layer` does with a run besides running it.
struct LayerCommand {
  std::vector<std::string> sets;  ///< --set overrides of the spec
  bool seq_given = false;         ///< --seq was given (it must then match --input-dir's files)
  std::string out_dir, trace, dump_output;
  bool json = false, quiet = false;
};

/// `npusim layer` after its options are parsed: reads the spec and the model (options.hw_path,
/// options.model_path), sizes core inputs from --input-dir, runs, writes the outputs and prints
/// the report (or the JSON). Returns the exit code; bad inputs throw InputError.
int run_layer_command(LayerRunOptions options, const LayerCommand& c, std::ostream& out);

/// Writes one trace holding every stage of every run, one after another.
void write_layer_trace(const std::string& path, const npu::NpuConfig& hw, const LayerResult& r);

}  // namespace npusim::sim
