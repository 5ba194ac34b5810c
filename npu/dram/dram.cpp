#include "npu/dram/dram.hpp"

#include <algorithm>
#include <numeric>

#include "npu/common/error.hpp"
#include "npu/core/core_state.hpp"
#include "npu/dma/dma_timing.hpp"

namespace npusim::npu {

Dram::Dram(const sc_core::sc_module_name& name, const DramConfig& cfg) : sc_core::sc_module(name), m_cfg(cfg) {
  SC_HAS_PROCESS(Dram);
  SC_METHOD(on_wakeup);
  sensitive << m_wakeup;
  dont_initialize();
}

void Dram::add(Cycle at, double bytes, double cap, DramClient* client, std::uint32_t tag) {
  NPUSIM_ASSERT(at >= m_last, "a DRAM transfer was announced after its start cycle had been processed");
  m_arrivals.push_back(Arrival{at, Transfer{bytes, cap, 0, std::max(1e-6, bytes * 1e-12), client, tag}});
  m_next_arrival = std::min(m_next_arrival, at);
  if (!m_direct && at < m_scheduled) schedule();
}

void Dram::reshare() {
  // Water-filling in ascending cap order (ties keep arrival order, so results are deterministic).
  double left = m_cfg.bytes_per_cycle;
  const std::size_t n = m_active.size();
  auto fill = [&](Transfer& tr, std::size_t i) {
    tr.rate = std::min(tr.cap, left / double(n - i));
    left -= tr.rate;
  };
  std::size_t i = 1;
  while (i < n && m_active[i - 1].cap <= m_active[i].cap) ++i;
  if (i >= n) {  // already in that order, as when every engine has the same cap: no sort
    for (i = 0; i < n; ++i) fill(m_active[i], i);
    return;
  }
  std::vector<std::size_t>& order = m_order;
  order.resize(n);
  std::iota(order.begin(), order.end(), 0);
  // The order of a stable sort on cap, without the buffer std::stable_sort allocates per call.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return m_active[a].cap != m_active[b].cap ? m_active[a].cap < m_active[b].cap : a < b;
  });
  for (i = 0; i < n; ++i) fill(m_active[order[i]], i);
}

void Dram::process(Cycle t) {
  // One pass brings every transfer up to `t` and moves the finished ones out, keeping the order.
  const Cycle dt = t - m_last;
  if (!m_active.empty()) m_active_cycles += dt;
  m_last = t;
  m_finished.clear();
  std::size_t kept = 0;
  for (Transfer& tr : m_active) {
    tr.remaining -= tr.rate * double(dt);
    if (tr.remaining <= tr.tolerance) {
      m_finished.push_back(tr);
    } else {
      m_active[kept++] = tr;
    }
  }
  m_active.resize(kept);
  if (m_next_arrival == t) {  // admits the arrivals at t in announcement order; the others wait
    m_next_arrival = kUnknownCycle;
    std::size_t waiting = 0;
    for (const Arrival& a : m_arrivals) {
      if (a.at == t) {
        m_active.push_back(a.transfer);
      } else {
        m_next_arrival = std::min(m_next_arrival, a.at);
        m_arrivals[waiting++] = a;
      }
    }
    m_arrivals.resize(waiting);
  }
  reshare();
  m_next_completion = kUnknownCycle;
  for (const Transfer& tr : m_active) {
    const Cycle left = tr.remaining <= tr.tolerance ? Cycle{0} : transfer_cycles(tr.remaining, tr.rate);
    m_next_completion = std::min(m_next_completion, t + left);
  }
  for (const Transfer& tr : m_finished) tr.client->transfer_done(tr.tag, t);
}

void Dram::schedule() {
  m_wakeup.cancel();
  m_scheduled = next_event();
  if (m_scheduled != kUnknownCycle) {
    const Cycle now = now_cycles();
    m_wakeup.notify(m_scheduled > now ? cycles_to_time(m_scheduled - now) : sc_core::SC_ZERO_TIME);
  }
}

void Dram::on_wakeup() {
  const Cycle now = now_cycles();
  if (next_event() == now) process(now);
  schedule();
}

}  // namespace npusim::npu
