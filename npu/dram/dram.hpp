#pragma once
/// DRAM shared by every DMA engine of every core. Bandwidth is divided among the transfers in
/// flight by max-min fairness (water-filling): each gets an equal share, capped at its engine's
/// own rate, and what a capped engine leaves over goes to the others. Shares change only when a
/// transfer starts or ends; the model computes the next such moment and sleeps until then
/// (DRAMSys-style), so idle and steady cycles cost nothing to simulate.
#include <systemc>
#include <vector>

#include "npu/common/cycles.hpp"
#include "npu/config.hpp"

namespace npusim::npu {

class Dram : public sc_core::sc_module {
 public:
  Dram(const sc_core::sc_module_name& name, const DramConfig& cfg);

  /// Moves `bytes` at no more than `cap` bytes/cycle; blocks the calling thread until done.
  void transfer(double bytes, double cap);

  /// Cycles during which at least one transfer was moving data.
  Cycle active_cycles() const { return m_active_cycles; }

 private:
  struct Transfer {
    double remaining;
    double cap;
    double rate = 0;
    double tolerance;
    sc_core::sc_event done;
  };

  void advance();    ///< brings every transfer's remaining bytes up to now
  void reshare();    ///< recomputes the rates
  void reschedule(); ///< sets the wake-up at the next completion
  void on_wakeup();

  const DramConfig m_cfg;
  std::vector<Transfer*> m_active;
  std::vector<std::size_t> m_order;  ///< scratch for reshare()
  Cycle m_last = 0;
  Cycle m_active_cycles = 0;
  sc_core::sc_event m_wakeup;
};

}  // namespace npusim::npu
