#include "npu/dram/dram.hpp"

#include <algorithm>
#include <numeric>

#include "npu/core/core_state.hpp"
#include "npu/dma/dma_timing.hpp"

namespace npusim::npu {

Dram::Dram(const sc_core::sc_module_name& name, const DramConfig& cfg) : sc_core::sc_module(name), m_cfg(cfg) {
  SC_HAS_PROCESS(Dram);
  SC_METHOD(on_wakeup);
  sensitive << m_wakeup;
  dont_initialize();
}

void Dram::transfer(double bytes, double cap) {
  if (bytes <= 0) return;
  Transfer t{bytes, cap, 0, std::max(1e-6, bytes * 1e-12), {}};
  advance();
  m_active.push_back(&t);
  reshare();
  reschedule();
  sc_core::wait(t.done);
}

void Dram::advance() {
  const Cycle now = now_cycles();
  const Cycle dt = now - m_last;
  if (!m_active.empty()) m_active_cycles += dt;
  for (Transfer* t : m_active) t->remaining -= t->rate * double(dt);
  m_last = now;
}

void Dram::reshare() {
  // Water-filling in ascending cap order (ties keep arrival order, so results are deterministic).
  std::vector<std::size_t>& order = m_order;
  order.resize(m_active.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return m_active[a]->cap < m_active[b]->cap; });
  double left = m_cfg.bytes_per_cycle;
  for (std::size_t i = 0; i < order.size(); ++i) {
    Transfer* t = m_active[order[i]];
    t->rate = std::min(t->cap, left / double(order.size() - i));
    left -= t->rate;
  }
}

void Dram::reschedule() {
  m_wakeup.cancel();
  if (m_active.empty()) return;
  Cycle next = kUnknownCycle;
  for (const Transfer* t : m_active) {
    next = std::min(next, t->remaining <= t->tolerance ? Cycle{0} : transfer_cycles(t->remaining, t->rate));
  }
  if (next == 0) {
    m_wakeup.notify(sc_core::SC_ZERO_TIME);
  } else {
    m_wakeup.notify(cycles_to_time(next));
  }
}

void Dram::on_wakeup() {
  advance();
  auto finished = [](const Transfer* t) { return t->remaining <= t->tolerance; };
  for (Transfer* t : m_active) {
    if (finished(t)) t->done.notify(sc_core::SC_ZERO_TIME);
  }
  m_active.erase(std::remove_if(m_active.begin(), m_active.end(), finished), m_active.end());
  reshare();
  reschedule();
}

}  // namespace npusim::npu
