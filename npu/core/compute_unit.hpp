#pragma once
/// A unit whose instruction cost is known when it starts (matrix, vector). Adds the layout
/// hand-off: reading bytes the other compute unit wrote costs handoff.fixed_cycles plus the
/// bytes at handoff.bandwidth, on top of the instruction's own cost; its results are then in
/// this unit's layout.
#include "npu/core/exec_unit.hpp"
#include "npu/scratchpad/layout_map.hpp"

namespace npusim::npu {

class ComputeUnit : public ExecUnit {
 protected:
  ComputeUnit(const sc_core::sc_module_name& name, CoreState& state, std::uint32_t unit, Layout own, Layout foreign,
              const HandoffDirection& into_me);

  /// The instruction's cost on this unit (matrix_timing / vector_timing).
  virtual InstructionCost cost(const Instruction& in, const AccessSet& access) const = 0;

 private:
  void run(const QueueEntry& entry) override;
  /// Hand-off cycles for reading `idx`'s sources (0 if none is in the foreign layout).
  Cycle handoff(std::uint32_t idx, const AccessSet& access);

  const Layout m_own;
  const Layout m_foreign;
  const HandoffDirection m_into_me;
};

}  // namespace npusim::npu
