#include "npu/core/core_state.hpp"

#include <systemc>

namespace npusim::npu {

namespace {
constexpr std::uint64_t kPicosecondsPerCycle = 1000;  // default time resolution is 1 ps
}

Cycle now_cycles() { return sc_core::sc_time_stamp().value() / kPicosecondsPerCycle; }

sc_core::sc_time cycles_to_time(Cycle c) { return sc_core::sc_time::from_value(c * kPicosecondsPerCycle); }

CoreState::CoreState(const Program& p, const Stream& s, const NpuConfig& hw_, std::uint32_t core_, bool numerics_,
                     std::vector<std::uint8_t>* dram, SharedRun& shared_)
    : program(p), stream(s), hw(hw_), core(core_), numerics(numerics_), shared(shared_), records(s.code.size()) {
  const std::uint32_t units = unit_count(hw.core);
  counters.resize(units);
  for (auto& c : counters) c.dependency_cycles.assign(units, 0);
  if (numerics) scratchpad.assign(hw.core.scratchpad.size_bytes, 0);
  memories.dram = dram;
  memories.scratchpad = &scratchpad;
}

}  // namespace npusim::npu
