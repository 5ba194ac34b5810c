#pragma once
/// State one core's units share during a run: each hardware thread's instruction records (when
/// each instruction was dispatched, started, freed its unit and completed) and dependencies, and
/// what the threads share: counters, memories, the matrix unit's lock and the vector contexts.
#include <exception>
#include <functional>
#include <systemc>
#include <vector>

#include "npu/common/error.hpp"

#include "npu/core/units.hpp"
#include "npu/isa/access.hpp"
#include "npu/numerics/execute.hpp"
#include "npu/scratchpad/layout_map.hpp"

namespace npusim::npu {

inline constexpr std::uint32_t kNoInstruction = UINT32_MAX;
inline constexpr std::uint32_t kNoThread = UINT32_MAX;

/// Timeline of one instruction. Times are cycles; kUnknownCycle until they are known.
struct InstrRecord {
  Cycle dispatch = kUnknownCycle;  ///< entered its unit's queue (sequencer instructions: issued)
  Cycle start = kUnknownCycle;     ///< left the queue and began on its unit
  Cycle end = kUnknownCycle;       ///< unit free again
  Cycle done = kUnknownCycle;      ///< result visible to dependants
  /// No completion can be earlier: dispatch plus the unloaded cost (set at dispatch). Threads
  /// sharing a unit use it to rule out that an instruction still waiting could start first.
  Cycle earliest_done = 0;
  std::uint32_t deps_begin = 0;    ///< producers it depends on: dep_pool[deps_begin, +deps_count)
  std::uint32_t deps_count = 0;
  std::uint32_t binding_dep = kNoInstruction;  ///< the producer whose completion it waited for last
  /// The instruction the unit ran just before this one, when another thread's (threads share
  /// units): its thread and index. kNoThread when it was this thread's or none. For a
  /// matrix.acquire that waited for another thread: the matrix.release it waited for.
  std::uint32_t unit_prev_thread = kNoThread;
  std::uint32_t unit_prev = kNoInstruction;
  Cycle handoff_cycles = 0;        ///< layout hand-off included in [start, end)
  /// Cycles sharing added to the instruction's own cost: scratchpad bank conflicts (matrix,
  /// vector), or DRAM bandwidth shared with other transfers (DMA: [start, end) minus setup and
  /// the unshared transfer; a cycle below 0 when rounding favours the shared transfer).
  std::int64_t contention_cycles = 0;
};

class SignalTrace;

/// The run passed kMaxCycles, the longest npusim represents (see worst_case_cycles()).
class RunTooLong : public SimError {
 public:
  RunTooLong() : SimError("the run could take more than 2^53 cycles, more than npusim represents") {}
};

/// What the cores of one run share besides the DRAM and the flags. SystemC processes must not
/// throw: a core keeps its error here and stops the simulation.
struct SharedRun {
  std::function<void(double)> report;  ///< progress: the fraction of instructions issued
  std::uint64_t total = 1;
  std::uint64_t issued = 0;
  /// The sum of worst_case_cycles() over the instructions dispatched so far: no run is longer.
  Cycle bound = 0;
  std::exception_ptr failure;

  void tick() {
    if ((++issued & 0xffff) == 0 && report) report(double(issued) / double(total));
  }
  /// Adds an instruction's worst case; throws RunTooLong past kMaxCycles.
  void add_bound(Cycle cycles) {
    bound = sat_add(bound, cycles);
    if (bound > kMaxCycles) throw RunTooLong();
  }
};

/// One hardware thread: its stream, its instructions' timeline, and what it holds.
struct ThreadState {
  ThreadState(const Stream& s, std::uint32_t index_) : stream(s), index(index_), records(s.code.size()) {}

  const Stream& stream;
  const std::uint32_t index;
  std::vector<InstrRecord> records;
  std::vector<std::uint32_t> dep_pool;
  std::uint64_t unfinished = 0;  ///< dispatched instructions whose completion is not known yet
  Cycle latest_done = 0;         ///< latest completion of the instructions dispatched so far
  std::uint64_t matrix_unfinished = 0;  ///< the same for its matmuls (matrix.release drains them)
  Cycle matrix_latest_done = 0;
  std::uint64_t vector_unfinished = 0;  ///< the same for its vector instructions (its context)
  Cycle vector_latest_done = 0;
  bool holds_context = false;  ///< it holds a vector context

  const Instruction& instruction(std::uint32_t idx) const { return stream.code[idx]; }
};

struct CoreState {
  /// `streams` holds one stream per hardware thread (empty ones for threads without work).
  CoreState(const Program& p, const std::vector<const Stream*>& streams, const NpuConfig& hw, std::uint32_t core,
            bool numerics, std::vector<std::uint8_t>* dram, SharedRun& shared);

  const Program& program;
  const NpuConfig& hw;
  const std::uint32_t core;
  const bool numerics;
  SharedRun& shared;

  std::vector<ThreadState> threads;
  std::vector<UnitCounters> counters;  ///< per unit index, all threads
  NumericsCounters numerics_counters;
  LayoutMap layout;
  std::vector<std::uint8_t> scratchpad;  ///< allocated only when computing numerics
  Memories memories;
  SignalTrace* trace = nullptr;  ///< VCD tracing only

  /// The matrix unit's lock (matrix.acquire / matrix.release): the thread holding it, the cycle
  /// it was last released and the matrix.release that did (thread, index).
  std::uint32_t matrix_holder = kNoThread;
  Cycle matrix_free_at = 0;
  std::uint32_t matrix_released_by_thread = kNoThread;
  std::uint32_t matrix_released_by = kNoInstruction;
  /// Vector contexts: the cycle each one is free from (kUnknownCycle while a thread holds it).
  std::vector<Cycle> contexts;

  InstrRecord& record(std::uint32_t thread, std::uint32_t idx) { return threads[thread].records[idx]; }
  const Instruction& instruction(std::uint32_t thread, std::uint32_t idx) const {
    return threads[thread].stream.code[idx];
  }
  /// Every thread's instructions issued and completed.
  bool unfinished() const;
};

/// Current simulation time in cycles (one cycle is one SystemC nanosecond).
Cycle now_cycles();
/// sc_time for a number of cycles.
sc_core::sc_time cycles_to_time(Cycle c);

}  // namespace npusim::npu
