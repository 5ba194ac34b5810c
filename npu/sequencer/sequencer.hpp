#pragma once
/// The scalar/control unit of a core. Fetches its stream in order, spends
/// `sequencer.issue_cycles` on each instruction, and dispatches it into its unit's queue after
/// the scoreboard has recorded its dependencies. A full queue blocks issue (stall `queue_full`).
/// barrier waits for every earlier instruction; signal drains the same way and then raises a
/// flag; wait blocks on a flag.
///
/// The sequencer runs ahead of simulated time in a local clock and synchronises only when it
/// must observe other modules (a full queue, a barrier, a flag). This is exact: queues only
/// drain while it runs ahead, so a queue with room now still has room later.
#include <string>
#include <systemc>
#include <vector>

#include "npu/core/core_state.hpp"
#include "npu/sequencer/flags.hpp"
#include "npu/sequencer/scoreboard.hpp"
#include "npu/sequencer/unit_queue.hpp"

namespace npusim::npu {

class Sequencer : public sc_core::sc_module {
 public:
  Sequencer(const sc_core::sc_module_name& name, CoreState& state, std::vector<UnitQueue*> queues, FlagTable& flags);

  bool finished() const { return m_finished; }
  /// Index of the instruction the sequencer is blocked on (or kNoInstruction).
  std::uint32_t current() const { return m_current; }
  /// Cycle at which the sequencer issued its last instruction.
  Cycle finish_cycle() const { return m_finish_cycle; }

 private:
  void thread();
  /// Waits until every instruction dispatched so far has completed.
  void drain(Cycle& local);
  /// Brings simulated time up to the local clock.
  static void sync(Cycle local);
  /// Records blocked / running on the VCD signal, when tracing.
  void blocked(bool b);

  CoreState& m_state;
  std::vector<UnitQueue*> m_queues;  ///< per unit index (nullptr for the sequencer itself)
  FlagTable& m_flags;
  Scoreboard m_scoreboard;
  bool m_finished = false;
  std::uint32_t m_current = kNoInstruction;
  Cycle m_finish_cycle = 0;
};

}  // namespace npusim::npu
