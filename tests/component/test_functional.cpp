// Numerics end to end (DMA in, compute, DMA out) against double-precision references.
#include <catch2/catch.hpp>
#include <cmath>

#include "helpers.hpp"
#include "npu/numerics/execute.hpp"
#include "npu/numerics/float_formats.hpp"

using namespace npusim;
using npusim::test::run_asm;
using npusim::test::test_hw;

namespace {

double unit_roundoff(npu::DType t) {
  switch (t) {
    case npu::DType::fp16: return std::ldexp(1.0, -11);
    case npu::DType::bf16: return std::ldexp(1.0, -8);
    default: return std::ldexp(1.0, -24);
  }
}

std::string matmul_program(const std::string& in, const std::string& out, int m, int k, int n, const std::string& init) {
  const auto dims = [](int r, int c) { return "[" + std::to_string(r) + ", " + std::to_string(c) + "]"; };
  return ".dram A " + in + " " + dims(m, k) + " init=" + init + "\n.dram B " + in + " " + dims(k, n) + " init=" + init +
         "\n.dram C " + out + " " + dims(m, n) + " output\n.buffer a " + in + " " + dims(m, k) + "\n.buffer b " + in +
         " " + dims(k, n) + "\n.buffer c " + out + " " + dims(m, n) +
         "\ndma.load a, A\ndma.load b, B q=1\nmatmul c, a, b\ndma.store C, c\n";
}

}  // namespace

TEST_CASE("float matmul: within the fp32 accumulation bound of the exact product", "[numerics][matmul]") {
  const int m = 24, k = 40, n = 16;
  for (const char* in : {"fp32", "fp16", "bf16"}) {
    for (const char* out : {"fp32", "fp16", "bf16"}) {
      DYNAMIC_SECTION(in << " x " << in << " -> " << out) {
        auto r = run_asm(matmul_program(in, out, m, k, n, "random(7)"), test_hw());
        const npu::DType out_t = *npu::parse_dtype(out);
        for (int i = 0; i < m; ++i) {
          for (int j = 0; j < n; ++j) {
            double exact = 0, magnitude = 0;
            for (int kk = 0; kk < k; ++kk) {
              const double p = r.tensor("A", i * k + kk) * r.tensor("B", kk * n + j);
              exact += p;
              magnitude += std::fabs(p);
            }
            // fp32 products and k sequential fp32 additions (gamma_k), then one output rounding.
            const double bound = (k + 1) * std::ldexp(1.0, -24) * magnitude + unit_roundoff(out_t) * std::fabs(exact);
            REQUIRE(std::fabs(r.tensor("C", i * n + j) - exact) <= bound);
          }
        }
      }
    }
  }
}

TEST_CASE("integer matmul is exact in int32, and saturation is counted", "[numerics][matmul]") {
  SECTION("int8 and int16 operands: exact") {
    for (const char* in : {"int8", "int16"}) {
      auto r = run_asm(matmul_program(in, "int32", 16, 48, 16, "random(3, -100, 100)"), test_hw());
      for (int i = 0; i < 16; ++i) {
        for (int j = 0; j < 16; ++j) {
          std::int64_t exact = 0;
          for (int kk = 0; kk < 48; ++kk) {
            exact += static_cast<std::int64_t>(r.tensor("A", i * 48 + kk)) * static_cast<std::int64_t>(r.tensor("B", kk * 16 + j));
          }
          REQUIRE(r.tensor("C", i * 16 + j) == static_cast<double>(exact));
        }
      }
      CHECK(r.result.cores[0].numerics.saturations == 0);
    }
  }
  SECTION("int16 products that overflow int32 saturate") {
    auto r = run_asm(R"(
.dram C int32 [1, 1] output
.buffer a int16 [1, 4]
.buffer b int16 [4, 1]
.buffer c int32 [1, 1]
vec.fill a, 32767
vec.fill b, 32767
matmul c, a, b
dma.store C, c
)",
                     test_hw());
    CHECK(r.tensor("C", 0) == 2147483647.0);  // 4 x 32767^2 = 4.29e9 > int32 max
    CHECK(r.result.cores[0].numerics.saturations == 1);
  }
}

TEST_CASE("fp16 and bf16 add, sub, mul equal correctly rounded arithmetic", "[numerics][vector]") {
  for (const char* t : {"fp16", "bf16"}) {
    for (const char* op : {"add", "sub", "mul"}) {
      DYNAMIC_SECTION(t << " vec." << op) {
        const std::string dt(t);
        auto r = run_asm(".dram X " + dt + " [16, 64] init=random(11, -4, 4)\n.dram Y " + dt +
                             " [16, 64] init=random(12, -4, 4)\n.dram Z " + dt +
                             " [16, 64] output\n.buffer x " + dt + " [16, 64]\n.buffer y " + dt +
                             " [16, 64]\n.buffer z " + dt + " [16, 64]\ndma.load x, X\ndma.load y, Y q=1\nvec." +
                             op + " z, x, y\ndma.store Z, z\n",
                         test_hw());
        const npu::DType type = *npu::parse_dtype(t);
        std::uint8_t expect[2];
        for (int i = 0; i < 16 * 64; ++i) {
          const double a = r.tensor("X", i), b = r.tensor("Y", i);
          const double exact = op[0] == 'a' ? a + b : op[0] == 's' ? a - b : a * b;  // exact in double
          npu::store_element(expect, type, 0, exact);
          REQUIRE(r.tensor("Z", i) == npu::load_element(expect, type, 0));
        }
      }
    }
  }
}

TEST_CASE("vector ops: fma, exp, recip, max, reduce, broadcast", "[numerics][vector]") {
  auto r = run_asm(R"(
.dram X fp32 [8, 32] init=random(5, -2, 2)
.dram Y fp32 [8, 32] init=random(6, -2, 2)
.dram F fp32 [8, 32] output
.dram E fp16 [8, 32] output
.dram R fp32 [8, 32] output
.dram M fp32 [8, 32] output
.dram S fp32 [8, 1] output
.dram B fp32 [8, 32] output
.buffer x fp32 [8, 32]
.buffer y fp32 [8, 32]
.buffer f fp32 [8, 32]
.buffer xh fp16 [8, 32]
.buffer e fp16 [8, 32]
.buffer q fp32 [8, 32]
.buffer m fp32 [8, 32]
.buffer s fp32 [8, 1]
.buffer bc fp32 [8, 32]
dma.load x, X
dma.load y, Y q=1
vec.fma f, x, y, x
vec.cast xh, x
vec.exp e, xh
vec.recip q, y
vec.max m, x, y
vec.reduce_sum s, x
vec.mul bc, x, x[:, 0]
dma.store F, f
dma.store E, e
dma.store R, q
dma.store M, m
dma.store S, s
dma.store B, bc
)",
                   test_hw());
  for (int i = 0; i < 8; ++i) {
    double row = 0, magnitude = 0;
    for (int j = 0; j < 32; ++j) {
      const int at = i * 32 + j;
      const double x = r.tensor("X", at), y = r.tensor("Y", at);
      REQUIRE(r.tensor("F", at) == static_cast<double>(std::fma(float(x), float(y), float(x))));
      const double xh = npu::fp16_to_fp32(npu::fp32_to_fp16(float(x)));
      REQUIRE(std::fabs(r.tensor("E", at) - std::exp(xh)) <= std::ldexp(1.0, -11) * std::exp(xh) * 1.01);
      REQUIRE(r.tensor("R", at) == static_cast<double>(1.0f / float(y)));
      REQUIRE(r.tensor("M", at) == std::max(x, y));
      REQUIRE(r.tensor("B", at) == static_cast<double>(float(x) * float(r.tensor("X", i * 32))));
      row += x;
      magnitude += std::fabs(x);
    }
    REQUIRE(std::fabs(r.tensor("S", i) - row) <= 32 * std::ldexp(1.0, -24) * magnitude);
  }
}

TEST_CASE("vec.log: logf rounded once; log 0 is -inf and counted", "[numerics][vector]") {
  auto r = run_asm(R"(
.dram X fp32 [4, 32] init=random(9, 0.001, 50)
.dram L fp32 [4, 32] output
.dram H fp16 [4, 32] output
.dram Z fp32 [1, 4] output
.buffer x fp32 [4, 32]
.buffer l fp32 [4, 32]
.buffer xh fp16 [4, 32]
.buffer h fp16 [4, 32]
.buffer z fp32 [1, 4]
dma.load x, X
vec.log l, x
vec.cast xh, x
vec.log h, xh
vec.fill z, 0
vec.log z, z
dma.store L, l
dma.store H, h
dma.store Z, z
)",
                   test_hw());
  for (int i = 0; i < 4 * 32; ++i) {
    const float x = float(r.tensor("X", i));
    REQUIRE(r.tensor("L", i) == static_cast<double>(std::log(x)));
    const float xh = npu::fp16_to_fp32(npu::fp32_to_fp16(x));
    REQUIRE(r.tensor("H", i) == static_cast<double>(npu::fp16_to_fp32(npu::fp32_to_fp16(std::log(xh)))));
  }
  for (int i = 0; i < 4; ++i) REQUIRE(r.tensor("Z", i) == -INFINITY);
  REQUIRE(r.result.cores[0].numerics.nonfinite == 4);
}

TEST_CASE("integer vector ops saturate and count", "[numerics][int]") {
  auto r = run_asm(R"(
.dram O int8 [1, 4] output
.buffer a int8 [1, 4]
.buffer o int8 [1, 4]
vec.fill a[:, 0:2], 100
vec.fill a[:, 2:4], -100
vec.add o, a, a
dma.store O, o
)",
                   test_hw());
  CHECK(r.tensor("O", 0) == 127);
  CHECK(r.tensor("O", 1) == 127);
  CHECK(r.tensor("O", 2) == -128);
  CHECK(r.tensor("O", 3) == -128);
  CHECK(r.result.cores[0].numerics.saturations == 4);
}

TEST_CASE("requantize: int32 -> int8 with each rounding mode", "[numerics][int]") {
  auto r = run_asm(R"(
.dram N int8 [1, 5] output
.dram H int8 [1, 5] output
.dram F int8 [1, 5] output
.buffer v int32 [1, 5]
.buffer n int8 [1, 5]
.buffer h int8 [1, 5]
.buffer f int8 [1, 5]
vec.fill v[:, 0], 5
vec.fill v[:, 1], 7
vec.fill v[:, 2], -5
vec.fill v[:, 3], 3
vec.fill v[:, 4], 1000
vec.requant n, v shift=1
vec.requant h, v shift=1 round=half_up
vec.requant f, v shift=1 round=floor
dma.store N, n
dma.store H, h
dma.store F, f
)",
                   test_hw());
  // 2.5, 3.5, -2.5, 1.5, 500
  const double rne[] = {2, 4, -2, 2, 127}, half_up[] = {3, 4, -2, 2, 127}, floor_[] = {2, 3, -3, 1, 127};
  for (int i = 0; i < 5; ++i) {
    CHECK(r.tensor("N", i) == rne[i]);
    CHECK(r.tensor("H", i) == half_up[i]);
    CHECK(r.tensor("F", i) == floor_[i]);
  }
  CHECK(r.result.cores[0].numerics.saturations == 3);  // 500 clamps in each mode
}

TEST_CASE("casts: fp32 overflow to fp16 is non-finite; float to int rounds and saturates", "[numerics]") {
  auto r = run_asm(R"(
.dram H fp16 [1, 2] output
.dram I int8 [1, 3] output
.buffer x fp32 [1, 3]
.buffer h fp16 [1, 2]
.buffer i int8 [1, 3]
vec.fill x[:, 0], 70000
vec.fill x[:, 1], 2.5
vec.fill x[:, 2], -3.5
vec.cast h, x[:, 0:2]
vec.cast i, x
dma.store H, h
dma.store I, i
)",
                   test_hw());
  CHECK(std::isinf(r.tensor("H", 0)));
  CHECK(r.tensor("H", 1) == 2.5);
  CHECK(r.tensor("I", 0) == 127);
  CHECK(r.tensor("I", 1) == 2);   // rne
  CHECK(r.tensor("I", 2) == -4);  // rne
  CHECK(r.result.cores[0].numerics.nonfinite == 1);
  CHECK(r.result.cores[0].numerics.saturations == 1);
}

TEST_CASE("structural ops: band, identity, transpose, select, copy", "[numerics][vector]") {
  auto r = run_asm(R"(
.dram A fp32 [4, 4] init=random(9)
.dram Bd fp32 [4, 4] output
.dram Id fp32 [4, 4] output
.dram T fp32 [4, 4] output
.dram S fp32 [4, 4] output
.buffer a fp32 [4, 4]
.buffer bd fp32 [4, 4]
.buffer id fp32 [4, 4]
.buffer t fp32 [4, 4]
.buffer s fp32 [4, 4]
dma.load a, A
vec.band bd, a lo=0 hi=1
vec.identity id
vec.transpose t, a
vec.select s, id, a, -1
dma.store Bd, bd
dma.store Id, id
dma.store T, t
dma.store S, s
)",
                   test_hw());
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      const double a = r.tensor("A", i * 4 + j);
      CHECK(r.tensor("Bd", i * 4 + j) == ((i - j == 0 || i - j == 1) ? a : 0.0));
      CHECK(r.tensor("Id", i * 4 + j) == (i == j ? 1.0 : 0.0));
      CHECK(r.tensor("T", i * 4 + j) == r.tensor("A", j * 4 + i));
      CHECK(r.tensor("S", i * 4 + j) == (i == j ? a : -1.0));
    }
  }
}

TEST_CASE("matmul with transposed operands and accumulation", "[numerics][matmul]") {
  auto r = run_asm(R"(
.dram A fp32 [8, 4] init=random(1)
.dram B fp32 [8, 4] init=random(2)
.dram C fp32 [4, 4] output
.buffer a fp32 [8, 4]
.buffer b fp32 [8, 4]
.buffer c fp32 [4, 4]
dma.load a, A
dma.load b, B
vec.fill c, 1
matmul c, a, b ta acc
dma.store C, c
)",
                   test_hw());
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      double exact = 1;
      for (int k = 0; k < 8; ++k) exact += r.tensor("A", k * 4 + i) * r.tensor("B", k * 4 + j);
      CHECK(std::fabs(r.tensor("C", i * 4 + j) - exact) <= 1e-5);
    }
  }
}
