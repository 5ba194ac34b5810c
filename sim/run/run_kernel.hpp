#pragma once
/// Running an inverse kernel: inputs (generated or from .npy), integer calibration, the program,
/// the simulation, and the accuracy against a double-precision exact inverse.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/inverse/inverse.hpp"
#include "kernels/inverse/reference.hpp"
#include "sim/run/resources.hpp"
#include "sim/run/run_program.hpp"

namespace npusim::sim {

/// A generated input and its exact inverse, computed once and shared by runs on the same
/// generator settings (a sweep's points reuse them).
struct GeneratedInput {
  kernels::MatrixBatch a, exact;
};

struct KernelRunOptions {
  std::string hw_path;
  std::vector<std::string> overrides;  ///< --set
  std::string kernel;
  kernels::InverseParams params;       ///< chunk 0: take it from the input file
  bool batch_given = false;            ///< --batch was given (an input file must agree)
  kernels::GdnInputParams generator;   ///< when there is no input file
  std::string input_path;              ///< A as .npy, (C, C) or (batch, C, C)
  std::optional<kernels::MatrixBatch> input;  ///< A given directly (programmatic runs)
  /// When set, A from the generator and its exact inverse come from this call (made after the
  /// run's checks, by generate_input() or from a cache of its results: a sweep's worker shares
  /// them between runs) instead of being made for this run; the stats describe the generator.
  std::function<std::shared_ptr<const GeneratedInput>(const KernelRunOptions&)> shared_input;
  bool numerics = true;
  bool progress = true;
  std::string vcd_path;          ///< --vcd
  std::uint64_t max_memory = 0;  ///< --max-memory; 0: half of the RAM
};

/// The most chunk matrices a run takes (--batch, an experiment's batch, an A file's batch).
inline constexpr std::uint32_t kMaxBatch = 1 << 20;

/// C and the batch of a run's A.
struct InputShape {
  std::uint32_t chunk = 0;
  std::uint32_t batch = 0;
};

struct KernelRun {
  ProgramRun run;
  kernels::InverseProgram built;  ///< its program is moved into run.program
  kernels::MatrixBatch a, exact;  ///< values empty in timing-only float runs (see kernel_input())
  std::optional<kernels::MatrixBatch> t;  ///< numerics only
  std::optional<kernels::Accuracy> accuracy;
  std::uint64_t input_saturations = 0;    ///< integer dtypes: A values clamped when stored
};

/// Reads A from a .npy file: float16/32/64, shape (C, C) or (batch, C, C), finite, strictly
/// lower-triangular. Throws InputError naming the file and the first offending element.
kernels::MatrixBatch read_input_matrices(const std::string& path);

/// C and the batch A will have (from the input file's header, without reading its data),
/// checked against --chunk and --batch. Without a file, `command` (the CLI's name for what
/// runs) needs --chunk.
InputShape kernel_input_shape(const KernelRunOptions& options, const std::string& command);

/// A for a run: options.input, else the input file, else the generator's batch of
/// params.batch chunks of params.chunk. `progress` gets the fraction generated. Timing-only
/// runs in a float dtype get the shape alone (no values): their cycles do not depend on A.
/// Integer dtypes still need A and its fp64 inverse, from which calibrate_int_scales()
/// derives the scales the program is built with.
kernels::MatrixBatch kernel_input(const KernelRunOptions& options, const std::string& command,
                                  const std::function<void(double)>& progress = {});

/// The memory a run of `kernel` with `params` (chunk and batch resolved) takes; builds a small
/// batch of it, so bad parameters are refused here, before any input exists.
MemoryEstimate estimate_kernel_run(const npu::NpuConfig& hw, const std::string& kernel, kernels::InverseParams params,
                                   bool numerics);

/// True when a run needs A's values and its exact inverse: numerics, or integer calibration.
bool needs_values(const KernelRunOptions& options);

/// The generator's A (params.chunk x params.batch, options.generator) and its exact inverse.
std::shared_ptr<const GeneratedInput> generate_input(const KernelRunOptions& options);

KernelRun run_kernel(const KernelRunOptions& options);
/// The same on a config already read (options.hw_path only labels the stats).
KernelRun run_kernel(npu::NpuConfig hw, const KernelRunOptions& options);

/// Writes T, dequantised, as float32 (batch, C, C).
void write_matrices(const std::string& path, const kernels::MatrixBatch& m);

}  // namespace npusim::sim
