#include "npu/numerics/integer.hpp"

#include <cstdint>

namespace npusim::npu {

std::string_view rounding_name(Rounding r) {
  switch (r) {
    case Rounding::rne: return "rne";
    case Rounding::half_up: return "half_up";
    case Rounding::floor: return "floor";
  }
  return "?";
}

std::optional<Rounding> parse_rounding(std::string_view name) {
  for (Rounding r : {Rounding::rne, Rounding::half_up, Rounding::floor}) {
    if (rounding_name(r) == name) return r;
  }
  return std::nullopt;
}

std::int64_t rounding_shift(std::int64_t v, int shift, Rounding r) {
  if (shift <= 0) {  // left shift; clamp instead of overflowing (the caller saturates anyway)
    const std::int64_t limit = INT64_MAX >> -shift;
    if (v > limit) return INT64_MAX;
    if (v < -limit) return -INT64_MAX;
    return v * (INT64_C(1) << -shift);
  }
  const std::int64_t q = v >> shift;  // arithmetic shift: floor division by 2^shift
  const std::int64_t rem = v - q * (INT64_C(1) << shift);
  const std::int64_t half = INT64_C(1) << (shift - 1);
  switch (r) {
    case Rounding::floor: return q;
    case Rounding::half_up: return rem >= half ? q + 1 : q;
    case Rounding::rne: return (rem > half || (rem == half && (q & 1))) ? q + 1 : q;
  }
  return q;
}

}  // namespace npusim::npu
