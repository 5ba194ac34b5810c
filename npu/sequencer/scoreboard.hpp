#pragma once
/// Automatic dependency tracking on memory regions. When the sequencer dispatches an
/// instruction, the scoreboard compares its reads and writes with every instruction still in
/// flight and records a dependency for each read-after-write, write-after-read and
/// write-after-write overlap (exact for strided 2-D regions, in scratchpad and DRAM). A unit
/// starts an instruction only after all of its producers have completed.
///
/// Lean, since every instruction passes through it: the in-flight instructions are a ring of
/// small entries (an index and a slot), their footprints stay put in a pool of slots, and byte
/// bounds reject most pairs before the exact region test.
#include <vector>

#include "npu/core/core_state.hpp"

namespace npusim::npu {

class Scoreboard {
 public:
  explicit Scoreboard(const Timeline& timeline) : m_timeline(timeline) {}

  /// Retires the instructions completed by cycle `at`, appends to `deps` (in dispatch order)
  /// every instruction still in flight that `access` conflicts with, and enters `idx`. An
  /// instruction whose completion is not known yet counts as in flight (the caller drops it
  /// later if it turns out to have completed by `at`).
  void dispatch(std::uint32_t idx, const AccessSet& access, Cycle at, std::vector<std::uint32_t>& deps);

 private:
  /// [lo, hi) over byte addresses tagged with their space; empty when lo >= hi.
  struct Interval {
    std::uint64_t lo = UINT64_MAX, hi = 0;
    bool meets(const Interval& o) const { return lo < o.hi && o.lo < hi; }
  };
  /// What an instruction touches, with the bounds of each region.
  struct Footprint {
    AccessSet access;
    Interval write;
    Interval reads[4];
    Interval all_reads;  ///< bounds of every read
  };
  struct Entry {
    std::uint32_t idx;
    std::uint32_t slot;  ///< index into m_pool; kRetired once completed
    Interval write, reads;  ///< copies of the footprint's bounds, to reject most pairs here
    Cycle done;  ///< its completion once known (final then), else kUnknownCycle
  };
  static constexpr std::uint32_t kRetired = UINT32_MAX;

  static void footprint(const AccessSet& access, Footprint& f);
  static bool conflicts(const Footprint& later, const Footprint& earlier);

  const Timeline& m_timeline;
  std::vector<Entry> m_ring;  ///< in dispatch order from m_head; retired entries are skipped
  std::size_t m_head = 0;
  std::vector<Footprint> m_pool;
  std::vector<std::uint32_t> m_free;  ///< free slots of m_pool
};

}  // namespace npusim::npu
