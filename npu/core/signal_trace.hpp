#pragma once
/// The VCD signals (SystemC tracing): every unit's busy signal, every queue's depth and each
/// sequencer's blocked signal. Units and sequencers run ahead of simulated time, so they report
/// each change with its cycle as soon as they know it, and this module's process writes the
/// signals when simulated time reaches that cycle (changes in one cycle in the order reported).
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "npu/common/cycles.hpp"

namespace npusim::npu {

class SignalTrace : public sc_core::sc_module {
 public:
  /// Traces `units` units (names `unit_names`) on each of `cores` cores into `file`.
  SignalTrace(const sc_core::sc_module_name& name, sc_core::sc_trace_file* file, std::uint32_t cores,
              const std::vector<std::string>& unit_names);

  /// Unit `unit` of core `core` becomes busy (or free) at cycle `at`.
  void busy(std::uint32_t core, std::uint32_t unit, Cycle at, bool value);
  /// An instruction enters (+1) or leaves (-1) the queue of the unit at cycle `at`.
  void queue(std::uint32_t core, std::uint32_t unit, Cycle at, int delta);
  /// A sequencer (thread) of core `core` is blocked (or runs again) from cycle `at`; the core's
  /// blocked signal is true while any of its threads is blocked.
  void blocked(std::uint32_t core, Cycle at, bool value) { push(at, core * m_units, value ? +1 : -1); }

 private:
  struct Change {
    Cycle at;
    std::uint64_t seq;
    std::uint32_t signal;  ///< index into m_busy, or m_busy.size() + index into m_depth
    int value;             ///< busy: 0 or 1; depth: the change
    bool operator>(const Change& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  void push(Cycle at, std::uint32_t signal, int value);
  void on_wakeup();

  std::uint32_t m_units;
  std::vector<int> m_blocked;  ///< per core, threads blocked
  std::vector<std::unique_ptr<sc_core::sc_signal<bool>>> m_busy;  ///< core * units + unit
  std::vector<std::unique_ptr<sc_core::sc_signal<int>>> m_depth;   ///< core * units + unit
  std::vector<int> m_depth_value;
  std::vector<Change> m_changes;  ///< min-heap on (at, seq)
  std::uint64_t m_seq = 0;
  Cycle m_scheduled = kUnknownCycle;
  sc_core::sc_event m_wakeup;
};

}  // namespace npusim::npu
