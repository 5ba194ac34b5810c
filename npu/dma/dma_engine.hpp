#pragma once
/// One DMA queue: an in-order engine moving 2-D strided blocks between DRAM and the scratchpad.
/// Timing in dma_timing.hpp; the transfer itself shares DRAM bandwidth (dram/dram.hpp), so its
/// end is known only when the DRAM reports it (transfer_done()).
#include "npu/core/exec_unit.hpp"
#include "npu/dram/dram.hpp"

namespace npusim::npu {

class DmaEngine : public ExecUnit {
 public:
  /// `client` is told of the transfers' ends (the core, which calls transfer_done()).
  DmaEngine(CoreState& state, std::uint32_t queue, UnitHost& host, Dram& dram, DramClient& client);

  /// The running transfer moved its last byte at cycle `end`.
  void transfer_done(Cycle end);

 private:
  void prepare(ThreadState& thread, QueueEntry& e) override;
  void run(const QueueEntry& entry, Cycle start) override;
  /// Ends the running descriptor: the engine moves on at `end`; the data lands a DRAM latency later.
  void end_descriptor(Cycle end);

  Dram& m_dram;
  DramClient& m_client;
  QueueEntry m_current;  ///< the running descriptor
  Cycle m_start = 0;     ///< its start
};

}  // namespace npusim::npu
