#pragma once
// Shared test fixtures: a small NPU with round numbers for closed-form cycle tests, and helpers
// to run `.npuasm` text on it.
#include <filesystem>
#include <string>
#include <vector>

#include "npu/isa/asm.hpp"
#include "npu/isa/check.hpp"
#include "npu/top/simulate.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/io/tensors.hpp"

namespace npusim::test {

/// A path `name` in this test process's own temporary directory (removed when the process
/// ends), so that test runs of two checkouts at once never share files.
std::filesystem::path temp_path(const std::string& name);
/// temp_path(name) as an empty directory.
std::filesystem::path fresh_dir(const std::string& name);

/// The matrix section of the test NPU: a 16x16x16 cube, fp16 at 1 tile/cycle, int8 at 2.
inline const std::string kCubeMatrix = R"(matrix:
  model: cube
  cube: {m: 16, k: 16, n: 16}
  dtypes: {fp16: 1, bf16: 1, int8: 2, int16: 1, fp32: 1/4}
  startup_cycles: 3
  pipeline_latency: 5
  port: 256B/cycle
)";

/// A systolic matrix section with the given array and dataflow.
inline std::string systolic_matrix(int rows, int cols, const std::string& dataflow, int arrays = 1) {
  return "matrix:\n  model: systolic\n  systolic: {rows: " + std::to_string(rows) + ", cols: " + std::to_string(cols) +
         ", dataflow: " + dataflow + ", arrays: " + std::to_string(arrays) +
         "}\n  dtypes: {fp16: 1, int8: 2}\n  startup_cycles: 3\n  pipeline_latency: 0\n  port: 256B/cycle\n";
}

/// The test NPU. Scratchpad: 8 banks x 32 B (peak 256 B/cycle). Vector: 64 B (32 fp16 lanes),
/// startup 2, every op latency 3 / interval 1 except exp (10 / 4). DMA: 2 queues, setup 10,
/// 32 B/cycle each; DRAM 64 B/cycle, latency 100, 64 B bursts. Hand-offs free.
inline std::string test_hw_yaml(const std::string& matrix = kCubeMatrix) {
  return R"(name: test
clock: 1GHz
sequencer: {issue_cycles: 1, queue_depth: 4}
)" + matrix + R"(vector:
  width: 64B
  startup_cycles: 2
  port: 64B/cycle
  dtypes: [fp32, fp16, bf16, int8, int16, int32]
  ops: {default: {latency: 3, interval: 1}, exp: {latency: 10, interval: 4}}
scratchpad: {size: 1MiB, banks: 8, bank_width: 32B, ports_per_bank: 1}
dma: {queues: 2, setup_cycles: 10, bandwidth: 32B/cycle}
dram: {bandwidth: 64B/cycle, latency: 100, burst: 64B}
)";
}

/// load -> vector add -> store, each waiting for the one before.
inline const std::string kLoadAddStore = R"(
.dram X fp16 [1, 32] init=random(1)
.dram Y fp16 [1, 32] output
.buffer x fp16 [1, 32]
.buffer y fp16 [1, 32]
dma.load x, X
vec.add y, x, x
dma.store Y, y
)";

inline npu::NpuConfig test_hw(const std::vector<std::string>& overrides = {}, const std::string& matrix = kCubeMatrix) {
  return sim::parse_hw_config(test_hw_yaml(matrix), "test.yaml", overrides);
}

struct Run {
  npu::Program program;
  npu::RunResult result;
  std::vector<std::uint8_t> dram;

  /// The timeline of instruction `i` of thread `thread` of core `core`.
  npu::InstrRecord record(std::size_t i, std::size_t core = 0, std::size_t thread = 0) const {
    return result.cores[core].threads[thread].record(static_cast<std::uint32_t>(i));
  }
  /// Completion cycle of instruction `i` of core `core`'s stream.
  Cycle done(std::size_t i, std::size_t core = 0) const { return record(i, core).done; }
  Cycle dispatch(std::size_t i, std::size_t core = 0) const { return record(i, core).dispatch; }
  Cycle start(std::size_t i, std::size_t core = 0) const { return record(i, core).start; }
  /// Hand-off cycles in instruction `i`'s [start, end) (thread 0 of core `core`).
  Cycle handoff_cycles(std::size_t i, std::size_t core = 0) const {
    return result.cores[core].threads[0].handoff_cycles(static_cast<std::uint32_t>(i));
  }
  const npu::UnitCounters& unit(std::uint32_t u, std::size_t core = 0) const { return result.cores[core].units[u]; }
  /// Element i of DRAM tensor `name` as a double.
  double tensor(const std::string& name, std::uint64_t i) const;
};

/// Parses, checks and runs `.npuasm` text.
Run run_asm(const std::string& text, const npu::NpuConfig& hw, bool numerics = true);

/// Reads a whole file below the source tree (tests run from it).
std::string source_file(const std::string& relative);

}  // namespace npusim::test
