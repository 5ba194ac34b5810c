#pragma once
/// An execution unit's instruction queue: a fixed-depth FIFO of dispatched instructions. An
/// entry occupies its slot from dispatch until its unit starts it; a full queue stalls the
/// sequencer.
#include <systemc>
#include <vector>

#include "npu/common/error.hpp"
#include "npu/isa/access.hpp"

namespace npusim::npu {

/// A dispatched instruction: its index in the core's stream and the memory it touches
/// (computed once, at dispatch, for the scoreboard and reused by the unit).
struct QueueEntry {
  std::uint32_t idx = 0;
  AccessSet access;
};

class UnitQueue {
 public:
  explicit UnitQueue(std::uint32_t depth) : m_ring(depth) {}

  bool empty() const { return m_count == 0; }
  bool full() const { return m_count == m_ring.size(); }
  std::uint32_t size() const { return m_count; }
  std::uint32_t depth() const { return static_cast<std::uint32_t>(m_ring.size()); }

  void push(const QueueEntry& e) {
    NPUSIM_ASSERT(!full(), "push into a full unit queue");
    m_ring[(m_head + m_count) % m_ring.size()] = e;
    ++m_count;
    m_pushed.notify(sc_core::SC_ZERO_TIME);
    if (m_depth_signal) m_depth_signal->write(static_cast<int>(m_count));
  }
  const QueueEntry& front() const { return m_ring[m_head]; }
  void pop() {
    NPUSIM_ASSERT(!empty(), "pop from an empty unit queue");
    m_head = (m_head + 1) % m_ring.size();
    --m_count;
    m_popped.notify(sc_core::SC_ZERO_TIME);
    if (m_depth_signal) m_depth_signal->write(static_cast<int>(m_count));
  }

  /// Mirrors the occupancy into a signal (VCD tracing).
  void trace_depth(sc_core::sc_signal<int, sc_core::SC_MANY_WRITERS>* s) { m_depth_signal = s; }

  sc_core::sc_event& pushed() { return m_pushed; }
  sc_core::sc_event& popped() { return m_popped; }

 private:
  std::vector<QueueEntry> m_ring;
  std::uint32_t m_head = 0;
  std::uint32_t m_count = 0;
  sc_core::sc_event m_pushed;
  sc_core::sc_event m_popped;
  sc_core::sc_signal<int, sc_core::SC_MANY_WRITERS>* m_depth_signal = nullptr;
};

}  // namespace npusim::npu
