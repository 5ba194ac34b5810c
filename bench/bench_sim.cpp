// Simulation speed and memory, one workload per process (bench/run runs each several times and
// prints medians). A workload is timed whole: building the program, checking it, simulating,
// and making the stats and the analysis (bounds, critical path), as `npusim run` does. Not a
// test: it prints figures.
//
// usage: npusim-bench ROOT WORKLOAD [VECTOR_INSTRUCTIONS]   (the last for profiling a shorter stream)
// prints one line: WORKLOAD INSTRUCTIONS CYCLES SECONDS PEAK_KIB
#include <chrono>
#include <fmt/format.h>
#include <sys/resource.h>

#include "kernels/gemm.hpp"
#include "npu/isa/builder.hpp"
#include "npu/isa/check.hpp"
#include "npu/numerics/execute.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/config/model_config.hpp"
#include "sim/report/json.hpp"
#include "sim/run/layer.hpp"
#include "sim/run/run_kernel.hpp"
#include "sim/run/run_program.hpp"

using namespace npusim;

namespace {

struct Figures {
  std::uint64_t instructions = 0;
  std::uint64_t cycles = 0;
};

/// `count` independent vec.add (each writes its own row of z): the sequencer and the vector unit.
Figures vector_stream(const npu::NpuConfig& hw, std::uint32_t count) {
  npu::ProgramBuilder b("vector-stream");
  const auto x = b.buffer("x", npu::DType::fp16, 1, 64);
  const auto y = b.buffer("y", npu::DType::fp16, 1, 64);
  const auto z = b.buffer("z", npu::DType::fp16, 1024, 64);
  for (std::uint32_t i = 0; i < count; ++i) b.vec(npu::Opcode::vec_add, z.rows(i % 1024, 1), x.all(), y.all());
  npu::Program p = b.finish();
  npu::check_program(p, hw);
  const sim::ProgramRun run = sim::simulate_program(hw, std::move(p), false, {}, "hexagon-like", nullptr);
  return {run.result.instructions, run.result.cycles};
}

/// A tiled 4096x8192x4096 fp16 GEMM: two DMA queues sharing DRAM and the matrix unit.
Figures gemm(const npu::NpuConfig& hw) {
  kernels::GemmParams g;
  g.m = g.n = 4096;
  g.k = 8192;
  npu::Program p = kernels::build_gemm(hw, g);
  npu::check_program(p, hw);
  const sim::ProgramRun run = sim::simulate_program(hw, std::move(p), false, {}, "hexagon-like", nullptr);
  return {run.result.instructions, run.result.cycles};
}

/// `npusim run --kernel neumann --chunk 64 --batch B [--timing-only]` without writing files.
Figures neumann(const std::string& hw_path, std::uint32_t batch, bool numerics) {
  sim::KernelRunOptions o;
  o.hw_path = hw_path;
  o.kernel = "neumann";
  o.params.chunk = 64;
  o.params.batch = batch;
  o.batch_given = true;
  o.numerics = numerics;
  o.progress = false;
  const sim::KernelRun k = sim::run_kernel(o);
  return {k.run.result.instructions, k.run.result.cycles};
}

/// The numerics of one fp16 64x64x64 matmul, repeated: host speed of the matmul loop alone.
/// Reports the MACs as "instructions" and 0 cycles.
Figures matmul_numerics(const npu::NpuConfig& hw) {
  npu::ProgramBuilder b("matmul");
  const auto a = b.buffer("a", npu::DType::fp16, 64, 64);
  const auto w = b.buffer("w", npu::DType::fp16, 64, 64);
  const auto c = b.buffer("c", npu::DType::fp16, 64, 64);
  b.matmul(c.all(), a.all(), w.all());
  npu::Program p = b.finish();
  npu::check_program(p, hw);
  std::vector<std::uint8_t> dram, scratchpad(hw.core.scratchpad.size_bytes, 0);
  for (std::size_t i = 0; i < scratchpad.size(); i += 2) scratchpad[i + 1] = static_cast<std::uint8_t>(0x30 + i % 7);
  npu::Memories mem;
  mem.dram = &dram;
  mem.scratchpad = &scratchpad;
  npu::NumericsCounters counters;
  constexpr std::uint32_t kRepeats = 2000;
  for (std::uint32_t r = 0; r < kRepeats; ++r) npu::execute(p, p.streams[0].code[0], hw.core, mem, counters);
  return {std::uint64_t{kRepeats} * 64 * 64 * 64, 0};
}

/// `npusim layer --model configs/models/qwen3-next-80b-a3b.yaml --seq L --timing-only` without
/// writing files: every stage program built, checked, simulated and analysed.
Figures layer(const std::string& root, const npu::NpuConfig& hw, std::uint32_t seq) {
  sim::LayerRunOptions o;
  o.hw_path = "hexagon-like";
  o.model_path = root + "/configs/models/qwen3-next-80b-a3b.yaml";
  o.params.model = sim::read_model_config(o.model_path);
  o.params.seq = seq;
  o.inverses = {"fla_blocked"};
  o.numerics = false;
  o.progress = false;
  const sim::LayerResult r = sim::run_layer(hw, o);
  return {sim::json_u64(r.json.at("instructions")), sim::json_u64(r.json.at("cycles"))};
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  if (argc != 3 && argc != 4) {
    fmt::print(stderr, "usage: npusim-bench ROOT WORKLOAD (vector, gemm, neumann2048, neumann16384, "
                       "neumann256-numerics, matmul-numerics, layer4096, layer32768)\n");
    return 2;
  }
  const std::string root = argv[1], what = argv[2];
  const std::string hw_path = root + "/configs/npu/hexagon-like.yaml";
  const auto t0 = std::chrono::steady_clock::now();
  const npu::NpuConfig hw = sim::read_hw_config(hw_path);
  Figures f;
  if (what == "vector") {
    f = vector_stream(hw, argc == 4 ? static_cast<std::uint32_t>(std::stoul(argv[3])) : 2'000'000);
  } else if (what == "gemm") {
    f = gemm(hw);
  } else if (what == "neumann2048") {
    f = neumann(hw_path, 2048, false);
  } else if (what == "neumann16384") {
    f = neumann(hw_path, 16384, false);
  } else if (what == "neumann256-numerics") {
    f = neumann(hw_path, 256, true);
  } else if (what == "matmul-numerics") {
    f = matmul_numerics(hw);
  } else if (what == "layer4096") {
    f = layer(root, hw, 4096);
  } else if (what == "layer32768") {
    f = layer(root, hw, 32768);
  } else {
    fmt::print(stderr, "npusim-bench: unknown workload '{}'\n", what);
    return 2;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  fmt::print("{} {} {} {:.4f} {}\n", what, f.instructions, f.cycles, seconds, usage.ru_maxrss);
  return 0;
}
