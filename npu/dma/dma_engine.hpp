#pragma once
/// One DMA queue: an in-order engine moving 2-D strided blocks between DRAM and the scratchpad.
/// Timing in dma_timing.hpp; the transfer itself shares DRAM bandwidth (dram/dram.hpp).
#include "npu/core/exec_unit.hpp"
#include "npu/dram/dram.hpp"

namespace npusim::npu {

class DmaEngine : public ExecUnit {
 public:
  DmaEngine(const sc_core::sc_module_name& name, CoreState& state, std::uint32_t queue, Dram& dram);

 private:
  void run(const QueueEntry& entry) override;

  Dram& m_dram;
};

}  // namespace npusim::npu
