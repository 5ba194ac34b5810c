#pragma once
/// Resource guards: the memory a run will take, estimated before anything large is allocated,
/// against a limit (`--max-memory`, by default half of the machine's RAM), and the length of a
/// run against the cycles npusim can represent.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "npu/config.hpp"
#include "npu/isa/program.hpp"

namespace npusim::sim {

/// Host bytes per simulated instruction: the program (a 32-byte instruction; operands and
/// attributes kept once), its timeline records (32 bytes), dependency lists and the analysis,
/// with room to spare. Measured: a 1 M instruction .npuasm of vec.add peaks at 131 MiB with the
/// process's fixed 11 MiB; bench/run's workloads take 47 to 140 B per instruction.
inline constexpr std::uint64_t kHostBytesPerInstruction = 192;

/// The default of --max-memory: half of the physical RAM.
std::uint64_t default_max_memory();

/// A memory estimate as named parts ("program and timeline", "DRAM image", ...).
struct MemoryEstimate {
  std::vector<std::pair<std::string, std::uint64_t>> parts;
  /// Adds to the part called `what` (a new part if there is none).
  void add(const std::string& what, std::uint64_t bytes);
  void add(const MemoryEstimate& other);
  std::uint64_t total() const;
  /// "about 1.2 GiB of memory (A and its fp64 inverse 800 MiB, DRAM image 400 MiB)".
  std::string describe() const;
};

/// What running `p` on `hw` takes, timeline included; with `numerics` also the DRAM image and
/// every core's scratchpad.
MemoryEstimate estimate_program(const npu::NpuConfig& hw, const npu::Program& p, bool numerics);

/// Throws InputError when `e` exceeds `limit` (0: the default limit): names `what`, the estimate
/// and its parts, the limit and `how` to go on.
void check_memory(const MemoryEstimate& e, std::uint64_t limit, const std::string& what, const std::string& how);

/// Throws InputError when `p` could run for more than kMaxCycles (the longest time npusim
/// represents): the sum of every instruction's npu::worst_case_cycles(). Names the longest
/// instruction; an instruction whose own cost is too long is named by its line. (A run keeps
/// the same sum as it goes and stops when it passes kMaxCycles; simulate_program() then calls
/// this for the message.)
void check_run_length(const npu::NpuConfig& hw, const npu::Program& p);

}  // namespace npusim::sim
