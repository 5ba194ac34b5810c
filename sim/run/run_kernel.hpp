#pragma once
/// Running an inverse kernel: inputs (generated or from .npy), integer calibration, the program,
/// the simulation, and the accuracy against a double-precision exact inverse.
#include <optional>
#include <string>
#include <vector>

#include "kernels/inverse/inverse.hpp"
#include "kernels/inverse/reference.hpp"
#include "sim/run/run_program.hpp"

namespace npusim::sim {

struct KernelRunOptions {
  std::string hw_path;
  std::vector<std::string> overrides;  ///< --set
  std::string kernel;
  kernels::InverseParams params;       ///< chunk 0: take it from the input file
  bool batch_given = false;            ///< --batch was given (an input file must agree)
  kernels::GdnInputParams generator;   ///< when there is no input file
  std::string input_path;              ///< A as .npy, (C, C) or (batch, C, C)
  std::optional<kernels::MatrixBatch> input;  ///< A given directly (programmatic runs)
  bool numerics = true;
  bool progress = true;
  std::string vcd_path;  ///< --vcd
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

/// A for a run: options.input, else the input file, else the generator's batch of
/// params.batch chunks of params.chunk. Without a file, `command` (the CLI's name for what
/// runs) needs --chunk. Timing-only runs in a float dtype get the shape alone (no values):
/// their cycles do not depend on A. Integer dtypes still need A and its fp64 inverse, from
/// which calibrate_int_scales() derives the scales the program is built with.
kernels::MatrixBatch kernel_input(const KernelRunOptions& options, const std::string& command);

KernelRun run_kernel(const KernelRunOptions& options);
/// The same on a config already read (options.hw_path only labels the stats).
KernelRun run_kernel(npu::NpuConfig hw, const KernelRunOptions& options);

/// Writes T, dequantised, as float32 (batch, C, C).
void write_matrices(const std::string& path, const kernels::MatrixBatch& m);

}  // namespace npusim::sim
