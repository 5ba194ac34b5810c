#pragma once
/// Integer arithmetic helpers: saturation to a dtype and rounding right shifts, as used by
/// integer matmul write-back and the requantize instruction.
#include <cstdint>
#include <optional>
#include <string_view>

#include "npu/numerics/dtype.hpp"

namespace npusim::npu {

/// Rounding of a right shift (requantization). Names follow the ISA spelling.
enum class Rounding : std::uint8_t {
  rne,      ///< round to nearest, ties to even
  half_up,  ///< round to nearest, ties toward +infinity (add half, then floor)
  floor,    ///< truncate toward -infinity (plain arithmetic shift)
};

std::string_view rounding_name(Rounding r);
std::optional<Rounding> parse_rounding(std::string_view name);

/// Clamps `v` to the range of integer dtype `t`; counts a saturation when it had to clamp.
inline std::int64_t saturate(std::int64_t v, DType t, std::uint64_t& saturations) {
  const std::int64_t lo = int_min(t), hi = int_max(t);
  if (v < lo) {
    ++saturations;
    return lo;
  }
  if (v > hi) {
    ++saturations;
    return hi;
  }
  return v;
}

/// v * 2^-shift with the given rounding; a negative shift multiplies (exactly, in int64).
std::int64_t rounding_shift(std::int64_t v, int shift, Rounding r);

}  // namespace npusim::npu
