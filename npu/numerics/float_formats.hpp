#pragma once
/// Bit-exact conversions between fp32 and the 16-bit float formats.
/// fp16 is IEEE 754 binary16 (1-5-10, subnormals, inf, NaN); bf16 is the upper half of fp32
/// (1-8-7). Narrowing rounds to nearest, ties to even; overflow gives infinity; NaN stays NaN.
#include <cstdint>
#include <cstring>

#include "npu/numerics/dtype.hpp"

namespace npusim::npu {

inline std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float bits_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

/// fp32 -> fp16, rounding to nearest even (inline: the numerics store whole rows of it).
inline std::uint16_t fp32_to_fp16(float f) {
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

namespace detail {
/// The fp32 bits of every fp16 value, made at compile time (float_formats.cpp).
struct Fp16Widening {
  std::uint32_t bits[65536];
};
extern const Fp16Widening kFp16Widening;
}  // namespace detail

/// fp16 -> fp32 is exact: a lookup in the table of all 65536 values.
inline float fp16_to_fp32(std::uint16_t h) { return bits_float(detail::kFp16Widening.bits[h]); }

inline std::uint16_t fp32_to_bf16(float f) {
  std::uint32_t x = float_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x0040u);
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<std::uint16_t>(x >> 16);
}
inline float bf16_to_fp32(std::uint16_t b) { return bits_float(static_cast<std::uint32_t>(b) << 16); }

/// double -> fp32 with round-to-odd: exact values pass; inexact ones truncate toward zero and set
/// the last bit. A later rounding to fp16 or bf16 then equals direct correct rounding.
float double_to_float_round_odd(double v);

/// Rounds an fp32 value to `t` (a float dtype) and returns it widened back to fp32.
inline float round_to_float_dtype(float v, DType t) {
  switch (t) {
    case DType::fp16: return fp16_to_fp32(fp32_to_fp16(v));
    case DType::bf16: return bf16_to_fp32(fp32_to_bf16(v));
    default: return v;
  }
}

}  // namespace npusim::npu
