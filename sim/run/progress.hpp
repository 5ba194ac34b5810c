#pragma once
/// Progress reporting for long runs, on stderr: nothing for short work (under a second), a
/// redrawn bar on a terminal, a line per 10% otherwise (CI logs).
#include <chrono>
#include <string>

namespace npusim::sim {

class Progress {
 public:
  explicit Progress(std::string what, bool enabled = true);
  ~Progress();
  void update(double fraction);

 private:
  std::string m_what;
  bool m_enabled;
  bool m_tty;
  bool m_shown = false;
  int m_last_decile = -1;
  std::chrono::steady_clock::time_point m_start;
  std::chrono::steady_clock::time_point m_last_draw;
};

}  // namespace npusim::sim
