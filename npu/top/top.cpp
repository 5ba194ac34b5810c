#include "npu/top/top.hpp"

#include <fmt/format.h>

namespace npusim::npu {

Top::Top(const sc_core::sc_module_name& name, const NpuConfig& hw, const Program& program, bool numerics,
         std::vector<std::uint8_t>* dram_bytes)
    : sc_core::sc_module(name), m_dram("dram", hw.dram), m_flags(program.flags.size()) {
  for (std::uint32_t c = 0; c < hw.cores; ++c) {
    const Stream* stream = &m_empty;
    for (const Stream& s : program.streams) {
      if (s.core == c) stream = &s;
    }
    m_states.push_back(std::make_unique<CoreState>(program, *stream, hw, c, numerics, dram_bytes));
    m_cores.push_back(std::make_unique<Core>(fmt::format("core{}", c).c_str(), *m_states.back(), m_dram, m_flags));
  }
}

}  // namespace npusim::npu
