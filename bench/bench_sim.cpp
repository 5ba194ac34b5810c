// Simulation speed and memory, one workload per process (bench/run runs each several times and
// prints medians). A workload is timed whole: building the program, checking it, simulating,
// and making the stats and the analysis (bounds, critical path), as `npusim run` does. Not a
// test: it prints figures.
//
// usage: npusim-bench ROOT WORKLOAD [VECTOR_INSTRUCTIONS]   (the last for profiling a shorter stream)
// prints one line: WORKLOAD INSTRUCTIONS CYCLES SECONDS PEAK_KIB CPU_SECONDS FAULTS [EXTRA...]
// (CPU: user plus system time of the process, what other load on the machine does not inflate;
// FAULTS: its minor page faults, one per page first touched). With NPUSIM_BENCH_SMALL_PAGES=1 in
// the environment the process runs without transparent huge pages (prctl PR_SET_THP_DISABLE),
// as on a system without them: the arrays npu/common/huge_pages.hpp advises get 4 KiB pages. Extra:
// matmul-numerics, the seconds of the matmul repeats and of the same repeats with the loop as
// issue 12 found it; critical-path, the seconds of the walk on 1 M instructions and on 125 k,
// and the 125 k run's instructions (a third argument: the longer run's vector ops, 800 k);
// page-faults, the microseconds a first write costs per 4 KiB page and per 2 MiB huge page.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <cerrno>
#include <cstdlib>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "kernels/gemm.hpp"
#include "npu/common/huge_pages.hpp"
#include "npu/isa/builder.hpp"
#include "npu/isa/check.hpp"
#include "npu/numerics/execute.hpp"
#include "npu/numerics/float_formats.hpp"
#include "npu/top/simulate.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/config/model_config.hpp"
#include "sim/report/analysis.hpp"
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
  b.reserve(count);
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

/// fp16 -> fp32 as the numerics converted it when issue 12 was filed (bit by bit, per value).
float fp16_widened_by_loop(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  if (exp == 0x1fu) return npu::bits_float(sign | 0x7f800000u | (mant << 13));
  if (exp != 0) return npu::bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
  if (mant == 0) return npu::bits_float(sign);
  int e = -1;
  do {
    ++e;
    mant <<= 1;
  } while ((mant & 0x400u) == 0);
  return npu::bits_float(sign | ((112u - static_cast<std::uint32_t>(e)) << 23) | ((mant & 0x3ffu) << 13));
}

/// The fp16 matmul C = A W (64^3, no transposes, no accumulation) as the numerics computed it
/// when issue 12 was filed (execute.cpp before 9e82ccd): operands widened element by element,
/// then i-j-k loops, the accumulator rounded to `acc_t` after every step. The baseline of the
/// issue's "4x faster" target, and a check of the bits the current code gives.
void matmul_as_filed(const std::uint8_t* a, const std::uint8_t* w, std::uint8_t* c, npu::DType acc_t) {
  constexpr std::uint32_t n = 64;
  auto load = [](const std::uint8_t* m, std::uint32_t i, std::uint32_t j) {
    std::uint16_t h;
    std::memcpy(&h, m + 2 * (std::size_t{i} * n + j), 2);
    return fp16_widened_by_loop(h);
  };
  std::vector<float> av(n * n), bv(n * n), out(n * n);
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t k = 0; k < n; ++k) av[i * n + k] = load(a, i, k);
  for (std::uint32_t k = 0; k < n; ++k)
    for (std::uint32_t j = 0; j < n; ++j) bv[k * n + j] = load(w, k, j);
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (std::uint32_t k = 0; k < n; ++k) acc = npu::round_to_float_dtype(acc + av[i * n + k] * bv[k * n + j], acc_t);
      out[i * n + j] = acc;
    }
  }
  for (std::uint32_t i = 0; i < n * n; ++i) {
    const std::uint16_t h = npu::fp32_to_fp16(out[i]);
    std::memcpy(c + 2 * std::size_t{i}, &h, 2);
  }
}

/// The numerics of one fp16 64x64x64 matmul, repeated: host speed of the matmul loop alone.
/// Reports the MACs as "instructions" and 0 cycles; `loop_seconds` is the time of the repeats,
/// `baseline_seconds` that of the same repeats with matmul_as_filed(), which must give the same bits.
Figures matmul_numerics(const npu::NpuConfig& hw, double& loop_seconds, double& baseline_seconds) {
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
  const npu::Instruction& in = p.streams[0].code[0];
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint32_t r = 0; r < kRepeats; ++r) npu::execute(p, in, hw.core, mem, counters);
  const auto t1 = std::chrono::steady_clock::now();
  loop_seconds = std::chrono::duration<double>(t1 - t0).count();
  std::vector<std::uint8_t> filed(64 * 64 * 2);
  const std::uint8_t* sp = scratchpad.data();
  for (std::uint32_t r = 0; r < kRepeats; ++r) {
    matmul_as_filed(sp + p.address_of(p.operand(in, 1)), sp + p.address_of(p.operand(in, 2)), filed.data(),
                    hw.core.matrix.float_accumulator);
  }
  baseline_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  if (std::memcmp(filed.data(), sp + p.address_of(p.dst(in)), filed.size()) != 0) {
    fmt::print(stderr, "npusim-bench: the matmul numerics differ from the issue-12 loop's bits\n");
    std::exit(1);
  }
  return {std::uint64_t{kRepeats} * 64 * 64 * 64, 0};
}

/// A stream of `count` vector ops with a barrier after every fourth: the critical-path walk
/// crosses a barrier every few steps (it was quadratic there). Returns the seconds
/// critical_path() takes on it (the best of 5); `figures`: the run's instructions and cycles.
double critical_path_seconds(const npu::NpuConfig& hw, std::uint32_t count, Figures& figures) {
  npu::ProgramBuilder b("critical-path");
  const auto x = b.buffer("x", npu::DType::fp16, 1, 64);
  const auto z = b.buffer("z", npu::DType::fp16, 1024, 64);
  b.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    b.vec(npu::Opcode::vec_add, z.rows(i % 1024, 1), z.rows((i + 1023) % 1024, 1), x.all());
    if (i % 4 == 3) b.barrier();
  }
  npu::Program p = b.finish();
  npu::check_program(p, hw);
  const npu::RunResult r = npu::simulate(hw, p, npu::SimOptions{}, nullptr);
  figures = {r.instructions, r.cycles};
  double best = 1e300;
  for (int k = 0; k < 5; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    const sim::CriticalPath path = sim::critical_path(hw, p, r);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (path.instructions == 0) std::exit(1);
  }
  return best;
}

/// What writing fresh memory costs on this machine, which huge pages cut: the microseconds per
/// 4 KiB page first written in 64 MiB mapped with 4 KiB pages (MADV_NOHUGEPAGE), and per 2 MiB in
/// 64 MiB from allocate_huge() (huge pages where the kernel grants them). Both write every 4 KiB.
void page_fault_costs(double& small_us, double& huge_us) {
  constexpr std::size_t kBytes = std::size_t{64} << 20;
  auto touch = [](void* p) {
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < kBytes; i += 4096) static_cast<volatile char*>(p)[i] = 1;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  void* small = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (small == MAP_FAILED) throw std::bad_alloc();
  (void)madvise(small, kBytes, MADV_NOHUGEPAGE);
  small_us = touch(small) / double(kBytes / 4096) * 1e6;
  munmap(small, kBytes);
  void* huge = npu::allocate_huge(kBytes);
  huge_us = touch(huge) / double(kBytes / npu::kHugePageBytes) * 1e6;
  npu::deallocate_huge(huge, kBytes);
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

namespace {

/// The optional third argument, a count of instructions (or vector ops) from `least` to
/// 2^32 - 1; `fallback` when there is none. Anything else is a usage error.
std::uint32_t count_argument(int argc, char* argv[], std::uint32_t fallback, std::uint32_t least = 1) {
  if (argc < 4) return fallback;
  const std::string text = argv[3];
  std::uint64_t n = 0;
  const bool digits = !text.empty() && text.size() <= 10 && text.find_first_not_of("0123456789") == std::string::npos;
  if (digits) n = std::stoull(text);
  if (!digits || n < least || n > UINT32_MAX) {
    throw std::invalid_argument(
        fmt::format("the count must be a whole number from {} to {}, got '{}'", least, UINT32_MAX, text));
  }
  return static_cast<std::uint32_t>(n);
}

int bench_main(int argc, char* argv[]) {
  if (argc != 3 && argc != 4) {
    fmt::print(stderr, "usage: npusim-bench ROOT WORKLOAD (vector, gemm, neumann2048, neumann16384, "
                       "neumann256-numerics, matmul-numerics, critical-path, page-faults, layer4096, layer32768)\n");
    return 2;
  }
  if (const char* small = std::getenv("NPUSIM_BENCH_SMALL_PAGES"); small && std::strcmp(small, "1") == 0) {
    if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) {
      fmt::print(stderr, "npusim-bench: cannot turn transparent huge pages off: {}\n", std::strerror(errno));
      return 2;
    }
  }
  const std::string root = argv[1], what = argv[2];
  const std::string hw_path = root + "/configs/npu/hexagon-like.yaml";
  const auto t0 = std::chrono::steady_clock::now();
  const npu::NpuConfig hw = sim::read_hw_config(hw_path);
  Figures f;
  std::string extra;  // workload-specific figures after the usual ones
  if (what == "vector") {
    f = vector_stream(hw, count_argument(argc, argv, 2'000'000));
  } else if (what == "gemm") {
    f = gemm(hw);
  } else if (what == "neumann2048") {
    f = neumann(hw_path, 2048, false);
  } else if (what == "neumann16384") {
    f = neumann(hw_path, 16384, false);
  } else if (what == "neumann256-numerics") {
    f = neumann(hw_path, 256, true);
  } else if (what == "matmul-numerics") {
    double loop = 0, baseline = 0;
    f = matmul_numerics(hw, loop, baseline);
    extra = fmt::format(" {:.4f} {:.4f}", loop, baseline);
  } else if (what == "critical-path") {
    // The walk's time per instruction at 8x the length: about 1 when it is linear, 8 when quadratic.
    const std::uint32_t large = count_argument(argc, argv, 800'000, 8);  // the shorter run is an eighth
    Figures small;
    const double t_small = critical_path_seconds(hw, large / 8, small);
    const double t_large = critical_path_seconds(hw, large, f);
    extra = fmt::format(" {:.6f} {:.6f} {}", t_large, t_small, small.instructions);
  } else if (what == "page-faults") {
    double small_us = 0, huge_us = 0;
    page_fault_costs(small_us, huge_us);
    extra = fmt::format(" {:.3f} {:.3f}", small_us, huge_us);
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
  const double cpu = double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  fmt::print("{} {} {} {:.4f} {} {:.4f} {}{}\n", what, f.instructions, f.cycles, seconds, usage.ru_maxrss, cpu,
             usage.ru_minflt, extra);
  return 0;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  try {
    return bench_main(argc, argv);
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "npusim-bench: out of memory\n");
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "npusim-bench: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "npusim-bench: {}\n", e.what());
  }
  return 1;
}
