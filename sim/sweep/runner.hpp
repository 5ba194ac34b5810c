#pragma once
/// Running a sweep: worker processes, the store, resuming, shards, progress and the exports.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "sim/sweep/sweep_file.hpp"

namespace npusim::sim {

struct SweepOptions {
  std::string out;             ///< output directory ("" = npusim-out/sweeps/NAME[/shard-I-of-N])
  unsigned jobs = 0;           ///< worker processes (0: the number of cores)
  bool resume = false;         ///< run only the points missing from an existing store
  bool dry_run = false;        ///< list the points, run nothing
  bool numerics = true;        ///< false: --timing-only
  bool quiet = false;          ///< nothing on stdout, no progress
  std::uint32_t shard = 0;     ///< 1-based shard index; 0 = the whole sweep
  std::uint32_t shards = 1;    ///< number of shards
  std::uint64_t max_memory = 0;  ///< --max-memory for all workers together (0: half of the RAM)
  /// Ends with a line on `err` counting the failed points (off for callers that expect some and
  /// say so themselves: the report's sensitivity sweep, where a rejected spec is a one-sided row).
  bool count_failures = true;
};

/// Parses "I/N" (1 <= I <= N); InputError otherwise.
std::pair<std::uint32_t, std::uint32_t> parse_shard(const std::string& text);

/// The shard from SLURM_ARRAY_TASK_ID, _MIN and _COUNT, when they are set ({0, 1} when not).
std::pair<std::uint32_t, std::uint32_t> slurm_shard();

/// Runs (or with dry_run lists) the sweep. Returns whether every point ran (false when some point
/// was invalid or failed in simulation; their status and message are in the store). `out` gets
/// the listing or the summary, `err` the progress and the failure count.
bool run_sweep(const Sweep& sweep, const SweepOptions& options, std::ostream& out, std::ostream& err);

/// `npusim merge`: combines the stores in `inputs` (directories) into `out_dir` and exports it.
/// Returns whether every merged point ran.
bool merge_sweeps(const std::vector<std::string>& inputs, const std::string& out_dir, bool quiet, std::ostream& out,
                 std::ostream& err);

}  // namespace npusim::sim
