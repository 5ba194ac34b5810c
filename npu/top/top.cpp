#include "npu/top/top.hpp"

#include <fmt/format.h>

namespace npusim::npu {

Top::Top(const sc_core::sc_module_name& name, const NpuConfig& hw, const Program& program, bool numerics,
         std::vector<std::uint8_t>* dram_bytes, sc_core::sc_trace_file* trace)
    : sc_core::sc_module(name), m_dram("dram", hw.dram), m_flags(program.flags.size()) {
  const auto names = unit_names(hw.core);
  for (std::uint32_t c = 0; c < hw.cores; ++c) {
    const Stream* found = program.find_stream(c);
    const Stream* stream = found ? found : &m_empty;
    m_states.push_back(std::make_unique<CoreState>(program, *stream, hw, c, numerics, dram_bytes));
    CoreState& state = *m_states.back();
    if (trace) {
      state.signals = std::make_unique<UnitSignals>();
      for (std::uint32_t u = 0; u < names.size(); ++u) {
        const std::string busy = fmt::format("core{}_{}_{}", c, names[u], u == kSequencerUnit ? "blocked" : "busy");
        state.signals->busy.push_back(std::make_unique<sc_core::sc_signal<bool>>(busy.c_str()));
        sc_core::sc_trace(trace, *state.signals->busy.back(), busy);
        const std::string depth = fmt::format("core{}_{}_queue_depth", c, names[u]);
        state.signals->queue_depth.push_back(
            std::make_unique<sc_core::sc_signal<int, sc_core::SC_MANY_WRITERS>>(depth.c_str()));
        if (u != kSequencerUnit) sc_core::sc_trace(trace, *state.signals->queue_depth.back(), depth);
      }
    }
    m_cores.push_back(std::make_unique<Core>(fmt::format("core{}", c).c_str(), state, m_dram, m_flags));
  }
}

}  // namespace npusim::npu
