#pragma once
/// A unit whose instruction cost is known when it starts (matrix, vector), with the layout
/// hand-off. Each scratchpad byte is in the layout of the unit that wrote it (layout_map.hpp).
/// An instruction that must see data in its own unit's layout pays handoff.fixed_cycles plus
/// the bytes at handoff.bandwidth on top of its own cost (handoff.via: consumer; with via:
/// vector the conversions are vec.layout instructions of their own and nothing is paid here);
/// which data that is, and in which layout the results land, plan_layout() decides (handoff.hpp).
///
/// Layouts and numerics are worked out at dispatch, in program order: every instruction that
/// touches bytes another one writes is ordered after it by the scoreboard, so program order
/// is the order in which the hardware would see them.
#include "npu/core/exec_unit.hpp"
#include "npu/scratchpad/handoff.hpp"

namespace npusim::npu {

class ComputeUnit : public ExecUnit {
 protected:
  ComputeUnit(CoreState& state, std::uint32_t unit, UnitHost& host, const HandoffDirection& into_me);

  /// The instruction's cost on this unit (matrix_timing / vector_timing).
  virtual InstructionCost cost(const Instruction& in, const AccessSet& access) = 0;

 private:
  QueueEntry prepare(ThreadState& thread, std::uint32_t idx, const AccessSet& access) override;
  void run(const QueueEntry& entry, Cycle start) override;
  /// Hand-off cycles for `bytes` converted for `rec`'s instruction, counted in the stats.
  Cycle handoff(InstrRecord& rec, std::uint64_t bytes);

  const HandoffDirection m_into_me;
};

}  // namespace npusim::npu
