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

  /// What decides a descriptor's cost (dma_cost()): its direction and the shape of its DRAM-side
  /// region, with the address within a burst (how its rows fall on bursts).
  struct ShapeKey {
    bool load = false;
    std::uint32_t rows = 0, row_bytes = 0;
    std::uint64_t stride_bytes = 0;
    std::uint64_t burst_offset = 0;
    bool operator==(const ShapeKey& o) const {
      return load == o.load && rows == o.rows && row_bytes == o.row_bytes && stride_bytes == o.stride_bytes &&
             burst_offset == o.burst_offset;
    }
  };
  /// The cost of the last shape prepared, and its worst case: streams move tiles of a few shapes,
  /// each queue mostly one, over and over.
  bool m_costed = false;
  ShapeKey m_key;
  InstructionCost m_cost;
  Cycle m_worst = 0;

  Dram& m_dram;
  DramClient& m_client;
  QueueEntry m_current;  ///< the running descriptor
  Cycle m_start = 0;     ///< its start
};

}  // namespace npusim::npu
