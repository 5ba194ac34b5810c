#pragma once
/// One NPU core: a sequencer feeding a matrix unit, a vector unit and `dma.queues` DMA engines,
/// all working on the core's scratchpad (CoreState) and the shared DRAM.
#include <memory>
#include <systemc>
#include <vector>

#include "npu/dma/dma_engine.hpp"
#include "npu/matrix/matrix_unit.hpp"
#include "npu/sequencer/sequencer.hpp"
#include "npu/vector/vector_unit.hpp"

namespace npusim::npu {

class Core : public sc_core::sc_module {
 public:
  Core(const sc_core::sc_module_name& name, CoreState& state, Dram& dram, FlagTable& flags);

  const Sequencer& sequencer() const { return *m_sequencer; }

 private:
  MatrixUnit matrix;
  VectorUnit vector;
  std::vector<std::unique_ptr<DmaEngine>> m_dma;
  std::unique_ptr<Sequencer> m_sequencer;
};

}  // namespace npusim::npu
