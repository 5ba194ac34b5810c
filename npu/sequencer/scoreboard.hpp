#pragma once
/// Automatic dependency tracking on memory regions. When the sequencer dispatches an
/// instruction, the scoreboard compares its reads and writes with every instruction still in
/// flight and records a dependency for each read-after-write, write-after-read and
/// write-after-write overlap (exact for strided 2-D regions, in scratchpad and DRAM). A unit
/// starts an instruction only after all of its producers have completed.
#include <vector>

#include "npu/core/core_state.hpp"

namespace npusim::npu {

class Scoreboard {
 public:
  explicit Scoreboard(CoreState& state) : m_state(state) {}

  /// Enters instruction `idx` (touching `access`, dispatched at cycle `at`) and stores its
  /// dependencies in its record.
  void dispatch(std::uint32_t idx, const AccessSet& access, Cycle at);

  /// Instructions that may still be running at cycle `at` (for barriers and signals).
  std::vector<std::uint32_t> in_flight(Cycle at);

 private:
  struct Entry {
    std::uint32_t idx;
    AccessSet access;
  };
  void retire(Cycle at);

  CoreState& m_state;
  std::vector<Entry> m_entries;
};

}  // namespace npusim::npu
