// Inverse kernels: the mathematics of the Neumann method, every kernel and dtype against the
// fp64 reference, and cycles against lower bounds computed from the program and the config.
#include <catch2/catch.hpp>
#include <cmath>
#include <fmt/format.h>

#include "helpers.hpp"
#include "kernels/inverse/reference.hpp"
#include "npu/dma/dma_timing.hpp"
#include "npu/isa/access.hpp"
#include "npu/matrix/matrix_timing.hpp"
#include "npu/vector/vector_timing.hpp"
#include "sim/run/run_kernel.hpp"

using namespace npusim;

namespace {

sim::KernelRun run(const std::string& kernel, std::uint32_t chunk, npu::DType dtype, std::uint32_t batch = 2,
                   std::optional<std::uint32_t> order = std::nullopt, std::optional<std::uint32_t> steps = std::nullopt,
                   kernels::SumMethod sum = kernels::SumMethod::automatic,
                   std::optional<kernels::MatrixBatch> input = std::nullopt) {
  sim::KernelRunOptions o;
  o.hw_path = "test.yaml";
  o.kernel = kernel;
  o.params.chunk = chunk;
  o.params.dtype = dtype;
  o.params.batch = batch;
  o.params.order = order;
  o.params.steps = steps;
  o.params.sum = sum;
  o.generator.seed = 7;
  o.input = std::move(input);
  o.progress = false;
  return sim::run_kernel(test::test_hw(), o);
}

/// Largest |T - T_exact| over the entries with lo <= i - j <= hi, relative to max |T_exact|.
double band_error(const sim::KernelRun& r, int lo, int hi) {
  double err = 0, scale = 0;
  for (std::uint32_t b = 0; b < r.a.batch; ++b) {
    for (std::uint32_t i = 0; i < r.a.n; ++i) {
      for (std::uint32_t j = 0; j < r.a.n; ++j) {
        scale = std::max(scale, std::fabs(r.exact.at(b, i, j)));
        const int d = int(i) - int(j);
        if (d >= lo && d <= hi) err = std::max(err, std::fabs(r.t->at(b, i, j) - r.exact.at(b, i, j)));
      }
    }
  }
  return err / scale;
}

}  // namespace

TEST_CASE("neumann: the masked truncated series is the exact inverse on the band", "[kernels][neumann]") {
  for (std::uint32_t n : {1u, 3u, 4u}) {
    DYNAMIC_SECTION("N = " << n) {
      const auto r = run("neumann", 32, npu::DType::fp32, 2, n, 1);  // S = 1: T = T0, no correction
      CHECK(band_error(r, 0, int(n)) < 1e-6);
      for (std::uint32_t b = 0; b < r.a.batch; ++b)
        for (std::uint32_t i = 0; i < 32; ++i)
          for (std::uint32_t j = 0; j + n < i; ++j) REQUIRE(r.t->at(b, i, j) == 0.0);  // beyond the band: masked
    }
  }
}

TEST_CASE("neumann: S(N + 1) >= C gives the exact inverse to fp32 precision", "[kernels][neumann]") {
  for (auto sum : {kernels::SumMethod::doubling, kernels::SumMethod::horner}) {
    DYNAMIC_SECTION((sum == kernels::SumMethod::doubling ? "doubling" : "horner")) {
      const auto r = run("neumann", 64, npu::DType::fp32, 2, 3, 16, sum);  // 16 x 4 = 64
      CHECK(*r.accuracy->rel_fro_error_worst < 1e-6);
    }
  }
  const auto r = run("neumann", 128, npu::DType::fp32, 2, 3, 16);  // per 64x64 block
  CHECK(*r.accuracy->rel_fro_error_worst < 1e-6);
}

TEST_CASE("neumann: S(N + 1) < C is exact exactly for i - j < S(N + 1)", "[kernels][neumann]") {
  SECTION("doubling, N = 3, S = 4: exact below 16") {
    const auto r = run("neumann", 64, npu::DType::fp32, 2, 3, 4);
    CHECK(band_error(r, 0, 15) < 1e-6);
    CHECK(band_error(r, 16, 63) > 1e-4);
  }
  SECTION("horner, N = 4, S = 3 (the C = 32 default): exact below 15") {
    const auto r = run("neumann", 32, npu::DType::fp32, 2, 4, 3);
    CHECK(band_error(r, 0, 14) < 1e-6);
    CHECK(band_error(r, 15, 31) > 1e-4);
  }
}

TEST_CASE("doubling is exact in fp32 for well-scaled inputs", "[kernels][doubling]") {
  kernels::GdnInputParams g;
  g.chunk = 64;
  g.batch = 2;
  g.seed = 3;
  kernels::MatrixBatch a = kernels::generate_gdn_inputs(g);
  for (double& v : a.values) v *= 0.25;  // powers of A stay small: no cancellation of huge terms
  const auto r = run("doubling", 64, npu::DType::fp32, 2, std::nullopt, std::nullopt, kernels::SumMethod::automatic, a);
  CHECK(*r.accuracy->rel_fro_error_worst < 1e-6);
}

TEST_CASE("doubling overflows fp16 on strongly correlated keys, and the tool says so", "[kernels][doubling]") {
  sim::KernelRunOptions o;
  o.hw_path = "test.yaml";
  o.kernel = "doubling";
  o.params.chunk = 64;
  o.params.dtype = npu::DType::fp16;
  o.generator.correlation = 1.0;
  o.progress = false;
  const auto r = sim::run_kernel(test::test_hw(), o);
  CHECK(r.accuracy->nonfinite > 0);
  CHECK(!r.accuracy->snr_db_mean);
  CHECK(r.accuracy->undefined_reason == fmt::format("T has {} non-finite entries", r.accuracy->nonfinite));
  CHECK(r.run.stats.at("accuracy").as_object().at("undefined_reason").is_string());
  o.kernel = "neumann";  // the band mask keeps the same inputs finite
  const auto n = sim::run_kernel(test::test_hw(), o);
  CHECK(n.accuracy->nonfinite == 0);
  CHECK(*n.accuracy->snr_db_worst > 60);
}

TEST_CASE("neumann --mask none: the same series, no select, and the unmasked powers overflow", "[kernels][neumann]") {
  sim::KernelRunOptions o;
  o.hw_path = "test.yaml";
  o.kernel = "neumann";
  o.params.chunk = 64;
  o.params.dtype = npu::DType::fp32;
  o.params.batch = 2;
  o.progress = false;
  auto selects = [](const sim::KernelRun& r) {
    std::uint64_t n = 0;
    for (const auto& s : r.run.program.streams)
      for (const auto& in : s.code) n += in.op == npu::Opcode::vec_select;
    return n;
  };
  const auto band = sim::run_kernel(test::test_hw(), o);
  o.params.band_mask = false;
  const auto none = sim::run_kernel(test::test_hw(), o);
  CHECK(selects(band) == 2);  // T0 = band_N(T_N), once per chunk (floats)
  CHECK(selects(none) == 0);
  CHECK(none.built.mask == "none");
  // In exact arithmetic both are the series up to order S(N + 1) - 1 = 31: in fp32 they agree.
  CHECK(band_error(none, 0, 31) < 1e-5);
  o.params.dtype = npu::DType::fp16;
  o.generator.correlation = 1.0;  // large A: entries of L^n beyond the band grow past fp16's range
  const auto collapsed = sim::run_kernel(test::test_hw(), o);
  CHECK(collapsed.accuracy->nonfinite > 0);
  CHECK(!collapsed.accuracy->snr_db_worst);
  o.params.band_mask = true;
  CHECK(*sim::run_kernel(test::test_hw(), o).accuracy->snr_db_worst > 60);
  o.params.dtype = npu::DType::int16;  // integers saturate instead
  o.params.band_mask = false;
  const auto saturated = sim::run_kernel(test::test_hw(), o);
  std::uint64_t saturations = 0;
  for (const auto& c : saturated.run.result.cores) saturations += c.numerics.saturations;
  CHECK(saturations > 0);
  CHECK(*saturated.accuracy->snr_db_worst < 0);
}

TEST_CASE("integer neumann at the defaults keeps the SNR above a floor", "[kernels][neumann][int]") {
  for (std::uint32_t c : {32u, 64u, 128u}) {
    DYNAMIC_SECTION("C = " << c) {
      const auto r16 = run("neumann", c, npu::DType::int16, 3);
      CHECK(*r16.accuracy->snr_db_worst > 40.0);  // C = 32 is limited by S(N + 1) = 15 < 32, not by int16
      const auto r8 = run("neumann", c, npu::DType::int8, 3);
      CHECK(*r8.accuracy->snr_db_worst > 20.0);
      CHECK(r16.run.stats.at("accuracy").as_object().at("saturations").as_uint64() == 0);
    }
  }
}

TEST_CASE("every kernel in every dtype agrees with the fp64 inverse", "[kernels]") {
  struct Case {
    const char* kernel;
    npu::DType dtype;
    double tolerance;  // worst relative Frobenius error
  };
  // Settings where the method is exact, so only rounding remains: fp32 ~1e-7, fp16 ~1e-4, bf16
  // ~1e-3 per operation. doubling gets inputs scaled by 1/4: on raw GDN inputs its powers of A
  // grow until low precision loses the result (the overflow test above shows that).
  const Case cases[] = {
      {"fwdsub", npu::DType::fp32, 1e-6},        {"fwdsub", npu::DType::fp16, 1e-3},
      {"fwdsub", npu::DType::bf16, 1e-2},        {"fla_blocked", npu::DType::fp32, 1e-6},
      {"fla_blocked", npu::DType::fp16, 1e-3},   {"fla_blocked", npu::DType::bf16, 1e-2},
      {"fla_blocked", npu::DType::int16, 1e-3},  {"fla_blocked", npu::DType::int8, 0.1},
      {"neumann", npu::DType::fp32, 1e-6},       {"neumann", npu::DType::fp16, 1e-3},
      {"neumann", npu::DType::bf16, 1e-2},       {"neumann", npu::DType::int16, 1e-3},
      {"neumann", npu::DType::int8, 0.1},        {"doubling", npu::DType::fp32, 1e-5},
      {"doubling", npu::DType::fp16, 1e-3},      {"doubling", npu::DType::bf16, 1e-2},
      {"newton_schulz", npu::DType::fp32, 1e-6}, {"newton_schulz", npu::DType::fp16, 1e-3},
      {"newton_schulz", npu::DType::bf16, 1e-2},
  };
  for (const Case& c : cases) {
    for (std::uint32_t chunk : {16u, 64u}) {
      DYNAMIC_SECTION(c.kernel << " " << npu::dtype_name(c.dtype) << " C=" << chunk) {
        const std::string kernel = c.kernel;
        const auto steps = kernel == "neumann" ? std::optional<std::uint32_t>(chunk / 4) : std::nullopt;  // N = 3: exact
        std::optional<kernels::MatrixBatch> input;
        if (kernel == "doubling") {
          kernels::GdnInputParams g;
          g.chunk = chunk;
          g.batch = 2;
          g.seed = 7;
          input = kernels::generate_gdn_inputs(g);
          for (double& v : input->values) v *= 0.25;
        }
        const auto r = run(c.kernel, chunk, c.dtype, 2, std::nullopt, steps, kernels::SumMethod::automatic, input);
        REQUIRE(r.accuracy->rel_fro_error_worst.has_value());
        CHECK(*r.accuracy->rel_fro_error_worst < c.tolerance);
        CHECK(r.accuracy->nonfinite == 0);
      }
    }
  }
}

namespace {

/// Lower bounds on a program's cycles from the config alone: each unit's own work, the DRAM
/// traffic at full bandwidth, and the longest chain of dependent instructions, each at its
/// unloaded cost.
struct Bounds {
  std::uint64_t matrix = 0, vector = 0, memory = 0, chain = 0;
};

Bounds lower_bounds(const npu::Program& p, const npu::NpuConfig& hw) {
  Bounds b;
  std::uint64_t bus_bytes = 0;
  const auto& code = p.streams.at(0).code;
  std::vector<npu::AccessSet> acc;
  std::vector<std::uint64_t> cost(code.size()), finish(code.size(), 0);
  for (std::size_t i = 0; i < code.size(); ++i) {
    const npu::Instruction& in = code[i];
    acc.push_back(npu::accesses(p, in));
    if (in.op == npu::Opcode::matmul) {
      const auto c = npu::matrix_cost(p, in, acc[i], hw.core);
      b.matrix += c.compute_cycles;
      cost[i] = c.compute_cycles + c.latency;
    } else if (in.unit() == npu::UnitKind::vector) {
      const auto c = npu::vector_cost(p, in, acc[i], hw.core);
      b.vector += c.compute_cycles;
      cost[i] = c.compute_cycles + c.latency;
    } else if (in.unit() == npu::UnitKind::dma) {
      const auto c = npu::dma_cost(in, acc[i], hw.core, hw.dram);
      bus_bytes += c.dram_bus_bytes;
      cost[i] = c.dma_fixed_cycles + c.dma_ideal_transfer_cycles;
    }
    // The earliest finish: after every earlier instruction it reads from (RAW) has finished.
    std::uint64_t ready = 0;
    for (std::size_t j = 0; j < i; ++j) {
      if (!acc[j].has_write) continue;
      for (int r = 0; r < acc[i].nreads; ++r) {
        if (npu::regions_overlap(acc[i].reads[r], acc[j].write)) ready = std::max(ready, finish[j]);
      }
    }
    finish[i] = ready + cost[i];
    b.chain = std::max(b.chain, finish[i]);
  }
  b.memory = static_cast<std::uint64_t>(double(bus_bytes) / hw.dram.bytes_per_cycle);
  return b;
}

}  // namespace

TEST_CASE("kernel cycles are at least their compute, memory and dependency-chain bounds", "[kernels][bounds]") {
  for (const char* kernel : {"fwdsub", "fla_blocked", "neumann", "doubling", "newton_schulz"}) {
    for (std::uint32_t chunk : {32u, 64u}) {
      DYNAMIC_SECTION(kernel << " C=" << chunk) {
        const auto r = run(kernel, chunk, npu::DType::fp16, 3);
        const Bounds b = lower_bounds(r.run.program, r.run.hw);
        const std::uint64_t cycles = r.run.result.cycles;
        INFO("matrix " << b.matrix << " vector " << b.vector << " memory " << b.memory << " chain " << b.chain);
        CHECK(cycles >= b.matrix);
        CHECK(cycles >= b.vector);
        CHECK(cycles >= b.memory);
        CHECK(cycles >= b.chain);
        const auto& matrix = r.run.stats.at("units").as_object().at("matrix").as_object();
        CHECK(matrix.at("mac_utilization").as_double() <= 1.0);
      }
    }
  }
}

TEST_CASE("timing-only kernel runs take the same cycles", "[kernels]") {
  sim::KernelRunOptions o;
  o.hw_path = "test.yaml";
  o.kernel = "fla_blocked";
  o.params.chunk = 64;
  o.params.batch = 3;
  o.progress = false;
  const auto with = sim::run_kernel(test::test_hw(), o);
  o.numerics = false;
  const auto without = sim::run_kernel(test::test_hw(), o);
  CHECK(with.run.result.cycles == without.run.result.cycles);
  CHECK(without.run.stats.at("accuracy").is_null());
}

TEST_CASE("chunks spread over cores; each core's result is correct", "[kernels][multicore]") {
  sim::KernelRunOptions o;
  o.hw_path = "test.yaml";
  o.kernel = "neumann";
  o.params.chunk = 32;
  o.params.steps = 8;  // exact at C = 32 with N = 4
  o.params.dtype = npu::DType::fp32;
  o.params.batch = 5;
  o.progress = false;
  const auto one = sim::run_kernel(test::test_hw(), o);
  const auto two = sim::run_kernel(test::test_hw({"cores=2"}), o);
  CHECK(*two.accuracy->rel_fro_error_worst < 1e-6);
  CHECK(two.run.result.cycles < one.run.result.cycles);
  CHECK(two.run.result.cores.size() == 2);
}

TEST_CASE("chunks spread over hardware threads give the same T, bit for bit", "[kernels][threads]") {
  for (const char* kernel : {"fla_blocked", "neumann", "fwdsub"}) {
    for (npu::DType dtype : {npu::DType::fp16, npu::DType::int16}) {
      if (dtype == npu::DType::int16 && std::string(kernel) == "fwdsub") continue;
      DYNAMIC_SECTION(kernel << " " << npu::dtype_name(dtype)) {
        sim::KernelRunOptions o;
        o.hw_path = "test.yaml";
        o.kernel = kernel;
        o.params.chunk = 64;
        o.params.dtype = dtype;
        o.params.batch = 7;
        o.progress = false;
        const auto one = sim::run_kernel(test::test_hw(), o);
        const auto three = sim::run_kernel(test::test_hw({"sequencer.threads=3"}), o);
        CHECK(three.t->values == one.t->values);
        REQUIRE(three.run.result.cores[0].threads.size() == 3);
        for (const auto& t : three.run.result.cores[0].threads) CHECK(t.size() > 0);  // every thread works
      }
    }
  }
}

TEST_CASE("accuracy is null with a reason when the fp64 reference is not finite, never 0", "[kernels][accuracy]") {
  // Entries of 1e300 below the diagonal: the exact inverse overflows fp64 (products of them).
  kernels::MatrixBatch a;
  a.batch = 1;
  a.n = 16;
  a.values.assign(256, 0.0);
  for (std::uint32_t i = 0; i < 16; ++i) {
    for (std::uint32_t j = 0; j < i; ++j) a.at(0, i, j) = 1e300;
  }
  const auto r = run("neumann", 16, npu::DType::fp16, 1, std::nullopt, std::nullopt, kernels::SumMethod::automatic, a);
  CHECK(!r.accuracy->rel_fro_error_worst);
  CHECK(!r.accuracy->max_abs_error);
  CHECK(!r.accuracy->snr_db_worst);
  CHECK(!r.accuracy->exact);
  CHECK(r.accuracy->undefined_reason.find("the fp64 reference inverse has") == 0);
  // The integer variants calibrate their scales on that reference: they run with the most
  // headroom (every scale 0) rather than build a matmul with a negative shift.
  for (const auto dt : {npu::DType::int16, npu::DType::int8}) {
    const auto q = run("neumann", 16, dt, 1, std::nullopt, std::nullopt, kernels::SumMethod::automatic, a);
    CHECK(!q.accuracy->rel_fro_error_worst);
    CHECK(q.accuracy->undefined_reason.find("the fp64 reference inverse has") == 0);
  }
  // Entries of 1e20: the reference stays finite, its norm overflows: null too, not a relative error of 0.
  for (double& v : a.values) v = v == 0 ? 0 : 1e20;
  const auto big = run("neumann", 16, npu::DType::int16, 1, std::nullopt, std::nullopt, kernels::SumMethod::automatic, a);
  CHECK(!big.accuracy->rel_fro_error_worst);
  CHECK(!big.accuracy->snr_db_mean);
  CHECK(big.accuracy->undefined_reason == "the error norms overflow fp64");
  const auto& acc = big.run.stats.at("accuracy").as_object();
  CHECK(acc.at("rel_fro_error").as_object().at("worst").is_null());
  CHECK(acc.at("undefined_reason").as_string() == "the error norms overflow fp64");
}
