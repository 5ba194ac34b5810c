#pragma once
/// State one core's modules share during a run: the instruction records (when each instruction
/// was dispatched, started, freed its unit and completed), dependencies, counters, memories.
#include <memory>
#include <systemc>
#include <vector>

#include "npu/core/units.hpp"
#include "npu/isa/access.hpp"
#include "npu/numerics/execute.hpp"
#include "npu/scratchpad/layout_map.hpp"

namespace npusim::npu {

inline constexpr std::uint32_t kNoInstruction = UINT32_MAX;

/// Timeline of one instruction. Times are cycles; kUnknownCycle until they happen.
struct InstrRecord {
  Cycle dispatch = kUnknownCycle;  ///< entered its unit's queue (sequencer instructions: issued)
  Cycle start = kUnknownCycle;     ///< left the queue and began on its unit
  Cycle end = kUnknownCycle;       ///< unit free again
  Cycle done = kUnknownCycle;      ///< result visible to dependants
  std::uint32_t deps_begin = 0;    ///< producers it depends on: dep_pool[deps_begin, +deps_count)
  std::uint32_t deps_count = 0;
  std::uint32_t binding_dep = kNoInstruction;  ///< the producer whose completion it waited for last
  Cycle handoff_cycles = 0;        ///< layout hand-off included in [start, end)
};

/// Signals for VCD tracing (only when a VCD is requested).
struct UnitSignals {
  std::vector<std::unique_ptr<sc_core::sc_signal<bool>>> busy;  ///< per unit index
  std::vector<std::unique_ptr<sc_core::sc_signal<int, sc_core::SC_MANY_WRITERS>>> queue_depth;
};

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
  std::unique_ptr<UnitSignals> signals;  ///< VCD tracing only

  /// Notified (delta) whenever one of the unit's instructions gets a known completion time.
  sc_core::sc_event& progress(std::uint32_t unit) { return *m_progress[unit]; }

  /// Blocks the calling SystemC thread until instruction `idx` has completed.
  void wait_done(std::uint32_t idx);

  const Instruction& instruction(std::uint32_t idx) const { return stream.code[idx]; }
  std::uint32_t unit_of_instruction(std::uint32_t idx) const { return unit_of(stream.code[idx]); }

 private:
  std::vector<std::unique_ptr<sc_core::sc_event>> m_progress;
};

/// Current simulation time in cycles (one cycle is one SystemC nanosecond).
Cycle now_cycles();
/// sc_time for a number of cycles.
sc_core::sc_time cycles_to_time(Cycle c);
/// Blocks the calling thread for `c` cycles (nothing if 0).
void wait_cycles(Cycle c);

}  // namespace npusim::npu
