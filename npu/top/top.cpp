#include "npu/top/top.hpp"

#include <fmt/format.h>

namespace npusim::npu {

Top::Top(const sc_core::sc_module_name& name, const NpuConfig& hw, const Program& program, bool numerics,
         std::vector<std::uint8_t>* dram_bytes, SharedRun& shared, sc_core::sc_trace_file* trace)
    : sc_core::sc_module(name),
      m_dram("dram", hw.dram),
      m_flags(program.flags.size(), [this](std::uint32_t core) { m_cores[core]->wake(); }) {
  if (trace) m_trace = std::make_unique<SignalTrace>("signals", trace, hw.cores, unit_names(hw.core));
  std::uint32_t active = 0;
  for (std::uint32_t c = 0; c < hw.cores; ++c) {
    const Stream* found = program.find_stream(c);
    const Stream* stream = found ? found : &m_empty;
    active += stream->code.empty() ? 0 : 1;
    m_states.push_back(std::make_unique<CoreState>(program, *stream, hw, c, numerics, dram_bytes, shared));
    m_states.back()->trace = m_trace.get();
    m_cores.push_back(std::make_unique<Core>(fmt::format("core{}", c).c_str(), *m_states.back(), m_dram, m_flags));
  }
  m_dram.set_direct(active <= 1);
}

}  // namespace npusim::npu
