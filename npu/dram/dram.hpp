#pragma once
/// DRAM shared by every DMA engine of every core. Bandwidth is divided among the transfers in
/// flight by max-min fairness (water-filling): each gets an equal share, capped at its engine's
/// own rate, and what a capped engine leaves over goes to the others. Shares change only when a
/// transfer starts or ends; the model computes the next such moment and handles nothing in
/// between (DRAMSys-style), so idle and steady cycles cost nothing to simulate.
///
/// Cores announce a transfer as soon as they know when it starts, which may be ahead of
/// simulated time; the DRAM admits it at that cycle. Events (an arrival, the earliest
/// completion) are handled in cycle order by process(). Who calls it depends on how many cores
/// run: with several, the DRAM's own SystemC process does, at each event's simulated time, and
/// tells each core when its transfer ends; with one core, nothing else can ever add a transfer,
/// so that core calls process() itself when it has nothing else to do (direct mode) and runs
/// without yielding to the SystemC scheduler.
#include <algorithm>
#include <systemc>
#include <vector>

#include "npu/common/cycles.hpp"
#include "npu/config.hpp"

namespace npusim::npu {

/// Receives the end of its transfers.
class DramClient {
 public:
  virtual ~DramClient() = default;
  /// Transfer `tag` moved its last byte at cycle `end`.
  virtual void transfer_done(std::uint32_t tag, Cycle end) = 0;
};

class Dram : public sc_core::sc_module {
 public:
  Dram(const sc_core::sc_module_name& name, const DramConfig& cfg);

  /// Direct mode: a single client drives process() itself; the SystemC process stays idle.
  void set_direct(bool direct) { m_direct = direct; }
  bool direct() const { return m_direct; }

  /// Moves `bytes` (> 0) at no more than `cap` bytes/cycle, starting at cycle `at`, which is not
  /// before the last event processed; `client` is told when it ends.
  void add(Cycle at, double bytes, double cap, DramClient* client, std::uint32_t tag);

  /// The cycle of the next event (an arrival or a completion), kUnknownCycle when idle.
  Cycle next_event() const { return std::min(m_next_arrival, m_next_completion); }
  /// Handles every event at cycle `t` (== next_event()): brings the transfers up to `t`, ends
  /// the finished ones (telling their clients), admits the arrivals, and shares again.
  void process(Cycle t);

  /// Cycles during which at least one transfer was moving data.
  Cycle active_cycles() const { return m_active_cycles; }

 private:
  struct Transfer {
    double remaining;
    double cap;
    double rate;
    double tolerance;
    DramClient* client;
    std::uint32_t tag;
  };
  struct Arrival {
    Cycle at;
    Transfer transfer;
  };

  void reshare();         ///< recomputes the rates
  void on_wakeup();       ///< SystemC process (several cores)
  void schedule();        ///< sets the SystemC wake-up at next_event()

  const DramConfig m_cfg;
  bool m_direct = false;
  std::vector<Transfer> m_active;    ///< in arrival order
  /// Announced transfers not yet admitted, in announcement order (ties in cycle keep it). An
  /// engine announces one transfer at a time: a few entries, scanned rather than kept in a heap.
  std::vector<Arrival> m_arrivals;
  Cycle m_next_arrival = kUnknownCycle;  ///< the earliest of their cycles
  std::vector<std::size_t> m_order;  ///< scratch for reshare()
  std::vector<Transfer> m_finished;  ///< scratch for process()
  Cycle m_last = 0;
  Cycle m_next_completion = kUnknownCycle;
  Cycle m_active_cycles = 0;
  Cycle m_scheduled = kUnknownCycle;  ///< cycle of the pending SystemC wake-up
  sc_core::sc_event m_wakeup;
};

}  // namespace npusim::npu
