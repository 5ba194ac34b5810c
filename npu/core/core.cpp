#include "npu/core/core.hpp"

namespace npusim::npu {

Core::Core(const sc_core::sc_module_name& name, CoreState& state, Dram& dram, FlagTable& flags)
    : sc_core::sc_module(name), matrix("matrix", state), vector("vector", state) {
  std::vector<UnitQueue*> queues(unit_count(state.hw.core), nullptr);
  queues[kMatrixUnit] = &matrix.queue();
  queues[kVectorUnit] = &vector.queue();
  for (std::uint32_t q = 0; q < state.hw.core.dma.queues; ++q) {
    m_dma.push_back(std::make_unique<DmaEngine>(unit_name(kFirstDmaUnit + q).c_str(), state, q, dram));
    queues[kFirstDmaUnit + q] = &m_dma.back()->queue();
  }
  if (state.signals) {
    for (std::uint32_t u = kMatrixUnit; u < queues.size(); ++u) queues[u]->trace_depth(state.signals->queue_depth[u].get());
  }
  m_sequencer = std::make_unique<Sequencer>("sequencer", state, std::move(queues), flags);
}

}  // namespace npusim::npu
