#pragma once
/// Running a program on an NPU model: elaborates a fresh SystemC context, runs it to the end
/// and returns everything that was measured. No files are touched here.
#include <functional>
#include <vector>

#include "npu/core/core_state.hpp"

namespace npusim::npu {

struct SimOptions {
  bool numerics = true;  ///< false: timing only (identical cycles, no values)
  /// Called now and then with the fraction of instructions issued so far (for progress bars).
  std::function<void(double)> progress;
  /// When set, a VCD file of every unit's busy signal, queue depth and the sequencers' blocked
  /// signals (SystemC tracing; one time unit is one cycle).
  std::string vcd_path;
};

/// What one hardware thread did: its instructions' timeline.
struct ThreadResult : Timeline {
  Cycle end = 0;  ///< last completion of the thread
};

/// What one core did.
struct CoreResult {
  std::vector<UnitCounters> units;     ///< per unit index, all threads
  std::vector<ThreadResult> threads;   ///< per hardware thread
  NumericsCounters numerics;
  Cycle end = 0;  ///< last completion on this core
};

struct RunResult {
  Cycle cycles = 0;  ///< the whole run: last completion on any core
  std::vector<CoreResult> cores;
  Cycle dram_active_cycles = 0;
  std::uint64_t instructions = 0;
  double wall_seconds = 0;  ///< host time spent simulating (not part of any stats file)
};

/// Runs `program` (already passed through check_program()) on `hw`. With numerics, `dram`
/// holds the initial DRAM image (dram_footprint() bytes) and receives the final one.
/// Throws SimError when the program cannot finish (a deadlock between cores).
RunResult simulate(const NpuConfig& hw, const Program& program, const SimOptions& options,
                   std::vector<std::uint8_t>* dram);

}  // namespace npusim::npu
