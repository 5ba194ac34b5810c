#pragma once
/// What every execution unit (matrix, vector, each DMA queue) does with its queues: take the
/// oldest instruction once it has been dispatched and its producers have completed, then run
/// it. Idle time before an instruction is attributed: waiting for the sequencer (stall `issue`)
/// or for a producer (a dependency on that producer's unit).
///
/// Units are not SystemC processes: the core's scheduler (core.hpp) calls them. A unit starts
/// an instruction as soon as everything its start depends on is known, which may be ahead of
/// simulated time; only a DMA transfer's end needs the DRAM to tell.
///
/// Each hardware thread has its own queue into the unit (in order within the thread). With
/// several threads, the unit takes the queue head that can start first (the earliest ready;
/// ties go to the earlier dispatch, then the lower thread), as an SMT core picks among ready
/// threads. It starts it once no other thread can have an instruction ready earlier: every
/// other head is known to be ready later, or cannot be ready before its producers' earliest
/// completion, and every other thread's sequencer is past that cycle. When nothing is known
/// for sure, the core starts the earliest pending start of all its units (force_start()).
#include <algorithm>

#include "npu/core/core_state.hpp"
#include "npu/core/instruction_cost.hpp"
#include "npu/sequencer/unit_queue.hpp"

namespace npusim::npu {

/// What a unit needs to know of the core's sequencers to arbitrate between threads.
class UnitHost {
 public:
  virtual ~UnitHost() = default;
  /// No instruction of `thread` not yet dispatched can be dispatched before this cycle.
  virtual Cycle next_dispatch(std::uint32_t thread) const = 0;
};

class ExecUnit {
 public:
  ExecUnit(CoreState& state, std::uint32_t unit, UnitHost& host);
  virtual ~ExecUnit() = default;
  ExecUnit(const ExecUnit&) = delete;
  ExecUnit& operator=(const ExecUnit&) = delete;

  std::uint32_t unit() const { return m_unit; }

  /// The cycle from which `thread`'s queue has room for an instruction the sequencer has ready
  /// at `ready` (a full queue frees its slot when its oldest entry starts), or kUnknownCycle
  /// when that entry cannot start yet.
  Cycle slot_free(std::uint32_t thread, Cycle ready) {  // inline: asked before every dispatch
    // The queue holds the last `depth` dispatched instructions that have not started; it is
    // full at `ready` if the oldest of them starts later.
    const Lane& l = m_lanes[thread];
    const std::uint32_t oldest = l.recent[l.recent_next];
    if (oldest == kNoInstruction) return ready;
    const Cycle started = m_state.threads[thread].start(oldest);
    return started != kUnknownCycle ? std::max(ready, started) : slot_free_later(thread, oldest, ready);
  }
  /// Enters instruction `idx` of `thread`, dispatched in program order at the cycle in its
  /// record: works out what it needs (its numerics, layouts and cost; counters that do not
  /// depend on time) and queues it.
  void dispatch(std::uint32_t thread, std::uint32_t idx);
  /// Starts the next instruction if the unit is free and its start is certain. Returns false
  /// when it cannot start one yet.
  bool try_start() { return !m_running && m_queued > 0 && start_next(); }  // inline: the core polls every unit
  /// With several threads: the earliest start among the queue heads whose producers have
  /// completion times (kUnknownCycle: none), which try_start() could not yet be sure of.
  Cycle pending_start();
  /// Starts that instruction: the core knows nothing else can start earlier.
  void force_start();

 protected:
  /// Fills in what instruction e.idx of `thread` needs to run (see dispatch()). Each unit builds
  /// the instruction's AccessSet only if it needs one.
  virtual void prepare(ThreadState& thread, QueueEntry& e) = 0;
  /// Runs an instruction that starts at `start`: finish() it, now or (DMA) when its end is known.
  virtual void run(const QueueEntry& entry, Cycle start) = 0;
  /// Ends `entry` at `end` (the unit is free again); its result is usable `latency` cycles later.
  void finish(const QueueEntry& entry, Cycle end, Cycle latency);

  CoreState& m_state;
  UnitCounters& m_counters;
  bool m_running = false;  ///< running an instruction whose end is not known yet

 private:
  /// One thread's queue into the unit.
  struct Lane {
    explicit Lane(std::uint32_t depth) : queue(depth), recent(depth, kNoInstruction) {}
    UnitQueue queue;
    std::vector<std::uint32_t> recent;  ///< the last `depth` instructions dispatched here (a ring)
    std::uint32_t recent_next = 0;
    // The head's producers scanned so far: how many, and the latest completion among them.
    std::uint32_t scanned = 0;
    std::uint32_t binding = kNoInstruction;
    Cycle latest = 0;
    /// The scan stopped at a producer with no completion: it would stop there again until
    /// another instruction of the thread ends.
    UntilNextEnd stopped;
    /// Every producer of the head has a completion: `dispatch` and `ready` hold (final until
    /// the head starts; arbitration asks again and again).
    bool known = false;
    Cycle dispatch = 0;  ///< the head's dispatch
    Cycle ready = 0;     ///< max(dispatch, latest): it starts then or once the unit is free
  };
  /// slot_free() when `oldest` has not started yet: starts what can start meanwhile.
  Cycle slot_free_later(std::uint32_t thread, std::uint32_t oldest, Cycle ready);
  /// try_start() once the unit is free with an instruction queued.
  bool start_next();
  /// Scans the head of `lane`'s producers; true when they all have completion times.
  bool scan_producers(std::uint32_t lane);
  /// The same, and once true, keeps what arbitration asks of the head (Lane::known).
  bool scan(std::uint32_t lane);
  /// The cycle the head of `lane` could start (it has been scanned).
  Cycle head_start(std::uint32_t lane) const { return std::max(m_free_at, m_lanes[lane].ready); }
  /// The lane whose head starts first among the scanned ones (kNoThread: none).
  std::uint32_t best_lane();
  /// True when no other thread can start an instruction here before `lane`'s head.
  bool certain(std::uint32_t lane, Cycle start) const;
  /// Pops and runs the head of `lane`.
  void start(std::uint32_t lane);

  UnitHost& m_host;
  const std::uint32_t m_unit;
  std::vector<Lane> m_lanes;  ///< per thread
  std::uint32_t m_queued = 0;  ///< entries in all lanes
  Cycle m_free_at = 0;
  std::uint32_t m_last_thread = kNoThread;  ///< thread of the instruction run last
  std::uint32_t m_last_idx = kNoInstruction;
};

}  // namespace npusim::npu
