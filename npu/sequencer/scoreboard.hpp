#pragma once
/// Automatic dependency tracking on memory regions. When the sequencer dispatches an
/// instruction, the scoreboard compares its reads and writes with every instruction still in
/// flight and records a dependency for each read-after-write, write-after-read and
/// write-after-write overlap (exact for strided 2-D regions, in scratchpad and DRAM). A unit
/// starts an instruction only after all of its producers have completed.
///
/// Lean, since every instruction passes through it: the in-flight instructions are a ring in
/// dispatch order, each with its operands and the extents of its write and of all its reads,
/// which reject most pairs. A pair whose extents meet is told apart operand by operand, on the
/// extents the program keeps per operand (Program::operand_extents); only operands with rows
/// apart need their regions (operand_regions): the ring copies no region. An instruction is
/// retired once it has completed by the cycle being dispatched (dispatch cycles never decrease).
/// The retired ones at the head are dropped; the others are asked whether they have retired
/// only when they conflict, and squeezed out once the ring has doubled since the last squeeze,
/// so it stays about twice the instructions in flight.
#include <array>
#include <vector>

#include "npu/core/core_state.hpp"

namespace npusim::npu {

class Scoreboard {
 public:
  /// Tracks the instructions of `thread`, a stream of `program` (its operands placed, as
  /// check_program() leaves them).
  Scoreboard(const ThreadState& thread, const Program& program);

  /// Retires the instructions completed by cycle `at`, appends to `deps` (in dispatch order)
  /// every instruction still in flight that instruction `idx` conflicts with, and enters `idx`
  /// (an instruction on a unit). An instruction whose completion is not known yet counts as in
  /// flight (the caller drops it later if it turns out to have completed by `at`).
  void dispatch(std::uint32_t idx, Cycle at, HugeVector<std::uint32_t>& deps);

 private:
  /// An instruction in flight: its operands and the extents of its write and of all its reads.
  struct Entry {
    std::uint32_t idx;
    Cycle done;  ///< its completion once known (final then), else kUnknownCycle
    Extent write, reads;
    /// Its operand_ids, copied: pairs are compared without a look at the instruction.
    std::array<std::uint32_t, kMaxOperands> operand_ids;
  };

  /// True when `later` reads what `earlier` writes, or writes what it reads or writes.
  bool conflicts(const Entry& later, const Entry& earlier) const;
  /// Whether operands `a` and `b` (operand_table indices), whose extents meet, share a byte.
  bool share_bytes(std::uint32_t a, std::uint32_t b) const {
    // Extents meet only when both regions hold bytes in one space and their spans overlap: then
    // two regions without gaps share a byte, and only rows apart need the exact test.
    const Region& ra = m_regions[a];
    const Region& rb = m_regions[b];
    return (ra.contiguous() && rb.contiguous()) || strided_regions_overlap(ra, rb);
  }
  /// Refreshes the completion of `e`; true once it has completed by `at`.
  bool retired(Entry& e, Cycle at) const {
    if (e.done == kUnknownCycle) e.done = m_thread.done(e.idx);  // final once known
    return e.done <= at;
  }
  /// Drops the retired entries between the head and the tail, keeping the order.
  void squeeze(Cycle at);
  /// Doubles the ring (it is full).
  void grow();

  const ThreadState& m_thread;
  const Extent* m_extents;  ///< the program's operand_extents
  const Region* m_regions;  ///< and operand_regions
  // Ring positions count up forever; slot k is k & m_mask. [m_head, m_tail) is in dispatch order.
  std::vector<Entry> m_entries;
  std::size_t m_mask;
  std::size_t m_head = 0, m_tail = 0;
  std::size_t m_squeeze_at;  ///< squeeze() once the ring holds more entries than this
};

}  // namespace npusim::npu
