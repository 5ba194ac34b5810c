// fp16 / bf16 conversion corner cases, round-to-odd narrowing from double, integer saturation
// and rounding shifts.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "npu/numerics/execute.hpp"
#include "npu/numerics/float_formats.hpp"
#include "npu/numerics/integer.hpp"

using namespace npusim::npu;

namespace {
float pow2(int e) { return std::ldexp(1.0f, e); }
}  // namespace

TEST_CASE("fp16: every value survives fp16 -> fp32 -> fp16", "[numerics][fp16]") {
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const float f = fp16_to_fp32(static_cast<std::uint16_t>(h));
    if (std::isnan(f)) {
      CHECK(((fp32_to_fp16(f) & 0x7c00) == 0x7c00 && (fp32_to_fp16(f) & 0x3ff) != 0));
      continue;
    }
    REQUIRE(fp32_to_fp16(f) == h);
  }
}

TEST_CASE("fp16: decoding matches the IEEE binary16 definition", "[numerics][fp16]") {
  CHECK(fp16_to_fp32(0x3c00) == 1.0f);
  CHECK(fp16_to_fp32(0x7bff) == 65504.0f);
  CHECK(fp16_to_fp32(0x0400) == pow2(-14));
  CHECK(fp16_to_fp32(0x0001) == pow2(-24));
  CHECK(fp16_to_fp32(0x03ff) == 1023 * pow2(-24));
  CHECK(std::isinf(fp16_to_fp32(0xfc00)));
  CHECK(std::signbit(fp16_to_fp32(0x8000)));
}

TEST_CASE("fp16: round to nearest, ties to even", "[numerics][fp16]") {
  CHECK(fp32_to_fp16(1.0f + pow2(-11)) == 0x3c00);              // tie, 1 is even
  CHECK(fp32_to_fp16(1.0f + 3 * pow2(-11)) == 0x3c02);          // tie, rounds up to even
  CHECK(fp32_to_fp16(1.0f + pow2(-11) + pow2(-20)) == 0x3c01);  // above the tie
  CHECK(fp32_to_fp16(65504.0f) == 0x7bff);
  CHECK(fp32_to_fp16(65519.0f) == 0x7bff);   // below the overflow threshold
  CHECK(fp32_to_fp16(65520.0f) == 0x7c00);   // the tie at 65520 goes to even: infinity
  CHECK(fp32_to_fp16(-1e9f) == 0xfc00);
  CHECK(fp32_to_fp16(pow2(-25)) == 0x0000);           // tie between 0 and 2^-24: even 0
  CHECK(fp32_to_fp16(1.5f * pow2(-25)) == 0x0001);    // above it
  CHECK(fp32_to_fp16(3 * pow2(-25)) == 0x0002);       // 1.5 x 2^-24: tie, even 2
  CHECK(fp32_to_fp16(pow2(-14) - pow2(-25)) == 0x0400);  // 1023.5 subnormal steps: up to 2^-14
  CHECK(fp32_to_fp16(-pow2(-26)) == 0x8000);           // signed zero
}

TEST_CASE("bf16: round to nearest even, overflow and NaN", "[numerics][bf16]") {
  CHECK(fp32_to_bf16(1.0f) == 0x3f80);
  CHECK(fp32_to_bf16(1.0f + pow2(-8)) == 0x3f80);      // tie, even
  CHECK(fp32_to_bf16(1.0f + 3 * pow2(-8)) == 0x3f82);  // tie, up to even
  CHECK(fp32_to_bf16(1.0f + pow2(-8) + pow2(-20)) == 0x3f81);
  CHECK(fp32_to_bf16(3.4028235e38f) == 0x7f80);        // FLT_MAX rounds to infinity
  CHECK(std::isnan(bf16_to_fp32(fp32_to_bf16(std::nanf("")))));
  CHECK(bf16_to_fp32(0x4049) == 3.140625f);
}

TEST_CASE("narrowing a double rounds once (round-to-odd through fp32)", "[numerics]") {
  std::uint8_t buf[4];
  // 1 + 2^-11 + 2^-40 is just above the fp16 tie; going through fp32 with plain rounding would
  // lose the 2^-40 and round down to 1.
  store_element(buf, DType::fp16, 0, 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40));
  CHECK(load_element(buf, DType::fp16, 0) == 1.0 + std::ldexp(1.0, -10));
  store_element(buf, DType::bf16, 0, 1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40));
  CHECK(load_element(buf, DType::bf16, 0) == 1.0 + std::ldexp(1.0, -7));
  store_element(buf, DType::fp16, 0, 1.0 + std::ldexp(1.0, -11));  // an exact tie still goes to even
  CHECK(load_element(buf, DType::fp16, 0) == 1.0);
}

TEST_CASE("integer saturation counts every clamp", "[numerics][int]") {
  std::uint64_t sat = 0;
  CHECK(saturate(127, DType::int8, sat) == 127);
  CHECK(saturate(128, DType::int8, sat) == 127);
  CHECK(saturate(-129, DType::int8, sat) == -128);
  CHECK(saturate(40000, DType::int16, sat) == 32767);
  CHECK(saturate(INT64_C(1) << 40, DType::int32, sat) == 2147483647);
  CHECK(sat == 4);
}

TEST_CASE("rounding shifts: rne, half_up, floor", "[numerics][int]") {
  CHECK(rounding_shift(5, 1, Rounding::rne) == 2);       // 2.5 -> 2
  CHECK(rounding_shift(7, 1, Rounding::rne) == 4);       // 3.5 -> 4
  CHECK(rounding_shift(-5, 1, Rounding::rne) == -2);     // -2.5 -> -2
  CHECK(rounding_shift(-7, 1, Rounding::rne) == -4);
  CHECK(rounding_shift(5, 1, Rounding::half_up) == 3);   // 2.5 -> 3
  CHECK(rounding_shift(-5, 1, Rounding::half_up) == -2); // -2.5 -> -2 (toward +inf)
  CHECK(rounding_shift(5, 1, Rounding::floor) == 2);
  CHECK(rounding_shift(-5, 1, Rounding::floor) == -3);
  CHECK(rounding_shift(1000, 3, Rounding::rne) == 125);
  CHECK(rounding_shift(3, -4, Rounding::rne) == 48);     // negative shift multiplies
  CHECK(rounding_shift(INT64_C(1) << 40, -30, Rounding::rne) == INT64_MAX);  // clamps, no overflow
}
