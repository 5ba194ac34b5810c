#pragma once
/// One NPU core: `sequencer.threads` hardware threads, each a sequencer feeding the core's
/// matrix unit, vector unit and `dma.queues` DMA engines, all working on the core's scratchpad
/// (CoreState) and the shared DRAM.
///
/// The core is one SystemC process, a scheduler that advances its sequencer and units
/// analytically: it issues and starts instructions as soon as their cycles are known, which
/// may be far ahead of simulated time, and yields to the SystemC scheduler only where it must
/// hear from the rest of the NPU: the end of a DRAM transfer shared with other cores, and
/// flags. Alone on the DRAM (one core with instructions), it drives the DRAM itself and runs to
/// the end in one activation. With several threads, what threads contend for (a unit, the
/// matrix unit's lock, a vector context) goes in cycle order: when nothing more is certain, the
/// core takes the earliest pending start or grant, unless the DRAM or another core may have an
/// earlier event.
#include <memory>
#include <systemc>
#include <vector>

#include "npu/dma/dma_engine.hpp"
#include "npu/matrix/matrix_unit.hpp"
#include "npu/sequencer/sequencer.hpp"
#include "npu/vector/vector_unit.hpp"

namespace npusim::npu {

class Core : public sc_core::sc_module, public DramClient, private SequencerHost, private UnitHost {
 public:
  Core(const sc_core::sc_module_name& name, CoreState& state, Dram& dram, FlagTable& flags);

  const Sequencer& sequencer(std::uint32_t thread) const { return *m_sequencers[thread]; }
  /// Every instruction issued and completed.
  bool finished() const;

  /// Something the core waits for (a flag) changed: run again.
  void wake() { m_wake.notify(sc_core::SC_ZERO_TIME); }
  void transfer_done(std::uint32_t tag, Cycle end) override;

 private:
  void on_wake();
  /// Issues and starts everything whose cycles are known.
  void pump();
  /// Threads: starts or grants the earliest pending thing, if nothing can come before it.
  bool take_earliest();
  bool reached(Cycle cycle) override;
  Cycle next_dispatch(std::uint32_t thread) const override { return m_sequencers[thread]->next_dispatch(); }

  CoreState& m_state;
  Dram& m_dram;
  MatrixUnit m_matrix;
  VectorUnit m_vector;
  std::vector<std::unique_ptr<DmaEngine>> m_dma;
  std::vector<ExecUnit*> m_units;  ///< per unit index (nullptr for the sequencer)
  std::vector<std::unique_ptr<Sequencer>> m_sequencers;  ///< per thread
  std::vector<Sequencer*> m_working;  ///< those of the threads with instructions (the others never issue)
  sc_core::sc_event m_wake;
};

}  // namespace npusim::npu
