#pragma once
/// State one core's units share during a run: the instruction records (when each instruction
/// was dispatched, started, freed its unit and completed), dependencies, counters, memories.
#include <systemc>
#include <vector>

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

struct CoreState {
  CoreState(const Program& p, const Stream& s, const NpuConfig& hw, std::uint32_t core, bool numerics,
            std::vector<std::uint8_t>* dram);

  const Program& program;
  const Stream& stream;
  const NpuConfig& hw;
  const std::uint32_t core;
  const bool numerics;

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
