#pragma once
/// An execution unit's instruction queue: a fixed-depth FIFO of dispatched instructions. An
/// entry occupies its slot from dispatch until its unit starts it; a full queue stalls the
/// sequencer.
#include <vector>

#include "npu/common/cycles.hpp"
#include "npu/common/error.hpp"

namespace npusim::npu {

/// A dispatched instruction, with what its unit needs to run it (worked out at dispatch, in
/// program order: the cost, hand-off included).
struct QueueEntry {
  std::uint32_t idx = 0;      ///< index in its thread's stream
  std::uint32_t thread = 0;   ///< the hardware thread that dispatched it
  Cycle busy = 0;             ///< compute units: cycles on the unit; DMA: descriptor setup cycles
  Cycle latency = 0;          ///< after the unit is free, cycles until dependants may use the result
  double dram_bytes = 0;      ///< DMA: burst-rounded bytes to move (0: none)
  double cap = 0;             ///< DMA: the engine's rate limit, bytes/cycle
  Cycle ideal_transfer = 0;   ///< DMA: transfer cycles at the cap, DRAM unshared
};

class UnitQueue {
 public:
  explicit UnitQueue(std::uint32_t depth) : m_ring(depth) {}

  bool empty() const { return m_count == 0; }
  bool full() const { return m_count == m_ring.size(); }
  std::uint32_t size() const { return m_count; }
  std::uint32_t depth() const { return static_cast<std::uint32_t>(m_ring.size()); }

  /// Appends an entry with default values and returns it, to be filled in place.
  QueueEntry& push() {
    NPUSIM_ASSERT(!full(), "push into a full unit queue");
    std::size_t slot = m_head + m_count;
    if (slot >= m_ring.size()) slot -= m_ring.size();
    ++m_count;
    return m_ring[slot] = QueueEntry{};
  }
  const QueueEntry& front() const { return m_ring[m_head]; }
  void pop() {
    NPUSIM_ASSERT(!empty(), "pop from an empty unit queue");
    if (++m_head == m_ring.size()) m_head = 0;
    --m_count;
  }

 private:
  std::vector<QueueEntry> m_ring;
  std::uint32_t m_head = 0;
  std::uint32_t m_count = 0;
};

}  // namespace npusim::npu
