#pragma once
#include <cstdint>
#include <limits>

namespace npusim {

/// Simulated time inside the model is an integer count of core clock cycles.
using Cycle = std::uint64_t;

/// Marks a completion time that is not known yet (the instruction has not finished).
inline constexpr Cycle kUnknownCycle = std::numeric_limits<Cycle>::max();

/// Integer ceiling division for non-negative operands.
constexpr std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

}  // namespace npusim
