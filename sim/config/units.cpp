#include "sim/config/units.hpp"

#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

namespace npusim::sim {
namespace {

/// Splits "12.5 MiB" into 12.5 and "MiB". Fails if there is no leading number.
bool split_number(std::string_view text, double& value, std::string& unit) {
  const std::string s(text);
  char* end = nullptr;
  value = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || !std::isfinite(value)) return false;
  std::string_view rest(end);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  unit = std::string(rest);
  return true;
}

std::optional<double> byte_multiplier(std::string_view unit) {
  if (unit == "B" || unit.empty()) return 1.0;
  if (unit == "KB" || unit == "kB") return 1e3;
  if (unit == "MB") return 1e6;
  if (unit == "GB") return 1e9;
  if (unit == "TB") return 1e12;
  if (unit == "KiB") return 1024.0;
  if (unit == "MiB") return 1024.0 * 1024;
  if (unit == "GiB") return 1024.0 * 1024 * 1024;
  if (unit == "TiB") return 1024.0 * 1024 * 1024 * 1024;
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> parse_bytes(std::string_view text) {
  double v = 0;
  std::string unit;
  if (!split_number(text, v, unit) || v < 0) return std::nullopt;
  const auto mult = byte_multiplier(unit);
  if (!mult) return std::nullopt;
  const double bytes = v * *mult;
  if (bytes != std::floor(bytes) || bytes > 9.0e18) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

std::optional<double> parse_hertz(std::string_view text) {
  double v = 0;
  std::string unit;
  if (!split_number(text, v, unit) || v <= 0) return std::nullopt;
  if (unit == "Hz") return v;
  if (unit == "kHz") return v * 1e3;
  if (unit == "MHz") return v * 1e6;
  if (unit == "GHz") return v * 1e9;
  return std::nullopt;
}

std::optional<double> parse_bytes_per_cycle(std::string_view text, std::optional<double> clock_hz, bool* needs_clock) {
  double v = 0;
  std::string unit;
  if (!split_number(text, v, unit) || v < 0) return std::nullopt;
  if (unit.empty()) return v;
  const auto slash = unit.find('/');
  if (slash == std::string::npos) return std::nullopt;
  const auto mult = byte_multiplier(unit.substr(0, slash));
  const std::string per = unit.substr(slash + 1);
  if (!mult) return std::nullopt;
  if (per == "cycle") return v * *mult;
  if (per == "s") {
    if (!clock_hz) {
      if (needs_clock) *needs_clock = true;
      return std::nullopt;
    }
    return v * *mult / *clock_hz;
  }
  return std::nullopt;
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> parse_ratio(std::string_view text) {
  const auto slash = text.find('/');
  if (slash != std::string_view::npos) {
    const std::string a(text.substr(0, slash)), b(text.substr(slash + 1));
    char *ea = nullptr, *eb = nullptr;
    const long num = std::strtol(a.c_str(), &ea, 10), den = std::strtol(b.c_str(), &eb, 10);
    if (*ea || *eb || a.empty() || b.empty() || num <= 0 || den <= 0 || num > 1 << 20 || den > 1 << 20) return std::nullopt;
    return std::make_pair(static_cast<std::uint32_t>(num), static_cast<std::uint32_t>(den));
  }
  const std::string s(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (*end || s.empty() || !(v > 0) || v > (1 << 20)) return std::nullopt;
  for (std::uint32_t den = 1; den <= 1024; den *= 2) {  // exact binary fractions: 0.5, 0.25, 1.5
    const double num = v * den;
    if (num == std::floor(num)) return std::make_pair(static_cast<std::uint32_t>(num), den);
  }
  return std::nullopt;
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr std::pair<std::uint64_t, const char*> units[] = {
      {1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}};
  for (const auto& [size, name] : units) {
    if (bytes >= size && bytes % size == 0) return fmt::format("{}{}", bytes / size, name);
  }
  return fmt::format("{}B", bytes);
}

std::string format_hertz(double hz) {
  if (hz >= 1e9) return fmt::format("{}GHz", hz / 1e9);
  if (hz >= 1e6) return fmt::format("{}MHz", hz / 1e6);
  return fmt::format("{}Hz", hz);
}

std::string format_bytes_per_cycle(double v) { return fmt::format("{}B/cycle", v); }

}  // namespace npusim::sim
