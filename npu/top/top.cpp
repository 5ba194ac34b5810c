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
    std::vector<const Stream*> streams;
    bool busy = false;
    for (std::uint32_t t = 0; t < hw.core.sequencer.threads; ++t) {
      const Stream* found = program.find_stream(c, t);
      streams.push_back(found ? found : &m_empty);
      busy |= !streams.back()->code.empty();
    }
    active += busy ? 1 : 0;
    m_states.push_back(std::make_unique<CoreState>(program, streams, hw, c, numerics, dram_bytes, shared));
    m_states.back()->trace = m_trace.get();
    m_cores.push_back(std::make_unique<Core>(fmt::format("core{}", c).c_str(), *m_states.back(), m_dram, m_flags));
  }
  m_dram.set_direct(active <= 1);
}

}  // namespace npusim::npu
