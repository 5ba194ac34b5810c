// Golden figures: the cycles of every sample program on every preset, of every experiment row
// and of the GDN layers' stages, checked exactly against tests/golden/figures.txt. A model
// change that moves a figure fails here and shows every figure that moved; when the move is
// intended, re-bless with ./scripts/bless-golden, which rewrites the file and prints the diff.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>

#include "helpers.hpp"
#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "sim/report/json.hpp"
#include "sim/config/model_config.hpp"
#include "sim/run/compare.hpp"
#include "sim/run/layer.hpp"
#include "sim/run/run_program.hpp"

using namespace npusim;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = NPUSIM_SOURCE_DIR;
const fs::path kGoldenFile = kSource / "tests/golden/figures.txt";

std::vector<fs::path> files_in(const fs::path& dir, const std::string& extension) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == extension) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Figure name -> value, in a fixed order.
using Figures = std::map<std::string, std::string>;

/// Every sample program on every preset; where the preset has fewer cores or DMA queues than
/// the program uses, with that many (named in the figure).
void program_figures(Figures& f) {
  for (const auto& program : files_in(kSource / "traces/programs", ".npuasm")) {
    const npu::Program parsed = npu::parse_program(sim::read_text_file(program.string()), program.string());
    std::uint32_t cores = 1, queues = 1;
    for (const auto& s : parsed.streams) {
      cores = std::max(cores, s.core + 1);
      for (const auto& in : s.code) {
        if (in.unit() == npu::UnitKind::dma) queues = std::max<std::uint32_t>(queues, in.queue + 1u);
      }
    }
    for (const auto& hw : files_in(kSource / "configs/npu", ".yaml")) {
      const npu::NpuConfig preset = sim::read_hw_config(hw.string());
      sim::RunOptions o;
      o.hw_path = hw.string();
      if (preset.cores < cores) o.overrides.push_back(fmt::format("cores={}", cores));
      if (preset.core.dma.queues < queues) o.overrides.push_back(fmt::format("dma.queues={}", queues));
      o.program_path = program.string();
      o.numerics = false;
      o.progress = false;
      std::string name = fmt::format("program {} on {}", program.stem().string(), hw.stem().string());
      for (const auto& s : o.overrides) name += " " + s;
      try {
        f[name] = grouped(sim::run_program(o).result.cycles);
      } catch (const InputError& e) {  // the preset cannot run it (a dtype it lacks): that is a figure too
        const std::string first = e.messages().front();
        f[name] = "not runnable (" + first.substr(first.find(": ") + 2) + ")";
      }
    }
  }
}

/// Every row of every experiment: each kernel's cycles and the speedup of the last over the first.
void experiment_figures(Figures& f) {
  for (const auto& file : files_in(kSource / "configs/experiments", ".yaml")) {
    const sim::Experiment e = sim::read_experiment(file.string());
    const auto results = sim::run_experiment(e, "", false, nullptr);
    for (const auto& rv : results.at("rows").as_array()) {
      const auto& row = rv.as_object();
      const std::string prefix = fmt::format("experiment {} {} C={:>3}", e.name, row.at("dtype").as_string().c_str(),
                                             sim::json_u64(row.at("chunk")));
      for (const auto& kv : row.at("cycles").as_object()) {
        f[fmt::format("{} {}", prefix, std::string(kv.key()))] = grouped(sim::json_u64(kv.value()));
      }
      f[prefix + " speedup"] = fmt::format("{:.2f}x", sim::json_double(row.at("speedup")));
    }
  }
}

/// One GDN layer (256 tokens, C = 64, timing-only, fla_blocked against neumann): every model on
/// hexagon-like, and qwen3-next on every preset (bf16 where the preset has no fp16 matmuls).
/// Each stage's cycles with fla_blocked, neumann's inverse stage and the layer reduction.
void layer_figures(Figures& f) {
  std::vector<std::pair<fs::path, fs::path>> runs;  // (model, hw)
  for (const auto& model : files_in(kSource / "configs/models", ".yaml")) {
    runs.emplace_back(model, kSource / "configs/npu/hexagon-like.yaml");
  }
  for (const auto& hw : files_in(kSource / "configs/npu", ".yaml")) {
    if (hw.stem() != "hexagon-like") runs.emplace_back(kSource / "configs/models/qwen3-next-80b-a3b.yaml", hw);
  }
  for (const auto& [model, hw] : runs) {
    const npu::NpuConfig preset = sim::read_hw_config(hw.string());
    sim::LayerRunOptions o;
    o.hw_path = hw.string();
    o.model_path = model.string();
    o.params.model = sim::read_model_config(model.string());
    o.params.seq = 256;
    o.params.dtype = preset.core.matrix.rate(npu::DType::fp16) ? npu::DType::fp16 : npu::DType::bf16;
    o.params.weights = kernels::default_weights(o.params.dtype);
    o.inverses = {"fla_blocked", "neumann"};
    o.numerics = false;
    o.progress = false;
    const auto r = sim::run_layer(preset, o);
    const std::string prefix = fmt::format("layer {} on {} {} C= 64 256 tokens", model.stem().string(),
                                           hw.stem().string(), npu::dtype_name(o.params.dtype));
    for (const auto& kv : r.runs[0].stats.at("stages").as_object()) {
      f[fmt::format("{} {}", prefix, std::string(kv.key()))] = grouped(sim::json_u64(kv.value().as_object().at("cycles")));
    }
    f[prefix + " neumann inverse"] =
        grouped(sim::json_u64(r.runs[1].stats.at("stages").as_object().at("inverse").as_object().at("cycles")));
    f[prefix + " layer reduction"] = fmt::format("{:.2f}%", 100 * sim::json_double(r.json.at("layer_reduction")));
  }
}

std::string render(const Figures& f) {
  std::string out =
      "# Golden figures (tests/golden/test_golden.cpp): the cycles of every sample program on every preset, of\n"
      "# every experiment row and of the GDN layers' stages, timing-only. Checked exactly by the test suite;\n"
      "# after an intended model change, re-bless with ./scripts/bless-golden and commit the diff it prints.\n";
  for (const auto& [k, v] : f) out += k + ": " + v + "\n";
  return out;
}

Figures parse(const std::string& text) {
  Figures f;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    const auto sep = line.find(": ");  // names hold no ": "; values may
    if (sep != std::string::npos) f[line.substr(0, sep)] = line.substr(sep + 2);
  }
  return f;
}

/// One line per figure that differs: "name: expected -> got".
std::string differences(const Figures& expected, const Figures& got) {
  std::string out;
  for (const auto& [k, v] : expected) {
    const auto it = got.find(k);
    if (it == got.end()) {
      out += fmt::format("  {}: {} -> (gone)\n", k, v);
    } else if (it->second != v) {
      out += fmt::format("  {}: {} -> {}\n", k, v, it->second);
    }
  }
  for (const auto& [k, v] : got) {
    if (!expected.count(k)) out += fmt::format("  {}: (new) -> {}\n", k, v);
  }
  return out;
}

}  // namespace

TEST_CASE("golden figures: every sample program and experiment row", "[golden]") {
  Figures got;
  program_figures(got);
  experiment_figures(got);
  layer_figures(got);
  if (std::getenv("NPUSIM_BLESS")) {
    std::ofstream(kGoldenFile, std::ios::binary) << render(got);
    WARN("blessed " << got.size() << " figures into " << kGoldenFile.string());
    return;
  }
  REQUIRE(fs::exists(kGoldenFile));
  const Figures expected = parse(sim::read_text_file(kGoldenFile.string()));
  const std::string diff = differences(expected, got);
  INFO("figures that moved (re-bless with ./scripts/bless-golden if intended):\n" << diff);
  CHECK(diff.empty());
}
