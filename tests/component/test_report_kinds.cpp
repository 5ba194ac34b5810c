// `npusim report` on each kind of output: the sections that hold data, the one-line notes of the
// others, the plots, the Markdown version, and what a hostile input gets.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "helpers.hpp"
#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "sim/report/json.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/report/report.hpp"
#include "sim/report/trace.hpp"
#include "sim/run/compare.hpp"

using namespace npusim;
using test::fresh_dir;
namespace fs = std::filesystem;

namespace {

const std::string kPreset = std::string(NPUSIM_SOURCE_DIR) + "/configs/npu/hexagon-like.yaml";

sim::KernelRunOptions options(const std::string& kernel, const std::string& hw = kPreset) {
  sim::KernelRunOptions o;
  o.hw_path = hw;
  o.kernel = kernel;
  o.params.chunk = 32;
  o.params.batch = 2;
  o.progress = false;
  return o;
}

/// The HTML of one section.
std::string section(const std::string& html, const std::string& id) {
  const auto start = html.find("<section id=\"" + id + "\"");
  REQUIRE(start != std::string::npos);
  return html.substr(start, html.find("</section>", start) - start);
}

bool omitted(const std::string& html, const std::string& id) {
  return section(html, id).find("class=\"omitted\"") != std::string::npos;
}

std::string write(const fs::path& from, const std::string& md = "", bool sensitivity = false) {
  sim::ReportOptions o;
  o.from = from.string();
  o.markdown = md;
  o.quiet = true;
  o.sensitivity = sensitivity;
  const auto written = sim::write_report(o);
  REQUIRE(written.front() == (from / "report.html").string());
  return sim::read_text_file(written.front());
}

}  // namespace

TEST_CASE("report of a kernel run: figures, spec sources, timeline, the rest noted", "[report]") {
  const fs::path dir = fresh_dir("run");
  const auto k = sim::run_kernel(options("neumann"));
  sim::write_outputs(k.run, dir.string(), false);
  sim::write_trace((dir / "trace.json").string(), k.run.hw, k.run.program, k.run.result);
  const std::string html = write(dir, (dir / "md" / "report.md").string());
  for (const auto& id : sim::report_section_ids()) {
    INFO(id);
    CHECK(html.find("<section id=\"" + id + "\"") != std::string::npos);
  }
  for (const char* id : {"summary", "hardware", "comparison", "utilization", "critical-path", "timeline", "reproduce"}) {
    INFO(id);
    CHECK(!omitted(html, id));
  }
  for (const char* id : {"pareto", "crossover", "layer", "sensitivity"}) {
    INFO(id);
    CHECK(omitted(html, id));
  }
  CHECK(section(html, "sensitivity").find("--no-sensitivity") != std::string::npos);
  CHECK(section(html, "summary").find("Recommendation:") != std::string::npos);
  CHECK(section(html, "hardware").find("assumption") != std::string::npos);
  CHECK(section(html, "hardware").find("calibrated") != std::string::npos);
  CHECK(section(html, "timeline").find("<figure class=\"plot\" id=\"figure-timeline-0\">") != std::string::npos);
  CHECK(section(html, "utilization").find("id=\"figure-utilization\"") != std::string::npos);
  CHECK(section(html, "reproduce").find("npusim run --hw " + kPreset + " --kernel neumann --chunk 32 --dtype fp16 --batch 2 "
                                         "--order 4 --steps 3 --sum horner --mask band --seed 1 --correlation 0.5") !=
        std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(fs::exists(dir / "report.analyses.json"));
  const std::string md = sim::read_text_file((dir / "md" / "report.md").string());
  CHECK(md.find("## Timeline excerpt") != std::string::npos);
  CHECK(md.find("](<report-figures/timeline-0.svg>)") != std::string::npos);
  CHECK(fs::exists(dir / "md" / "report-figures" / "timeline-0.svg"));
  CHECK(sim::read_text_file((dir / "md" / "report-figures" / "utilization.svg").string()).rfind("<?xml", 0) == 0);
}

TEST_CASE("report of a comparison with the sensitivity of its kernels", "[report][sensitivity]") {
  const fs::path dir = fresh_dir("sensitivity");
  sim::CompareOptions c;
  c.run = options("");
  c.kernels = {"fla_blocked", "neumann"};
  sim::write_comparison(sim::compare_kernels(sim::read_hw_config(kPreset), c), dir.string());
  const std::string html = write(dir, "", true);
  const std::string s = section(html, "sensitivity");
  CHECK(!omitted(html, "sensitivity"));
  CHECK(s.find("id=\"figure-what-if\"") != std::string::npos);
  CHECK(s.find("id=\"figure-elasticity\"") != std::string::npos);
  CHECK(s.find("zero hand-off cost") != std::string::npos);
  CHECK(s.find("elasticity of neumann") != std::string::npos);
  // The base point runs again with the cycles of the comparison.
  const std::string stats = sim::read_text_file((dir / "neumann" / "stats.json").string());
  const auto cycles = sim::parse_json(stats, "").as_object().at("cycles").to_number<std::uint64_t>();
  CHECK(s.find("neumann " + grouped(cycles) + " cycles") != std::string::npos);
  CHECK(fs::exists(dir / "report-sensitivity" / "sweep.yaml"));
  CHECK(fs::exists(dir / "report.sensitivity.csv"));
}

TEST_CASE("report of a comparison and of an experiment", "[report]") {
  const fs::path dir = fresh_dir("compare");
  sim::CompareOptions c;
  c.run = options("");
  c.kernels = {"fla_blocked", "neumann"};
  sim::write_comparison(sim::compare_kernels(sim::read_hw_config(kPreset), c), dir.string());
  std::string html = write(dir);
  CHECK(section(html, "comparison").find("speedup over fla_blocked") != std::string::npos);
  CHECK(section(html, "summary").find("Use neumann: ") != std::string::npos);
  CHECK(omitted(html, "timeline"));
  CHECK(section(html, "timeline").find("compare with --trace") != std::string::npos);
  CHECK(section(html, "reproduce").find("npusim compare --hw " + kPreset + " --kernels fla_blocked,neumann --chunk 32") !=
        std::string::npos);

  const fs::path ex = fresh_dir("experiment");
  {
    std::ofstream f(ex / "small.yaml");
    f << "name: small\nhw: " << kPreset << "\nkernels: [fla_blocked, neumann]\nchunks: [16, 32]\ndtypes: [fp16, int16]\n"
      << "batch: 2\nreported: {source: made up, speedup: {32: 3.0}}\n";
  }
  const auto e = sim::read_experiment((ex / "small.yaml").string());
  sim::run_experiment(e, (ex / "out").string(), false, nullptr);
  html = write(ex / "out");
  CHECK(!omitted(html, "crossover"));
  CHECK(section(html, "crossover").find("id=\"figure-crossover-0\"") != std::string::npos);
  CHECK(section(html, "comparison").find("id=\"figure-speedups\"") != std::string::npos);
  CHECK(section(html, "summary").find("Against the 2 reported speedups") != std::string::npos);
  CHECK(omitted(html, "pareto"));
  CHECK(section(html, "reproduce").find("npusim experiment") != std::string::npos);
}

TEST_CASE("report inputs that are not npusim outputs are refused with the reason", "[report]") {
  sim::ReportOptions o;
  o.from = "no/such/dir";
  CHECK_THROWS_WITH(sim::write_report(o), "--from no/such/dir: no such directory");
  o.from = kPreset;
  CHECK_THROWS_WITH(sim::write_report(o), Catch::Contains("not a directory"));
  const fs::path empty = fresh_dir("empty");
  o.from = empty.string();
  CHECK_THROWS_WITH(sim::write_report(o), Catch::Contains("not an npusim output directory: expected"));
  {
    std::ofstream f(empty / "stats.json");
    f << "{\"cycles\": 3";
  }
  CHECK_THROWS_WITH(sim::write_report(o), Catch::Contains("stats.json: invalid JSON"));
  {
    std::ofstream f(empty / "stats.json");
    f << "{\"hw\": {}}";
  }
  CHECK_THROWS_WITH(sim::write_report(o), Catch::Contains("stats.json: expected npusim stats with 'cycles' and 'units'"));
  o.html = empty.string();
  CHECK_THROWS_WITH(sim::write_report(o), Catch::Contains("is a directory"));
}

TEST_CASE("names with markup and bytes that are not UTF-8 are shown escaped", "[report]") {
  const fs::path dir = fresh_dir("hostile");
  {
    std::ofstream f(dir / "hw.yaml", std::ios::binary);
    f << "name: \"<b>&x\xff<script>\"\n";
    std::ifstream in(kPreset);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("name:", 0) != 0) f << line << '\n';
    }
  }
  const auto k = sim::run_kernel(options("neumann", (dir / "hw.yaml").string()));
  sim::write_outputs(k.run, (dir / "run").string(), false);
  const std::string html = write(dir / "run");
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find("&lt;b&gt;&amp;x\xEF\xBF\xBD&lt;script&gt;") != std::string::npos);
  const std::string analyses = sim::read_text_file((dir / "run" / "report.analyses.json").string());
  CHECK(analyses.find('\xff') == std::string::npos);
}

TEST_CASE("hand-edited inputs and unwritable outputs get a message, never a crash", "[report]") {
  sim::ReportOptions o;
  o.quiet = true;
  o.sensitivity = false;
  // A JSON file cut short says where it ends.
  const fs::path cut = fresh_dir("cut");
  {
    std::ofstream f(cut / "stats.json");
    f << "{\n  \"cycles\": 3,\n  \"units\": {";
  }
  o.from = cut.string();
  CHECK_THROWS_WITH(sim::write_report(o), Catch::EndsWith("stats.json: invalid JSON at line 3, column 13: incomplete JSON "
                                                          "(the text ends there: cut short?)"));
  // An experiment's rows need a chunk size and named kernels.
  const fs::path ex = fresh_dir("edited-experiment");
  o.from = ex.string();
  for (const auto& [row, message] : std::vector<std::pair<std::string, std::string>>{
           {R"({"dtype": "fp16", "chunk": 1e300, "comparison": {"kernels": []}})",
            "rows[0].chunk: expected a chunk size (a whole number of rows), got 1E300"},
           {R"({"dtype": "fp16", "comparison": {"kernels": []}})",
            "rows[0].chunk: expected a chunk size (a whole number of rows), got nothing"},
           {R"({"dtype": "fp16", "chunk": 32, "comparison": {"kernels": [{"name": 5}]}})",
            "every entry of 'kernels' needs a 'name'"}}) {
    {
      std::ofstream f(ex / "results.json");
      f << R"({"experiment": {"name": "edited"}, "rows": [)" << row << "]}";
    }
    CHECK_THROWS_WITH(sim::write_report(o), Catch::EndsWith(message));
  }
  // A run whose trace holds events npusim never writes: they are left out of the timeline.
  const fs::path dir = fresh_dir("hostile-out");
  const auto k = sim::run_kernel(options("neumann"));
  sim::write_outputs(k.run, dir.string(), false);
  {
    std::ofstream f(dir / "trace.json");
    f << R"({"traceEvents": [{"ph": "X", "pid": 1.5, "tid": 0, "args": {"start_cycle": 0, "end_cycle": 4}},
      {"ph": "X", "cat": "handoff", "pid": 0, "tid": 1, "ts": "x", "dur": 2, "args": {"cycles": 2}}]})";
  }
  o.from = dir.string();
  // The page's directory is made; an output that cannot be written is named.
  o.html = (dir / "new" / "deeper" / "r.html").string();
  REQUIRE_NOTHROW(sim::write_report(o));
  CHECK(fs::exists(dir / "new" / "deeper" / "r.html"));
  if (fs::exists("/dev/full")) {
    o.html = "/dev/full";
    CHECK_THROWS_WITH(sim::write_report(o), "/dev/full: cannot write (No space left on device)");
  }
}
