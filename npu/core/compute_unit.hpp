#pragma once
/// A unit whose instruction cost is known when it starts (matrix, vector), with the layout
/// hand-off. Each scratchpad byte is in the layout of the unit that wrote it (layout_map.hpp).
/// An instruction that must see data in its own unit's layout pays handoff.fixed_cycles plus
/// the bytes at handoff.bandwidth on top of its own cost; which data that is, and in which
/// layout the results land, each unit decides (plan_layout).
#include "npu/core/exec_unit.hpp"
#include "npu/scratchpad/layout_map.hpp"

namespace npusim::npu {

/// How an instruction meets the layouts of its operands.
struct LayoutPlan {
  std::uint64_t convert_bytes = 0;  ///< source bytes to hand off into this unit's layout
  Layout result = Layout::neutral;  ///< layout the destination is written in
};

class ComputeUnit : public ExecUnit {
 protected:
  ComputeUnit(const sc_core::sc_module_name& name, CoreState& state, std::uint32_t unit,
              const HandoffDirection& into_me);

  /// The instruction's cost on this unit (matrix_timing / vector_timing).
  virtual InstructionCost cost(const Instruction& in, const AccessSet& access) const = 0;
  /// Which source bytes need converting, and the layout of the result.
  virtual LayoutPlan plan_layout(const Instruction& in, const AccessSet& access) const = 0;

 private:
  void run(const QueueEntry& entry) override;
  /// Hand-off cycles for `bytes` converted for instruction `idx`, counted in the stats.
  Cycle handoff(std::uint32_t idx, std::uint64_t bytes);

  const HandoffDirection m_into_me;
};

}  // namespace npusim::npu
