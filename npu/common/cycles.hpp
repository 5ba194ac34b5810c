#pragma once
#include <cstdint>
#include <limits>

namespace npusim {

/// Simulated time inside the model is an integer count of core clock cycles.
using Cycle = std::uint64_t;

/// Marks a completion time that is not known yet (the instruction has not finished).
inline constexpr Cycle kUnknownCycle = std::numeric_limits<Cycle>::max();

/// The longest duration npusim represents: 2^53 cycles (104 days at 1 GHz), exact as a double
/// and, in SystemC's picoseconds, below 2^64 with room to spare. A longer instruction or run is
/// an input error, never a wrapped count.
inline constexpr Cycle kMaxCycles = Cycle{1} << 53;

/// Saturating arithmetic for bounds and estimates: results that would wrap stay at the maximum.
inline std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<std::uint64_t>::max() : r;
}
inline std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? std::numeric_limits<std::uint64_t>::max() : r;
}

/// Integer ceiling division for non-negative operands.
constexpr std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

}  // namespace npusim
