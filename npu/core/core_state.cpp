#include "npu/core/core_state.hpp"

namespace npusim::npu {

namespace {
constexpr std::uint64_t kPicosecondsPerCycle = 1000;  // default time resolution is 1 ps
}

Cycle now_cycles() { return sc_core::sc_time_stamp().value() / kPicosecondsPerCycle; }

sc_core::sc_time cycles_to_time(Cycle c) { return sc_core::sc_time::from_value(c * kPicosecondsPerCycle); }

void wait_cycles(Cycle c) {
  if (c > 0) sc_core::wait(cycles_to_time(c));
}

CoreState::CoreState(const Program& p, const Stream& s, const NpuConfig& hw_, std::uint32_t core_, bool numerics_,
                     std::vector<std::uint8_t>* dram)
    : program(p), stream(s), hw(hw_), core(core_), numerics(numerics_), records(s.code.size()) {
  const std::uint32_t units = unit_count(hw.core);
  counters.resize(units);
  for (auto& c : counters) c.dependency_cycles.assign(units, 0);
  for (std::uint32_t u = 0; u < units; ++u) m_progress.push_back(std::make_unique<sc_core::sc_event>());
  if (numerics) scratchpad.assign(hw.core.scratchpad.size_bytes, 0);
  memories.dram = dram;
  memories.scratchpad = &scratchpad;
}

void CoreState::wait_done(std::uint32_t idx) {
  const std::uint32_t unit = unit_of_instruction(idx);
  while (records[idx].done == kUnknownCycle) sc_core::wait(progress(unit));
  const Cycle now = now_cycles();
  if (records[idx].done > now) wait_cycles(records[idx].done - now);
}

}  // namespace npusim::npu
