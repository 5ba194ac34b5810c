#pragma once
/// Counting flags shared by every core and thread: `signal F` adds one, `wait F` blocks until F
/// is positive and takes one. The only way cores and threads order work between them. Cores
/// use them at the simulated cycle of the instruction (a core that runs ahead first lets
/// simulated time catch up), so every core sees the flags in cycle order. Each signal keeps its
/// cycle, and a wait takes the earliest one raised so far: the threads of a core alone on the
/// DRAM run ahead of simulated time and meet at those cycles.
#include <cstdint>
#include <algorithm>
#include <functional>
#include <vector>

#include "npu/common/cycles.hpp"

namespace npusim::npu {

class FlagTable {
 public:
  /// `wake(core)` is called when a flag a core waits for is raised.
  FlagTable(std::size_t flags, std::function<void(std::uint32_t)> wake)
      : m_raised(flags), m_waiting(flags), m_wake(std::move(wake)) {}

  /// Adds one to flag f, raised at cycle `at`.
  void signal(std::uint32_t f, Cycle at) {
    m_raised[f].insert(std::upper_bound(m_raised[f].begin(), m_raised[f].end(), at), at);
    for (std::uint32_t core : m_waiting[f]) m_wake(core);
    m_waiting[f].clear();
  }
  /// Takes one from flag f if it is positive and returns the cycle it was raised; otherwise
  /// returns kUnknownCycle and `core` is woken at the next signal.
  Cycle try_wait(std::uint32_t f, std::uint32_t core) {
    if (!m_raised[f].empty()) {
      const Cycle at = m_raised[f].front();
      m_raised[f].erase(m_raised[f].begin());
      return at;
    }
    if (std::find(m_waiting[f].begin(), m_waiting[f].end(), core) == m_waiting[f].end()) m_waiting[f].push_back(core);
    return kUnknownCycle;
  }

 private:
  std::vector<std::vector<Cycle>> m_raised;  ///< per flag, the cycles of its signals not yet taken, in order
  std::vector<std::vector<std::uint32_t>> m_waiting;
  std::function<void(std::uint32_t)> m_wake;
};

}  // namespace npusim::npu
