#include "npu/core/core.hpp"

namespace npusim::npu {

Core::Core(const sc_core::sc_module_name& name, CoreState& state, Dram& dram, FlagTable& flags)
    : sc_core::sc_module(name),
      m_state(state),
      m_dram(dram),
      m_matrix(state),
      m_vector(state),
      m_sequencer(state, *this, flags) {
  m_units.assign(unit_count(state.hw.core), nullptr);
  m_units[kMatrixUnit] = &m_matrix;
  m_units[kVectorUnit] = &m_vector;
  for (std::uint32_t q = 0; q < state.hw.core.dma.queues; ++q) {
    m_dma.push_back(std::make_unique<DmaEngine>(state, q, dram, *this));
    m_units[kFirstDmaUnit + q] = m_dma.back().get();
  }
  SC_HAS_PROCESS(Core);
  SC_METHOD(on_wake);
  sensitive << m_wake;
}

void Core::transfer_done(std::uint32_t tag, Cycle end) {
  m_dma[tag - kFirstDmaUnit]->transfer_done(end);
  if (!m_dram.direct()) wake();
}

bool Core::reached(Cycle cycle) {
  if (m_dram.direct()) return true;  // alone: nobody else can observe the order
  const Cycle now = now_cycles();
  if (cycle <= now) return true;
  m_wake.notify(cycles_to_time(cycle - now));
  return false;
}

void Core::pump() {
  for (;;) {
    bool moved = false;
    for (std::uint32_t u = kMatrixUnit; u < m_units.size(); ++u) {
      while (m_units[u]->try_start()) moved = true;
    }
    while (m_sequencer.issue()) {
      moved = true;
      m_state.shared.tick();
    }
    if (!moved) return;
  }
}

void Core::on_wake() {
  try {
    pump();
    if (!m_dram.direct()) return;  // the DRAM and the flags wake this process
    while (!finished()) {
      const Cycle t = m_dram.next_event();
      if (t == kUnknownCycle) return;  // blocked for good: simulate() reports it
      m_dram.process(t);
      pump();
    }
  } catch (...) {
    if (!m_state.shared.failure) {  // the first error stops the run
      m_state.shared.failure = std::current_exception();
      sc_core::sc_stop();
    }
  }
}

}  // namespace npusim::npu
