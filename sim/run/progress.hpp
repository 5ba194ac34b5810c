#pragma once
/// Progress reporting for long runs, on stderr: nothing for short work (under a second), a
/// redrawn bar on a terminal, a line per 10% otherwise (CI logs). A run names its steps
/// (generating inputs, simulating, ...) on one bar, so that the first report comes a second
/// after the run began, whichever step it is in.
#include <chrono>
#include <functional>
#include <string>

namespace npusim::sim {

class Progress {
 public:
  explicit Progress(std::string what, bool enabled = true);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Starts a step ("generating inputs"); its fraction starts at 0.
  void step(const std::string& name);
  /// The fraction of the current step done, in [0, 1]; `detail`, when given, follows the
  /// percentage (counts, rate, ETA).
  void update(double fraction, const std::string& detail = "");
  /// update() as a callback, for code that knows nothing of Progress.
  std::function<void(double)> callback();

 private:
  std::string m_what;
  std::string m_step;
  bool m_enabled;
  bool m_tty;
  bool m_shown = false;
  int m_last_decile = -1;
  std::chrono::steady_clock::time_point m_start;
  std::chrono::steady_clock::time_point m_last_draw;
};

}  // namespace npusim::sim
