#include <cstdlib>
#include <cstdio>
#include <sstream>
#include <string>

#include "fuzz.hpp"
#include "npu/common/error.hpp"
#include "npu/isa/asm.hpp"
#include "npu/isa/check.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/io/npy.hpp"

namespace npusim::fuzz {
namespace {

/// A finding that is not a crash by itself: report it and abort, so the fuzzer keeps the input.
[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
  std::abort();
}

/// The NPU programs are checked against (tests/helpers.hpp's test NPU).
const npu::NpuConfig& small_npu() {
  static const npu::NpuConfig hw = sim::parse_hw_config(R"(name: fuzz
clock: 1GHz
matrix:
  model: cube
  cube: {m: 16, k: 16, n: 16}
  dtypes: {fp16: 1, bf16: 1, int8: 2, int16: 1, fp32: 1/4}
  port: 256B/cycle
vector:
  width: 64B
  port: 64B/cycle
  dtypes: [fp32, fp16, bf16, int8, int16, int32]
  ops: {default: 3}
scratchpad: {size: 1MiB, banks: 8, bank_width: 32B}
dma: {queues: 2, bandwidth: 32B/cycle}
dram: {bandwidth: 64B/cycle, latency: 100, burst: 64B}
cores: 2
)",
                                                        "fuzz.yaml");
  return hw;
}

}  // namespace

void spec(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  npu::NpuConfig cfg;
  try {
    cfg = sim::parse_hw_config(text, "fuzz.yaml");
  } catch (const InputError&) {
    return;
  }
  const std::string resolved = sim::write_hw_config(cfg);
  try {
    if (sim::write_hw_config(sim::parse_hw_config(resolved, "resolved.yaml")) != resolved) {
      finding("the resolved config does not read back to itself:\n" + resolved);
    }
  } catch (const InputError& e) {
    finding(std::string("the resolved config does not read back: ") + e.what() + "\n" + resolved);
  }
}

void npuasm(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  npu::Program p;
  try {
    p = npu::parse_program(text, "fuzz.npuasm");
  } catch (const InputError&) {
    return;
  }
  const std::string printed = npu::print_program(p);
  try {
    if (npu::print_program(npu::parse_program(printed, "printed.npuasm")) != printed) {
      finding("the printed program is not a fixed point:\n" + printed);
    }
  } catch (const InputError& e) {
    finding(std::string("the printed program does not parse: ") + e.what() + "\n" + printed);
  }
  try {
    npu::check_program(p, small_npu());
  } catch (const InputError&) {
  }
}

void npy(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  sim::NpyArray a;
  try {
    a = sim::read_npy(in, "fuzz.npy");
  } catch (const InputError&) {
    return;
  }
  double sum = 0;
  for (std::uint64_t i = 0; i < a.elements(); ++i) sum += a.at(i);
  if (sum == 12345.678) std::fputs("", stderr);  // keeps the loop from being optimised away
}

}  // namespace npusim::fuzz
