#pragma once
/// The NPU: `cores` identical cores sharing one DRAM and one flag table.
#include <memory>
#include <systemc>
#include <vector>

#include "npu/core/core.hpp"
#include "npu/core/signal_trace.hpp"
#include "npu/dram/dram.hpp"
#include "npu/sequencer/flags.hpp"

namespace npusim::npu {

class Top : public sc_core::sc_module {
 public:
  /// With `trace` (a SystemC trace file), every unit's busy signal and queue depth is traced.
  Top(const sc_core::sc_module_name& name, const NpuConfig& hw, const Program& program, bool numerics,
      std::vector<std::uint8_t>* dram_bytes, SharedRun& shared, sc_core::sc_trace_file* trace = nullptr);

  std::vector<std::unique_ptr<CoreState>>& states() { return m_states; }
  const Core& core(std::size_t i) const { return *m_cores[i]; }
  const Dram& dram() const { return m_dram; }

 private:
  Dram m_dram;
  FlagTable m_flags;
  Stream m_empty;  ///< the stream of a thread the program gives no instructions
  std::unique_ptr<SignalTrace> m_trace;
  std::vector<std::unique_ptr<CoreState>> m_states;
  std::vector<std::unique_ptr<Core>> m_cores;
};

}  // namespace npusim::npu
