#include "npu/core/core.hpp"

namespace npusim::npu {

Core::Core(const sc_core::sc_module_name& name, CoreState& state, Dram& dram, FlagTable& flags)
    : sc_core::sc_module(name),
      m_state(state),
      m_dram(dram),
      m_matrix(state, *this),
      m_vector(state, *this) {
  m_units.assign(unit_count(state.hw.core), nullptr);
  m_units[kMatrixUnit] = &m_matrix;
  m_units[kVectorUnit] = &m_vector;
  for (std::uint32_t q = 0; q < state.hw.core.dma.queues; ++q) {
    m_dma.push_back(std::make_unique<DmaEngine>(state, q, static_cast<UnitHost&>(*this), dram, *this));
    m_units[kFirstDmaUnit + q] = m_dma.back().get();
  }
  for (std::uint32_t t = 0; t < state.threads.size(); ++t) {
    m_sequencers.push_back(std::make_unique<Sequencer>(state, t, static_cast<SequencerHost&>(*this), flags, m_units));
  }
  for (const std::uint32_t t : state.working) m_working.push_back(m_sequencers[t].get());
  SC_HAS_PROCESS(Core);
  SC_METHOD(on_wake);
  sensitive << m_wake;
}

bool Core::finished() const {
  for (const Sequencer* s : m_working) {  // the others have nothing to issue
    if (!s->finished()) return false;
  }
  return !m_state.unfinished();
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
    for (Sequencer* s : m_working) {
      while (s->issue()) {
        moved = true;
        m_state.shared.tick();
      }
      moved |= s->release_context();
    }
    if (!moved && (m_working.size() <= 1 || !take_earliest())) return;  // one thread contends with none
  }
}

bool Core::take_earliest() {
  Cycle best = kUnknownCycle;
  ExecUnit* unit = nullptr;
  Sequencer* sequencer = nullptr;
  for (std::uint32_t u = kMatrixUnit; u < m_units.size(); ++u) {
    const Cycle at = m_units[u]->pending_start();
    if (at < best) {
      best = at;
      unit = m_units[u];
    }
  }
  for (auto& s : m_sequencers) {
    const Cycle at = s->pending_grant();
    if (at < best) {
      best = at;
      unit = nullptr;
      sequencer = s.get();
    }
  }
  if (best == kUnknownCycle) return false;
  if (m_dram.direct()) {
    const Cycle dram = m_dram.next_event();  // a transfer ending by then may change the picture
    if (dram != kUnknownCycle && dram <= best) return false;
  } else if (!reached(best)) {
    return false;
  }
  if (unit) {
    unit->force_start();
  } else {
    sequencer->grant();
  }
  return true;
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
