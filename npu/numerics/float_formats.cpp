#include "npu/numerics/float_formats.hpp"

#include <cmath>

namespace npusim::npu {

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
