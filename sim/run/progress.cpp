#include "sim/run/progress.hpp"

#include <algorithm>
#include <cstdio>
#include <fmt/format.h>
#include <unistd.h>

namespace npusim::sim {

Progress::Progress(std::string what, bool enabled)
    : m_what(std::move(what)),
      m_enabled(enabled),
      m_tty(isatty(fileno(stderr)) != 0),
      m_start(std::chrono::steady_clock::now()),
      m_last_draw(m_start) {}

Progress::~Progress() {
  if (m_shown && m_tty) std::fputs("\r\033[K", stderr);
}

void Progress::step(const std::string& name) {
  m_step = name;
  m_last_decile = -1;
  update(0.0);
}

std::function<void(double)> Progress::callback() {
  return [this](double f) { update(f); };
}

void Progress::update(double fraction, const std::string& detail) {
  if (!m_enabled) return;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - m_start).count();
  if (elapsed < 1.0) return;
  const std::string label = m_step.empty() ? m_what : m_what + ": " + m_step;
  if (m_tty) {
    if (m_shown && std::chrono::duration<double>(now - m_last_draw).count() < 0.2) return;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::fputs(fmt::format("\r\033[K{} [{}{}] {:3.0f}%  {}", label, std::string(filled, '#'),
                           std::string(kWidth - filled, ' '), 100 * fraction,
                           detail.empty() ? fmt::format("{:.0f}s", elapsed) : detail)
                   .c_str(),
               stderr);
  } else {
    const int decile = static_cast<int>(fraction * 10);
    if (decile == m_last_decile) return;
    m_last_decile = decile;
    std::fputs(fmt::format("{}: {:.0f}% after {:.0f}s{}\n", label, 100 * fraction, elapsed,
                           detail.empty() ? "" : " (" + detail + ")")
                   .c_str(),
               stderr);
  }
  std::fflush(stderr);
  m_last_draw = now;
  m_shown = true;
}

}  // namespace npusim::sim
