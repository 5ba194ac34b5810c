#include "sim/run/run_program.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <optional>

#include "npu/common/error.hpp"
#include "npu/isa/asm.hpp"
#include "npu/isa/check.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/io/output.hpp"
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
  ProgramRun run;
  run.hw = std::move(hw);
  run.program = std::move(program);
  if (numerics) run.dram = std::move(dram);
  npu::SimOptions options;
  options.numerics = numerics;
  // SystemC names the file itself (it appends ".vcd"): it writes a temporary file, put at the
  // path given once the run is complete.
  std::optional<AtomicFile> vcd;
  if (!vcd_path.empty()) {
    vcd.emplace(vcd_path, ".vcd");
    options.vcd_path = vcd->temp_path();
  }
  if (progress) {
    progress->step("simulating");
    options.progress = progress->callback();
  }
  try {
    run.result = npu::simulate(run.hw, run.program, options, numerics ? &run.dram : nullptr);
  } catch (const npu::RunTooLong&) {
    check_run_length(run.hw, run.program);  // the simulation stops where the bound passes 2^53: say why
    throw;
  } catch (const InputError&) {
    check_run_length(run.hw, run.program);  // an instruction too long on its own, named by its line
    throw;
  }
  if (vcd) vcd->commit();
  if (progress) progress->step("analysing");
  run.figures = run_stats(run.hw, run.result, RunInfo{hw_label, run.program.source, numerics});
  add_analysis(run.figures, run.hw, run.program, run.result);
  run.stats = stats_json(run.figures);
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

void write_text_file(const std::string& path, const std::string& text) { write_file_atomic(path, text); }

void make_directory(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create output directory ({})", dir, ec.message()));
}

namespace {

/// The files write_outputs() writes into `dir`, with what each holds.
std::vector<std::pair<std::string, std::string>> fixed_outputs(const std::string& dir) {
  const fs::path d(dir);
  return {{(d / "stats.json").string(), "the stats"},
          {(d / "config.yaml").string(), "the resolved spec"},
          {(d / "program.npuasm").string(), "the program"}};
}

std::string tensor_output(const std::string& dir, const npu::DramTensor& t) {
  return (fs::path(dir) / (t.name + ".npy")).string();
}

}  // namespace

void plan_outputs(OutputPlan& plan, const std::string& dir) {
  plan.directory(dir);
  for (const auto& [path, what] : fixed_outputs(dir)) plan.file(path, what);
}

void plan_tensor_outputs(OutputPlan& plan, const std::string& dir, const npu::Program& program) {
  for (const auto& t : program.tensors) {
    if (t.output) plan.file(tensor_output(dir, t), "tensor " + t.name);
  }
}

std::vector<std::string> write_outputs(const ProgramRun& run, const std::string& dir, bool tensors) {
  make_directory(dir);
  std::vector<std::string> written;
  const auto files = fixed_outputs(dir);
  const std::string texts[] = {to_json(run.stats), write_hw_config(run.hw), npu::print_program(run.program)};
  for (std::size_t i = 0; i < files.size(); ++i) {
    write_text_file(files[i].first, texts[i]);
    written.push_back(files[i].first);
  }
  if (tensors && !run.dram.empty()) {
    for (const auto& t : run.program.tensors) {
      if (!t.output) continue;
      save_tensor(tensor_output(dir, t), t, run.dram);
      written.push_back(tensor_output(dir, t));
    }
  }
  return written;
}

}  // namespace npusim::sim
