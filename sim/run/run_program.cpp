#include "sim/run/run_program.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <fstream>

#include "npu/common/error.hpp"
#include "npu/isa/asm.hpp"
#include "npu/isa/check.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/io/tensors.hpp"
#include "sim/report/analysis.hpp"
#include "sim/report/json.hpp"
#include "sim/report/stats.hpp"
#include "sim/run/progress.hpp"
#include "sim/run/resources.hpp"

namespace npusim::sim {
namespace fs = std::filesystem;

npu::Program load_program(const std::string& path, const npu::NpuConfig& hw) {
  npu::Program p = npu::parse_program(read_text_file(path, kMaxProgramFileBytes), path);
  npu::check_program(p, hw);
  return p;
}

ProgramRun simulate_program(npu::NpuConfig hw, npu::Program program, bool numerics, std::vector<std::uint8_t> dram,
                            const std::string& hw_label, Progress* progress, const std::string& vcd_path) {
  check_run_length(hw, program);
  ProgramRun run;
  run.hw = std::move(hw);
  run.program = std::move(program);
  if (numerics) run.dram = std::move(dram);
  npu::SimOptions options;
  options.numerics = numerics;
  options.vcd_path = vcd_path;
  if (progress) {
    progress->step("simulating");
    options.progress = progress->callback();
  }
  run.result = npu::simulate(run.hw, run.program, options, numerics ? &run.dram : nullptr);
  if (progress) progress->step("analysing");
  run.stats = make_stats(run.hw, run.result, RunInfo{hw_label, run.program.source, numerics});
  add_analysis(run.stats, run.hw, run.program, run.result);
  return run;
}

ProgramRun run_program(const RunOptions& o) {
  npu::NpuConfig hw = read_hw_config(o.hw_path, o.overrides);
  npu::Program program = load_program(o.program_path, hw);
  check_memory(estimate_program(hw, program, o.numerics), o.max_memory, o.program_path,
               o.numerics ? "try --timing-only (no DRAM image, no scratchpads)" : "split the program");
  if (o.before_simulation) o.before_simulation(program);
  Progress bar(o.program_path, o.progress);
  const std::string base = fs::path(o.program_path).parent_path().string();
  std::vector<std::uint8_t> dram;
  if (o.numerics) {
    bar.step("building the DRAM image");
    dram = build_dram_image(program, base, o.inputs);
  }
  return simulate_program(std::move(hw), std::move(program), o.numerics, std::move(dram), o.hw_path, &bar,
                          o.vcd_path);
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw InputError(fmt::format("{}: cannot write file", path));
}

void make_directory(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create output directory ({})", dir, ec.message()));
}

std::vector<std::string> write_outputs(const ProgramRun& run, const std::string& dir, bool tensors) {
  make_directory(dir);
  std::vector<std::string> written;
  const fs::path d(dir);
  write_text_file((d / "stats.json").string(), to_json(run.stats));
  written.push_back((d / "stats.json").string());
  write_text_file((d / "config.yaml").string(), write_hw_config(run.hw));
  written.push_back((d / "config.yaml").string());
  write_text_file((d / "program.npuasm").string(), npu::print_program(run.program));
  written.push_back((d / "program.npuasm").string());
  if (tensors && !run.dram.empty()) {
    for (const auto& t : run.program.tensors) {
      if (!t.output) continue;
      const fs::path path = d / (t.name + ".npy");
      save_tensor(path.string(), t, run.dram);
      written.push_back(path.string());
    }
  }
  return written;
}

}  // namespace npusim::sim
