#pragma once
/// The sequencing state of one instruction stream (a core runs one today; hardware threads
/// would each have one, sharing the core's units). Fetches the stream in order, spends
/// `sequencer.issue_cycles` on each instruction, and dispatches it into its unit's queue after
/// the scoreboard has recorded its dependencies. A full queue blocks issue (stall
/// `queue_full`). barrier waits for every earlier instruction; signal drains the same way and
/// then raises a flag; wait blocks on a flag.
///
/// The sequencer keeps its own clock and runs ahead of simulated time: issue() dispatches the
/// next instruction as soon as everything its dispatch cycle depends on is known (the start of
/// the queue entry it must wait for, the completions a barrier drains), and returns false
/// when something is not known yet; the core calls it again when something changed. Flags are
/// touched at their instruction's cycle, once simulated time has caught up.
#include <string>
#include <vector>

#include "npu/core/exec_unit.hpp"
#include "npu/sequencer/flags.hpp"
#include "npu/sequencer/scoreboard.hpp"

namespace npusim::npu {

/// What a sequencer needs from its core.
class SequencerHost {
 public:
  virtual ~SequencerHost() = default;
  virtual ExecUnit& unit(std::uint32_t u) = 0;
  /// True once simulated time has reached `cycle`; otherwise the host calls again by then.
  virtual bool reached(Cycle cycle) = 0;
};

class Sequencer {
 public:
  Sequencer(CoreState& state, SequencerHost& host, FlagTable& flags);

  /// Issues the next instruction; false if it cannot be issued yet (or the stream is done).
  bool issue();

  bool finished() const { return m_pc == m_state.records.size(); }
  /// Index of the instruction being issued (kNoInstruction when finished).
  std::uint32_t current() const { return finished() ? kNoInstruction : m_pc; }
  /// Cycle at which the sequencer issued its last instruction.
  Cycle finish_cycle() const { return m_local; }

 private:
  /// Ends the current instruction at cycle `at`: the sequencer moves on.
  void next(Cycle at);
  /// The current instruction, ready at `from`, cannot be issued yet; returns false.
  bool blocked(Cycle from);
  /// Counts [from, at) as `cause` and shows it on the blocked signal (VCD).
  void stall(Stall cause, Cycle from, Cycle at);

  CoreState& m_state;
  SequencerHost& m_host;
  FlagTable& m_flags;
  Scoreboard m_scoreboard;
  UnitCounters& m_me;
  std::uint32_t m_pc = 0;
  Cycle m_local = 0;       ///< the sequencer's clock
  bool m_charged = false;  ///< the current instruction's issue cycles are counted
  bool m_blocked = false;  ///< issue() returned false for the current instruction
};

}  // namespace npusim::npu
