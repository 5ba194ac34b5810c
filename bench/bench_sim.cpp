// Simulation speed: simulated instructions and cycles per host second, timing-only, on
// (1) a long stream of independent vector ops and (2) a GEMM-heavy tiled program.
// Run through bench/run, which builds first. Not a test: it prints figures.
#include <fmt/format.h>
#include <sys/resource.h>
#include <systemc>

#include "kernels/gemm.hpp"
#include "npu/isa/builder.hpp"
#include "npu/isa/check.hpp"
#include "npu/top/simulate.hpp"
#include "sim/config/hw_config.hpp"

using namespace npusim;

namespace {

npu::Program vector_stream(std::uint32_t count) {
  npu::ProgramBuilder b("vector-stream");
  const auto x = b.buffer("x", npu::DType::fp16, 1, 64);
  const auto y = b.buffer("y", npu::DType::fp16, 1, 64);
  const auto z = b.buffer("z", npu::DType::fp16, 1024, 64);
  for (std::uint32_t i = 0; i < count; ++i) b.vec(npu::Opcode::vec_add, z.rows(i % 1024, 1), x.all(), y.all());
  return b.finish();
}

void measure(const std::string& name, const npu::NpuConfig& hw, npu::Program p) {
  npu::check_program(p, hw);
  npu::SimOptions o;
  o.numerics = false;
  const auto r = npu::simulate(hw, p, o, nullptr);
  fmt::print("{:<34} {:>10} instr {:>12} cycles {:>7.2f} s  {:>6.2f} M instr/s  {:>8.1f} M cycles/s\n", name,
             r.instructions, r.cycles, r.wall_seconds, r.instructions / r.wall_seconds / 1e6,
             r.cycles / r.wall_seconds / 1e6);
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  const std::string root = argc > 1 ? argv[1] : ".";
  const std::string only = argc > 2 ? argv[2] : "";
  const auto hw = sim::read_hw_config(root + "/configs/npu/hexagon-like.yaml");
  if (only.empty() || only == "vector") measure("vector stream (2M vec.add)", hw, vector_stream(2'000'000));
  if (!only.empty() && only != "gemm") return 0;
  kernels::GemmParams g;
  g.m = g.n = 4096;
  g.k = 8192;
  measure("gemm 4096x8192x4096 fp16 (tiled)", hw, kernels::build_gemm(hw, g));
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  fmt::print("peak resident memory {:.0f} MiB\n", usage.ru_maxrss / 1024.0);
  return 0;
}
