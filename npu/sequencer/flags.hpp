#pragma once
/// Counting flags shared by every core: `signal F` adds one, `wait F` blocks until F is
/// positive and takes one. The only way cores order work between them. Cores use them at the
/// simulated cycle of the instruction (a core that runs ahead first lets simulated time catch
/// up), so every core sees the flags in cycle order.
#include <cstdint>
#include <algorithm>
#include <functional>
#include <vector>

namespace npusim::npu {

class FlagTable {
 public:
  /// `wake(core)` is called when a flag a core waits for is raised.
  FlagTable(std::size_t flags, std::function<void(std::uint32_t)> wake)
      : m_count(flags, 0), m_waiting(flags), m_wake(std::move(wake)) {}

  void signal(std::uint32_t f) {
    ++m_count[f];
    for (std::uint32_t core : m_waiting[f]) m_wake(core);
    m_waiting[f].clear();
  }
  /// Takes one from flag f if it is positive; otherwise `core` is woken at the next signal.
  bool try_wait(std::uint32_t f, std::uint32_t core) {
    if (m_count[f] > 0) {
      --m_count[f];
      return true;
    }
    if (std::find(m_waiting[f].begin(), m_waiting[f].end(), core) == m_waiting[f].end()) m_waiting[f].push_back(core);
    return false;
  }

 private:
  std::vector<std::uint64_t> m_count;
  std::vector<std::vector<std::uint32_t>> m_waiting;
  std::function<void(std::uint32_t)> m_wake;
};

}  // namespace npusim::npu
