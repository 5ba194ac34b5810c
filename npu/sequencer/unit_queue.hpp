#pragma once
/// An execution unit's instruction queue: a fixed-depth FIFO of instruction indices. An entry
/// occupies its slot from dispatch until its unit starts it; a full queue stalls the sequencer.
#include <systemc>
#include <vector>

#include "npu/common/error.hpp"

namespace npusim::npu {

class UnitQueue {
 public:
  explicit UnitQueue(std::uint32_t depth) : m_ring(depth) {}

  bool empty() const { return m_count == 0; }
  bool full() const { return m_count == m_ring.size(); }
  std::uint32_t size() const { return m_count; }
  std::uint32_t depth() const { return static_cast<std::uint32_t>(m_ring.size()); }

  void push(std::uint32_t idx) {
    NPUSIM_ASSERT(!full(), "push into a full unit queue");
    m_ring[(m_head + m_count) % m_ring.size()] = idx;
    ++m_count;
    m_pushed.notify(sc_core::SC_ZERO_TIME);
  }
  std::uint32_t front() const { return m_ring[m_head]; }
  void pop() {
    NPUSIM_ASSERT(!empty(), "pop from an empty unit queue");
    m_head = (m_head + 1) % m_ring.size();
    --m_count;
    m_popped.notify(sc_core::SC_ZERO_TIME);
  }

  sc_core::sc_event& pushed() { return m_pushed; }
  sc_core::sc_event& popped() { return m_popped; }

 private:
  std::vector<std::uint32_t> m_ring;
  std::uint32_t m_head = 0;
  std::uint32_t m_count = 0;
  sc_core::sc_event m_pushed;
  sc_core::sc_event m_popped;
};

}  // namespace npusim::npu
