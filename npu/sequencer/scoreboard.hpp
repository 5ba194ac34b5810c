#pragma once
/// Automatic dependency tracking on memory regions. When the sequencer dispatches an
/// instruction, the scoreboard compares its reads and writes with every instruction still in
/// flight and records a dependency for each read-after-write, write-after-read and
/// write-after-write overlap (exact for strided 2-D regions, in scratchpad and DRAM). A unit
/// starts an instruction only after all of its producers have completed.
///
/// Lean, since every instruction passes through it: the in-flight instructions are a ring in
/// dispatch order, each with the byte bounds of its write and of its reads, which reject most
/// pairs; their regions, with the bounds of each, sit in a ring of their own beside it. An
/// instruction is retired once it has completed by the cycle being dispatched (dispatch cycles
/// never decrease); the retired ones are skipped, and squeezed out once they outnumber the
/// rest, so the rings stay about twice the instructions in flight.
#include <vector>

#include "npu/core/core_state.hpp"

namespace npusim::npu {

class Scoreboard {
 public:
  explicit Scoreboard(const Timeline& timeline);

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
  /// What an instruction touches, with the bounds of each region (most overlapping bounds are
  /// told apart here, before the exact test: a GEMM's tiles share bounds with their neighbours).
  struct Footprint {
    AccessSet access;
    Interval write;
    Interval reads[4];
  };
  /// An instruction in flight, with the bounds of its write and of all its reads.
  struct Entry {
    std::uint32_t idx;
    Cycle done;  ///< its completion once known (final then), else kUnknownCycle
    Interval write, reads;
  };

  static Interval bounds(const Region& r);
  /// True when `later` reads what `earlier` writes, or writes what it reads or writes.
  static bool conflicts(const Footprint& later, const Footprint& earlier);
  /// Drops the retired entries between the head and the tail, keeping the order.
  void squeeze(Cycle at);
  /// Doubles the rings (they are full).
  void grow();

  const Timeline& m_timeline;
  // Ring positions count up forever; slot k is k & m_mask. [m_head, m_tail) is in dispatch order.
  // The slot at m_tail is always free: dispatch() fills the new instruction's footprint there.
  std::vector<Entry> m_entries;
  std::vector<Footprint> m_footprints;  ///< of m_entries[k], at the same slot
  std::size_t m_mask;
  std::size_t m_head = 0, m_tail = 0;
};

}  // namespace npusim::npu
