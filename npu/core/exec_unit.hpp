#pragma once
/// What every execution unit (matrix, vector, each DMA queue) does with its queue: take the
/// oldest instruction once it has been dispatched, wait for its producers, then run it. Idle
/// time before an instruction is attributed: waiting for the sequencer (stall `issue`) or for a
/// producer (a dependency on that producer's unit).
#include <systemc>

#include "npu/core/core_state.hpp"
#include "npu/core/instruction_cost.hpp"
#include "npu/sequencer/unit_queue.hpp"

namespace npusim::npu {

class ExecUnit : public sc_core::sc_module {
 public:
  ExecUnit(const sc_core::sc_module_name& name, CoreState& state, std::uint32_t unit, std::uint32_t queue_depth);

  UnitQueue& queue() { return m_queue; }
  std::uint32_t unit() const { return m_unit; }

 protected:
  /// Runs the instruction, which starts now: sets its end and done times, notifies progress,
  /// updates the unit's counters and returns when the unit is free again.
  virtual void run(const QueueEntry& entry) = 0;

  /// The common ending for units whose duration is known at start: records the times and the
  /// cost's counters, executes the numerics, waits `busy` cycles.
  void finish_compute(std::uint32_t idx, const InstructionCost& cost, Cycle extra_busy);

  CoreState& m_state;
  UnitCounters& m_counters;

 private:
  void thread();
  /// Waits for every producer of `idx`; returns the one that completed last (or kNoInstruction).
  std::uint32_t wait_for_producers(std::uint32_t idx);

  const std::uint32_t m_unit;
  UnitQueue m_queue;
};

}  // namespace npusim::npu
