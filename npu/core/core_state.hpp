#pragma once
/// State one core's units share during a run: the instruction records (when each instruction
/// was dispatched, started, freed its unit and completed), dependencies, counters, memories.
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

/// Timeline of one instruction. Times are cycles; kUnknownCycle until they are known.
struct InstrRecord {
  Cycle dispatch = kUnknownCycle;  ///< entered its unit's queue (sequencer instructions: issued)
  Cycle start = kUnknownCycle;     ///< left the queue and began on its unit
  Cycle end = kUnknownCycle;       ///< unit free again
  Cycle done = kUnknownCycle;      ///< result visible to dependants
  std::uint32_t deps_begin = 0;    ///< producers it depends on: dep_pool[deps_begin, +deps_count)
  std::uint32_t deps_count = 0;
  std::uint32_t binding_dep = kNoInstruction;  ///< the producer whose completion it waited for last
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

struct CoreState {
  CoreState(const Program& p, const Stream& s, const NpuConfig& hw, std::uint32_t core, bool numerics,
            std::vector<std::uint8_t>* dram, SharedRun& shared);

  const Program& program;
  const Stream& stream;
  const NpuConfig& hw;
  const std::uint32_t core;
  const bool numerics;
  SharedRun& shared;

  std::vector<InstrRecord> records;
  std::vector<std::uint32_t> dep_pool;
  std::vector<UnitCounters> counters;  ///< per unit index
  NumericsCounters numerics_counters;
  LayoutMap layout;
  std::vector<std::uint8_t> scratchpad;  ///< allocated only when computing numerics
  Memories memories;
  SignalTrace* trace = nullptr;  ///< VCD tracing only
  std::uint64_t unfinished = 0;  ///< dispatched instructions whose completion is not known yet
  Cycle latest_done = 0;         ///< latest completion of the instructions dispatched so far

  const Instruction& instruction(std::uint32_t idx) const { return stream.code[idx]; }
  std::uint32_t unit_of_instruction(std::uint32_t idx) const { return unit_of(stream.code[idx]); }
};

/// Current simulation time in cycles (one cycle is one SystemC nanosecond).
Cycle now_cycles();
/// sc_time for a number of cycles.
sc_core::sc_time cycles_to_time(Cycle c);

}  // namespace npusim::npu
