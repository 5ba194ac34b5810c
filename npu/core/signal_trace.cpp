#include "npu/core/signal_trace.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/core/core_state.hpp"
#include "npu/core/units.hpp"

namespace npusim::npu {

SignalTrace::SignalTrace(const sc_core::sc_module_name& name, sc_core::sc_trace_file* file, std::uint32_t cores,
                         const std::vector<std::string>& unit_names)
    : sc_core::sc_module(name), m_units(static_cast<std::uint32_t>(unit_names.size())) {
  for (std::uint32_t c = 0; c < cores; ++c) {
    for (std::uint32_t u = 0; u < m_units; ++u) {
      const std::string busy =
          fmt::format("core{}_{}_{}", c, unit_names[u], u == kSequencerUnit ? "blocked" : "busy");
      m_busy.push_back(std::make_unique<sc_core::sc_signal<bool>>(busy.c_str()));
      sc_core::sc_trace(file, *m_busy.back(), busy);
      const std::string depth = fmt::format("core{}_{}_queue_depth", c, unit_names[u]);
      m_depth.push_back(std::make_unique<sc_core::sc_signal<int>>(depth.c_str()));
      if (u != kSequencerUnit) sc_core::sc_trace(file, *m_depth.back(), depth);
    }
  }
  m_depth_value.assign(m_depth.size(), 0);
  m_blocked.assign(cores, 0);
  SC_HAS_PROCESS(SignalTrace);
  SC_METHOD(on_wakeup);
  sensitive << m_wakeup;
  dont_initialize();
}

void SignalTrace::busy(std::uint32_t core, std::uint32_t unit, Cycle at, bool value) {
  push(at, core * m_units + unit, value ? 1 : 0);
}

void SignalTrace::queue(std::uint32_t core, std::uint32_t unit, Cycle at, int delta) {
  push(at, static_cast<std::uint32_t>(m_busy.size()) + core * m_units + unit, delta);
}

void SignalTrace::push(Cycle at, std::uint32_t signal, int value) {
  NPUSIM_ASSERT(at >= now_cycles(), "a traced signal changes before the current cycle");
  m_changes.push_back(Change{at, m_seq++, signal, value});
  std::push_heap(m_changes.begin(), m_changes.end(), std::greater<>());
  if (at < m_scheduled) {
    m_wakeup.cancel();
    m_scheduled = at;
    const Cycle now = now_cycles();
    m_wakeup.notify(at > now ? cycles_to_time(at - now) : sc_core::SC_ZERO_TIME);
  }
}

void SignalTrace::on_wakeup() {
  const Cycle now = now_cycles();
  while (!m_changes.empty() && m_changes.front().at <= now) {
    std::pop_heap(m_changes.begin(), m_changes.end(), std::greater<>());
    const Change c = m_changes.back();
    m_changes.pop_back();
    if (c.signal < m_busy.size() && c.signal % m_units == kSequencerUnit) {
      m_blocked[c.signal / m_units] += c.value;
      m_busy[c.signal]->write(m_blocked[c.signal / m_units] > 0);
    } else if (c.signal < m_busy.size()) {
      m_busy[c.signal]->write(c.value != 0);
    } else {
      const std::uint32_t d = c.signal - static_cast<std::uint32_t>(m_busy.size());
      m_depth_value[d] += c.value;
      m_depth[d]->write(m_depth_value[d]);
    }
  }
  m_scheduled = kUnknownCycle;
  if (!m_changes.empty()) {
    m_scheduled = m_changes.front().at;
    m_wakeup.notify(cycles_to_time(m_scheduled - now));
  }
}

}  // namespace npusim::npu
