#pragma once
/// The sequencing state of one instruction stream: one hardware thread of a core (a core runs
/// `sequencer.threads` of them, sharing its units). Fetches the stream in order, spends
/// `sequencer.issue_cycles` on each instruction, and dispatches it into its unit's queue (the
/// thread's own queue into that unit) after the scoreboard has recorded its dependencies on
/// the thread's earlier instructions. A full queue blocks issue (stall `queue_full`). barrier
/// waits for every earlier instruction of the thread; signal drains the same way and then
/// raises a flag; wait blocks on a flag. matrix.acquire takes the core's matrix unit (stall
/// `matrix_lock` while another thread holds it, plus matrix.lock_cycles), matrix.release frees
/// it once the thread's matmuls have completed. A thread's first vector instruction takes a
/// vector context (stall `vector_context` while none is free), which it keeps to its end.
///
/// The sequencer keeps its own clock and runs ahead of simulated time: issue() dispatches the
/// next instruction as soon as everything its dispatch cycle depends on is known (the start of
/// the queue entry it must wait for, the completions a barrier drains), and returns false
/// when something is not known yet; the core calls it again when something changed. Flags are
/// touched at their instruction's cycle, once simulated time has caught up. What threads
/// contend for (the matrix unit's lock, a vector context) is granted in cycle order: with
/// several threads the sequencer leaves it pending (pending_grant()) and the core grants the
/// earliest (grant()).
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
  /// True once simulated time has reached `cycle`; otherwise the host calls again by then.
  virtual bool reached(Cycle cycle) = 0;
};

class Sequencer {
 public:
  /// `units` are the core's execution units by unit index (nullptr for the sequencer itself).
  Sequencer(CoreState& state, std::uint32_t thread, SequencerHost& host, FlagTable& flags,
            std::vector<ExecUnit*> units);

  /// Issues the next instruction; false if it cannot be issued yet (or the stream is done).
  bool issue();
  /// The cycle at which the current instruction would take what it contends for (the matrix
  /// unit's lock, a vector context), when that is what it waits for; else kUnknownCycle.
  Cycle pending_grant() const;
  /// Takes it: the core knows no other thread can take it earlier.
  void grant();
  /// Frees the vector context of a thread that has ended, once its vector work is done.
  bool release_context();

  bool finished() const { return m_pc == m_thread.size(); }
  /// Index of the instruction being issued (kNoInstruction when finished).
  std::uint32_t current() const { return finished() ? kNoInstruction : m_pc; }
  /// Cycle at which the sequencer issued its last instruction.
  Cycle finish_cycle() const { return m_local; }
  /// No instruction not yet dispatched can be dispatched before this cycle (kUnknownCycle when
  /// the stream is done).
  Cycle next_dispatch() const;
  const ThreadState& thread() const { return m_thread; }

 private:
  /// Ends the current instruction at cycle `at`: the sequencer moves on.
  void next(Cycle at);
  /// The current instruction, ready at `from`, cannot be issued yet; returns false.
  bool blocked(Cycle from);
  /// Counts [from, at) as `cause` and shows it on the blocked signal (VCD).
  void stall(Stall cause, Cycle from, Cycle at);
  /// The cycle from which the matrix unit's lock is free (kUnknownCycle while held).
  Cycle lock_free_at() const;
  /// The vector context that frees first (m_state.contexts.size() when every one is held).
  std::size_t free_context() const;

  CoreState& m_state;
  ThreadState& m_thread;
  SequencerHost& m_host;
  FlagTable& m_flags;
  const std::vector<ExecUnit*> m_units;
  Scoreboard m_scoreboard;
  UnitCounters& m_me;
  const bool m_shared;     ///< the core runs several threads with instructions
  std::uint32_t m_pc = 0;
  Cycle m_local = 0;       ///< the sequencer's clock
  bool m_charged = false;  ///< the current instruction's issue cycles are counted
  bool m_blocked = false;  ///< issue() returned false for the current instruction
  bool m_granted = false;  ///< grant() gave the current instruction what it contends for
  std::size_t m_context = 0;  ///< the vector context it holds
  /// The thread runs alone and the current instruction found its unit's queue full: it stays
  /// full until another instruction of the thread ends (only then can the oldest entry start).
  UntilNextEnd m_queue_full;
};

}  // namespace npusim::npu
