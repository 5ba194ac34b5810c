#pragma once
/// Counting flags shared by every core: `signal F` adds one, `wait F` blocks until F is
/// positive and takes one. The only way cores order work between them.
#include <memory>
#include <systemc>
#include <vector>

namespace npusim::npu {

class FlagTable {
 public:
  explicit FlagTable(std::size_t flags) {
    m_count.assign(flags, 0);
    for (std::size_t i = 0; i < flags; ++i) m_raised.push_back(std::make_unique<sc_core::sc_event>());
  }
  void signal(std::uint32_t f) {
    ++m_count[f];
    m_raised[f]->notify(sc_core::SC_ZERO_TIME);
  }
  /// Blocks the calling thread until flag f is positive, then decrements it.
  void wait(std::uint32_t f) {
    while (m_count[f] == 0) sc_core::wait(*m_raised[f]);
    --m_count[f];
  }

 private:
  std::vector<std::uint64_t> m_count;
  std::vector<std::unique_ptr<sc_core::sc_event>> m_raised;
};

}  // namespace npusim::npu
