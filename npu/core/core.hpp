#pragma once
/// One NPU core: a sequencer feeding a matrix unit, a vector unit and `dma.queues` DMA engines,
/// all working on the core's scratchpad (CoreState) and the shared DRAM.
///
/// The core is one SystemC process, a scheduler that advances its sequencer and units
/// analytically: it issues and starts instructions as soon as their cycles are known, which
/// may be far ahead of simulated time, and yields to the SystemC scheduler only where it must
/// hear from the rest of the NPU: the end of a DRAM transfer shared with other cores, and
/// flags. Alone on the DRAM (one core with instructions), it drives the DRAM itself and runs to
/// the end in one activation.
#include <memory>
#include <systemc>
#include <vector>

#include "npu/dma/dma_engine.hpp"
#include "npu/matrix/matrix_unit.hpp"
#include "npu/sequencer/sequencer.hpp"
#include "npu/vector/vector_unit.hpp"

namespace npusim::npu {

class Core : public sc_core::sc_module, public DramClient, private SequencerHost {
 public:
  Core(const sc_core::sc_module_name& name, CoreState& state, Dram& dram, FlagTable& flags);

  const Sequencer& sequencer() const { return m_sequencer; }
  /// Every instruction issued and completed.
  bool finished() const { return m_sequencer.finished() && m_state.unfinished == 0; }

  /// Something the core waits for (a flag) changed: run again.
  void wake() { m_wake.notify(sc_core::SC_ZERO_TIME); }
  void transfer_done(std::uint32_t tag, Cycle end) override;

 private:
  void on_wake();
  /// Issues and starts everything whose cycles are known.
  void pump();
  ExecUnit& unit(std::uint32_t u) override { return *m_units[u]; }
  bool reached(Cycle cycle) override;

  CoreState& m_state;
  Dram& m_dram;
  MatrixUnit m_matrix;
  VectorUnit m_vector;
  std::vector<std::unique_ptr<DmaEngine>> m_dma;
  std::vector<ExecUnit*> m_units;  ///< per unit index (nullptr for the sequencer)
  Sequencer m_sequencer;
  sc_core::sc_event m_wake;
};

}  // namespace npusim::npu
