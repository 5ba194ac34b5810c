#pragma once
/// What every execution unit (matrix, vector, each DMA queue) does with its queue: take the
/// oldest instruction once it has been dispatched and its producers have completed, then run
/// it. Idle time before an instruction is attributed: waiting for the sequencer (stall `issue`)
/// or for a producer (a dependency on that producer's unit).
///
/// Units are not SystemC processes: the core's scheduler (core.hpp) calls them. A unit starts
/// an instruction as soon as everything its start depends on is known, which may be ahead of
/// simulated time; only a DMA transfer's end needs the DRAM to tell.
#include "npu/core/core_state.hpp"
#include "npu/core/instruction_cost.hpp"
#include "npu/sequencer/unit_queue.hpp"

namespace npusim::npu {

class ExecUnit {
 public:
  ExecUnit(CoreState& state, std::uint32_t unit);
  virtual ~ExecUnit() = default;
  ExecUnit(const ExecUnit&) = delete;
  ExecUnit& operator=(const ExecUnit&) = delete;

  std::uint32_t unit() const { return m_unit; }
  const UnitQueue& queue() const { return m_queue; }

  /// The cycle from which the queue has room for an instruction the sequencer has ready at
  /// `ready` (a full queue frees its slot when its oldest entry starts), or kUnknownCycle when
  /// that entry cannot start yet.
  Cycle slot_free(Cycle ready);
  /// Enters instruction `idx`, dispatched in program order at the cycle in its record: works
  /// out what it needs (its numerics, layouts and cost; counters that do not depend on time)
  /// and queues it.
  void dispatch(std::uint32_t idx, const AccessSet& access);
  /// Starts the oldest queued instruction if the unit is free and every producer's completion
  /// is known. Returns false when it cannot start yet.
  bool try_start();

 protected:
  /// What `idx` needs to run (see dispatch()).
  virtual QueueEntry prepare(std::uint32_t idx, const AccessSet& access) = 0;
  /// Runs an instruction that starts at `start`: finish() it, now or (DMA) when its end is known.
  virtual void run(const QueueEntry& entry, Cycle start) = 0;
  /// Ends instruction `idx` at `end` (the unit is free again); its result is usable `latency`
  /// cycles later.
  void finish(std::uint32_t idx, Cycle end, Cycle latency);

  CoreState& m_state;
  UnitCounters& m_counters;
  bool m_running = false;  ///< running an instruction whose end is not known yet

 private:
  const std::uint32_t m_unit;
  UnitQueue m_queue;
  std::vector<std::uint32_t> m_recent;  ///< the last `depth` instructions dispatched here (a ring)
  std::uint32_t m_recent_next = 0;
  Cycle m_free_at = 0;
  // The queue head's producers scanned so far: how many, and the latest completion among them.
  std::uint32_t m_scanned = 0;
  std::uint32_t m_binding = kNoInstruction;
  Cycle m_latest = 0;
};

}  // namespace npusim::npu
