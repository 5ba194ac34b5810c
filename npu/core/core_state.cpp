#include "npu/core/core_state.hpp"

#include <systemc>

namespace npusim::npu {

namespace {
constexpr std::uint64_t kPicosecondsPerCycle = 1000;  // default time resolution is 1 ps
}

Cycle now_cycles() { return sc_core::sc_time_stamp().value() / kPicosecondsPerCycle; }

sc_core::sc_time cycles_to_time(Cycle c) { return sc_core::sc_time::from_value(c * kPicosecondsPerCycle); }

CoreState::CoreState(const Program& p, const std::vector<const Stream*>& streams, const NpuConfig& hw_,
                     std::uint32_t core_, bool numerics_, std::vector<std::uint8_t>* dram, SharedRun& shared_)
    : program(p), hw(hw_), core(core_), numerics(numerics_), shared(shared_), contexts(hw_.core.vector.contexts, 0) {
  threads.reserve(streams.size());
  for (std::uint32_t t = 0; t < streams.size(); ++t) threads.emplace_back(*streams[t], t);
  const std::uint32_t units = unit_count(hw.core);
  counters.resize(units);
  for (auto& c : counters) c.dependency_cycles.assign(units, 0);
  if (numerics) scratchpad.assign(hw.core.scratchpad.size_bytes, 0);
  memories.dram = dram;
  memories.scratchpad = &scratchpad;
}

bool CoreState::unfinished() const {
  for (const ThreadState& t : threads) {
    if (t.unfinished > 0) return true;
  }
  return false;
}

}  // namespace npusim::npu
