#include "npu/numerics/float_formats.hpp"

#include <cmath>

namespace npusim::npu {

std::uint16_t fp32_to_fp16(float f) {
  const std::uint32_t x = float_bits(f);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t a = x & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00u;    // NaN: quiet NaN
  if (a >= 0x477ff000u) return sign | 0x7c00u;   // >= 65520 rounds to infinity
  if (a < 0x38800000u) {                         // below 2^-14: fp16 subnormal or zero
    if (a <= 0x33000000u) return sign;           // <= 2^-25 (the tie at 2^-25 goes to even 0)
    const std::uint32_t exp = a >> 23;
    const std::uint32_t mant = (a & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126u - exp;      // value / 2^-24 = mant >> shift
    std::uint32_t q = mant >> shift;
    const std::uint32_t rem = mant & ((1u << shift) - 1u);
    const std::uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return sign | static_cast<std::uint16_t>(q);
  }
  std::uint32_t h = (a >> 13) - (112u << 10);     // rebias exponent 127 -> 15
  const std::uint32_t rem = a & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // carry may bump the exponent
  return sign | static_cast<std::uint16_t>(h);
}

float double_to_float_round_odd(double v) {
  const float f = static_cast<float>(v);
  if (static_cast<double>(f) == v || std::isnan(v) || std::isinf(f)) return f;
  float t = f;
  if (std::fabs(static_cast<double>(f)) > std::fabs(v)) t = std::nextafter(f, 0.0f);
  return bits_float(float_bits(t) | 1u);
}

namespace {

constexpr std::uint32_t widen_fp16(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  if (exp == 0x1fu) return sign | 0x7f800000u | (mant << 13);
  if (exp != 0) return sign | ((exp + 112u) << 23) | (mant << 13);
  if (mant == 0) return sign;
  std::uint32_t e = 0;  // normalise the subnormal
  mant <<= 1;
  while ((mant & 0x400u) == 0) {
    ++e;
    mant <<= 1;
  }
  return sign | ((112u - e) << 23) | ((mant & 0x3ffu) << 13);
}

constexpr detail::Fp16Widening widening_table() {
  detail::Fp16Widening t{};
  for (std::uint32_t h = 0; h < 65536; ++h) t.bits[h] = widen_fp16(static_cast<std::uint16_t>(h));
  return t;
}

}  // namespace

namespace detail {
constexpr Fp16Widening kFp16Widening = widening_table();
}  // namespace detail

}  // namespace npusim::npu
