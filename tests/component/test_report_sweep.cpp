// The sweep analyses of `npusim report` on hand-made stores whose answers are known: Pareto
// fronts, the knee and the publication's default; crossover maps and their contour; failed and
// missing points; and the sensitivity sweep's elasticities against a closed-form program.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "helpers.hpp"
#include "npu/common/error.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/report/json.hpp"
#include "sim/report/report.hpp"
#include "sim/report/sensitivity.hpp"
#include "sim/sweep/store.hpp"

using namespace npusim;
using test::fresh_dir;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

/// A store as `npusim sweep` writes it, for the axes and values given (one dimension each).
class FakeSweep {
 public:
  FakeSweep(const fs::path& dir, std::vector<std::pair<std::string, std::vector<std::string>>> dims,
            std::vector<std::string> kernels, const std::string& mode, std::uint64_t meant = 0)
      : m_dims(std::move(dims)), m_kernels(std::move(kernels)) {
    json::array axes, dim_json, ks;
    std::uint64_t points = 1;
    for (const auto& [name, values] : m_dims) {
      axes.emplace_back(name);
      json::array vs;
      for (const auto& v : values) vs.push_back(json::array{json::value(v)});
      dim_json.push_back(json::object{{"names", json::array{json::value(name)}}, {"values", std::move(vs)}});
      points *= values.size();
    }
    for (const auto& k : m_kernels) ks.emplace_back(k);
    const json::object workload = m_kernels.size() > 1 ? json::object{{"compare", ks}} : json::object{{"kernel", ks[0]}};
    const std::map<std::string, std::string> meta = {
        {"npusim", "test"},
        {"name", "fake"},
        {"description", "a hand-made store"},
        {"sweep_file", std::string(NPUSIM_SOURCE_DIR) + "/configs/sweeps/fake.yaml"},
        {"hw", "../npu/hexagon-like.yaml"},
        {"workload", json::serialize(workload)},
        {"fixed", R"({"batch": "32", "dtype": "fp16"})"},
        {"axes", json::serialize(axes)},
        {"kernels", json::serialize(ks)},
        {"mode", mode},
        {"shard", "all"},
        {"points", std::to_string(meant ? meant : points)},
        {"sweep_points", std::to_string(meant ? meant : points)},
        {"definition", json::serialize(json::object{{"dims", dim_json}, {"workload", workload}})}};
    m_store = std::make_unique<sim::Store>(sim::Store::create((dir / "results.sqlite").string(), meta));
  }

  /// Point `number` (mixed radix over the dims, the first slowest) with one row per kernel.
  void add(std::uint64_t number, const std::vector<sim::PointRow>& rows) {
    std::vector<std::string> names, values;
    std::uint64_t rest = number;
    std::vector<std::string> v(m_dims.size());
    for (std::size_t d = m_dims.size(); d-- > 0;) {
      v[d] = m_dims[d].second[rest % m_dims[d].second.size()];
      rest /= m_dims[d].second.size();
    }
    for (const auto& [name, _] : m_dims) names.push_back(name);
    m_store->add_point(number, names, v, sim::PointResult{"h" + std::to_string(number), rows}, 0.1);
  }

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> m_dims;
  std::vector<std::string> m_kernels;
  std::unique_ptr<sim::Store> m_store;
};

sim::PointRow row(const std::string& kernel, double cycles, json::object figures = {}) {
  figures["cycles"] = cycles;
  if (!figures.contains("kernel.chunk")) figures["kernel.chunk"] = 64;
  return sim::PointRow{kernel, "ok", "", std::uint64_t(cycles), figures};
}

json::object accuracy(double snr, double order = 0, double steps = 0) {
  return json::object{{"accuracy.snr_db.worst", snr}, {"accuracy.nonfinite", 0},
                      {"accuracy.rel_fro_error.worst", std::pow(10.0, -snr / 20)}, {"kernel.order", order},
                      {"kernel.steps", steps}, {"kernel.mask", order > 0 ? "band" : ""}};
}

std::string report(const fs::path& dir, json::object* analyses = nullptr) {
  sim::ReportOptions o;
  o.from = dir.string();
  o.quiet = true;
  o.sensitivity = false;
  const auto written = sim::write_report(o);
  if (analyses) *analyses = sim::parse_json(sim::read_text_file((dir / "report.analyses.json").string()), "").as_object();
  return sim::read_text_file(written.front());
}

std::string section(const std::string& html, const std::string& id) {
  const auto start = html.find("<section id=\"" + id + "\"");
  REQUIRE(start != std::string::npos);
  return html.substr(start, html.find("</section>", start) - start);
}

}  // namespace

TEST_CASE("sweep report: Pareto front, knee, default and recommendation on a known store", "[report][sweep]") {
  const fs::path dir = fresh_dir("pareto");
  FakeSweep s(dir, {{"chunk", {"64"}}, {"order", {"1", "2", "3"}}, {"steps", {"1", "8"}}}, {"fla_blocked", "neumann"},
              "numerics");
  // neumann (N, S) -> (cycles, worst SNR): the front is (1,1) 10000/20 dB, (2,1) 12000/45 dB,
  // (3,8) 23463/55 dB; (1,8) 15000/30 and (2,8) 20000/44 and (3,1) 13000/40 are dominated.
  // fla_blocked: 98,474 cycles at 60 dB at every point (one setting).
  const double cycles[3][2] = {{10000, 15000}, {12000, 20000}, {13000, 23463}};
  const double snr[3][2] = {{20, 30}, {45, 44}, {40, 55}};
  const int steps[2] = {1, 8};
  for (int n = 0; n < 3; ++n) {
    for (int k = 0; k < 2; ++k) {
      s.add(std::uint64_t(2 * n + k), {row("fla_blocked", 98474, accuracy(60)),
                                       row("neumann", cycles[n][k], accuracy(snr[n][k], n + 1, steps[k]))});
    }
  }
  json::object a;
  const std::string html = report(dir, &a);
  const auto& front = a.at("pareto").as_array().at(0).as_object();
  CHECK(front.at("group").as_string() == "C = 64 fp16");
  std::vector<std::string> labels;
  for (const auto& f : front.at("front").as_array()) labels.emplace_back(f.as_object().at("setting").as_string());
  CHECK(labels == std::vector<std::string>{"neumann N=1 S=1", "neumann N=2 S=1", "neumann N=3 S=8", "fla_blocked"});
  // Scaled over the front (10000..98474 cycles, 20..60 dB): N=2 S=1 gains 25/40 - 2000/88474 =
  // 0.60, N=3 S=8 35/40 - 13463/88474 = 0.72: the knee.
  CHECK(front.at("knee").as_string() == "neumann N=3 S=8");
  CHECK(section(html, "pareto").find("the publication&#39;s default neumann N=3 S=8 (23,463 cycles, 55.0 dB) is on the front") !=
        std::string::npos);
  CHECK(section(html, "summary").find("at C = 64 fp16 on hexagon-like, neumann N=2 S=1 is the cheapest setting "
                                      "above 40 dB worst-chunk SNR (45.0 dB): 12,000 cycles, 8.21x faster than fla_blocked") !=
        std::string::npos);
  const std::string csv = sim::read_text_file((dir / "report.pareto.csv").string());
  CHECK(csv.find("C = 64 fp16,neumann N=3 S=1,neumann,4,13000,40,0.01,0,neumann N=2 S=1,0,0,0\r\n") != std::string::npos);
  CHECK(csv.find("C = 64 fp16,fla_blocked,fla_blocked,0,98474,60,0.001,1,,0,0,1\r\n") != std::string::npos);
  CHECK(section(html, "pareto").find("id=\"figure-pareto-0\"") != std::string::npos);
}

TEST_CASE("sweep report: crossover map over two axes, failed points hatched, facets", "[report][sweep]") {
  const fs::path dir = fresh_dir("crossover");
  // x in 4 values, y in 3, a facet of 2: the kernel's speedup is 2^(x - y - 0.5) in index units.
  FakeSweep s(dir, {{"facet", {"a", "b"}}, {"y", {"1", "2", "3"}}, {"x", {"1", "2", "4", "8"}}}, {"base", "new"},
              "timing-only");
  std::uint64_t n = 0;
  for (int f = 0; f < 2; ++f) {
    for (int y = 0; y < 3; ++y) {
      for (int x = 0; x < 4; ++x, ++n) {
        if (f == 1 && x == 1 && y == 1) {
          s.add(n, {row("base", 1000), sim::PointRow{"new", "invalid", "rejected by the spec", std::nullopt, {}}});
          continue;
        }
        s.add(n, {row("base", 1000), row("new", 1000 / std::exp2(x - y - 0.5))});
      }
    }
  }
  json::object a;
  const std::string html = report(dir, &a);
  const auto& maps = a.at("crossover").as_array();
  REQUIRE(maps.size() == 2);
  const auto& m0 = maps[0].as_object();
  CHECK(m0.at("x").as_string() == "x");
  CHECK(m0.at("y").as_string() == "y");
  CHECK(m0.at("title").as_string() == "new over base at facet = a");
  CHECK(m0.at("wins").to_number<int>() == 6);
  CHECK(m0.at("losses").to_number<int>() == 6);
  for (const auto& seg : m0.at("contour_segments").as_array()) {
    const auto& v = seg.as_array();
    // Integer cycles round the speedups a little.
    CHECK(v[0].to_number<double>() - v[1].to_number<double>() == Approx(0.5).margin(0.01));
    CHECK(v[2].to_number<double>() - v[3].to_number<double>() == Approx(0.5).margin(0.01));
  }
  CHECK(maps[1].as_object().at("missing").to_number<int>() == 1);
  CHECK(section(html, "summary").find("1 of the 24 stored points failed") != std::string::npos);
  CHECK(section(html, "summary").find("point 17, new: rejected by the spec") != std::string::npos);
  CHECK(section(html, "crossover").find("id=\"figure-crossover-1\"") != std::string::npos);
  CHECK(section(html, "pareto").find("timing-only") != std::string::npos);
  const std::string csv = sim::read_text_file((dir / "report.crossover.csv").string());
  CHECK(csv.find("facet = b,2,2,\r\n") != std::string::npos);  // the failed point: no speedup
}

TEST_CASE("sweep report: interrupted, empty and all-failed stores", "[report][sweep]") {
  const fs::path dir = fresh_dir("interrupted");
  {
    FakeSweep s(dir, {{"chunk", {"32", "64"}}}, {"neumann"}, "timing-only", 5);
    s.add(0, {row("neumann", 100)});
  }
  const std::string html = report(dir);
  CHECK(section(html, "summary").find("4 of its 5 points are missing") != std::string::npos);
  CHECK(section(html, "summary").find("--resume") != std::string::npos);
  CHECK(section(html, "crossover").find("one kernel") != std::string::npos);

  const fs::path empty = fresh_dir("empty");
  { FakeSweep s(empty, {{"chunk", {"32"}}}, {"neumann"}, "timing-only"); }
  sim::ReportOptions o;
  o.from = empty.string();
  o.sensitivity = false;
  CHECK_THROWS_WITH(sim::write_report(o), Catch::Contains("no points stored yet") && Catch::Contains("--resume"));

  // Figures no run writes (a hand-edited store) are refused rather than plotted.
  const fs::path edited = fresh_dir("edited");
  {
    FakeSweep s(edited, {{"chunk", {"32"}}}, {"neumann"}, "numerics");
    s.add(0, {row("neumann", 100, accuracy(1e300))});
  }
  o.from = edited.string();
  CHECK_THROWS_WITH(sim::write_report(o), Catch::Contains("point 0, neumann: accuracy.snr_db.worst is 1E300, expected an "
                                                          "SNR in dB: not a store npusim wrote"));

  const fs::path failed = fresh_dir("failed");
  {
    FakeSweep s(failed, {{"chunk", {"32", "64"}}}, {"neumann"}, "timing-only");
    s.add(0, {sim::PointRow{"neumann", "invalid", "matrix.cube.m: expected an integer", std::nullopt, {}}});
    s.add(1, {sim::PointRow{"neumann", "error", "simulation error: deadlock", std::nullopt, {}}});
  }
  o.from = failed.string();
  CHECK_THROWS_WITH(sim::write_report(o), Catch::Contains("every one of the 2 stored points failed (1 error, 1 invalid)") &&
                                              Catch::Contains("point 0, neumann: matrix.cube.m: expected an integer"));
  CHECK(!fs::exists(failed / "report.html"));
}

TEST_CASE("elasticities of a program whose cycles have a closed form", "[report][sensitivity]") {
  // One 128x64x128 fp16 matmul on the test NPU: cycles = issue + startup + tiles / rate +
  // pipeline latency = 1 + 3 + 8 x 4 x 8 + 5 = 265 (tests/component/test_timing.cpp).
  const fs::path dir = fresh_dir("elasticity");
  {
    std::ofstream hw(dir / "hw.yaml");
    hw << test::test_hw_yaml();
    std::ofstream p(dir / "matmul.npuasm");
    p << ".buffer a fp16 [128, 64]\n.buffer b fp16 [64, 128]\n.buffer c fp16 [128, 128]\nmatmul c, a, b\n";
  }
  sim::SensitivityBase base;
  base.label = "one matmul";
  base.hw_path = (dir / "hw.yaml").string();
  base.workload = json::object{{"program", (dir / "matmul.npuasm").string()}};
  const auto r = sim::run_sensitivity(base, 0.1, (dir / "sensitivity").string(), false);
  REQUIRE(r.kernels == std::vector<std::string>{"program"});
  REQUIRE(r.base_runs[0].status == "ok");
  const double c0 = 265;
  CHECK(r.base_runs[0].cycles == c0);
  auto e = [&](const std::string& name) -> std::optional<double> {
    for (const auto& p : r.params) {
      if (p.p.name == name) return p.elasticity[0];
    }
    FAIL("no parameter " << name);
    return std::nullopt;
  };
  // Integers move by at least one: startup 3 -> 2 and 4, latency 5 -> 4 and 6 (4.5 rounds to 5).
  CHECK(*e("matrix.startup_cycles") == Approx(3 / c0));
  CHECK(*e("matrix.pipeline_latency") == Approx(5 / c0));
  // The rate 1 -> 18/20 and 22/20: ceil(256 / rate) cycles of tiles.
  const double low = 9 + std::ceil(256 / 0.9), high = 9 + std::ceil(256 / 1.1);
  CHECK(*e("matrix.dtypes.*") == Approx(((high - low) / c0) / 0.2));
  // Tile rows 16 -> 14 and 18: ceil(128 / m) x 4 x 8 tiles.
  const double m_low = 9 + std::ceil(128 / 14.0) * 32, m_high = 9 + std::ceil(128 / 18.0) * 32;
  CHECK(*e("matrix.cube.m") == Approx(((m_high - m_low) / c0) / (4 / 16.0)));
  // Nothing else is on the path of a single matmul.
  for (const char* none : {"dram.latency", "dram.bandwidth", "dma.setup_cycles", "vector.startup_cycles",
                           "vector.ops.*.latency"}) {
    INFO(none);
    REQUIRE(e(none));
    CHECK(*e(none) == 0);
  }
  // What-ifs: twice the matrix rate halves the tiles.
  for (const auto& k : r.knobs) {
    if (k.w.name == "2x matrix throughput") CHECK(k.runs[0].cycles == 9 + 128);
    if (k.w.name == "DRAM bandwidth unlimited") CHECK(k.runs[0].cycles == c0);
  }
  CHECK(fs::exists(dir / "sensitivity" / "sweep.yaml"));
  // The sweep is the report's own: run again, it replaces it; anything else there is refused.
  sim::run_sensitivity(base, 0.1, (dir / "sensitivity").string(), false);
  fs::create_directories(dir / "other");
  CHECK_THROWS_WITH(sim::run_sensitivity(base, 0.1, (dir / "other").string(), false),
                    Catch::Contains("is not a sensitivity sweep of npusim report"));
}

TEST_CASE("sensitivity: a thread moves with its vector context; every what-if is a valid spec", "[report][sensitivity]") {
  auto param = [](const std::vector<sim::Perturbation>& ps, const std::string& name) -> const sim::Perturbation* {
    for (const auto& p : ps) {
      if (p.name == name) return &p;
    }
    return nullptr;
  };
  using Set = std::vector<std::pair<std::string, std::string>>;
  // vector.contexts defaults to one per thread: 2 threads move to 1 and 3 with their contexts.
  const auto both = sim::perturbations(sim::write_hw_config(test::test_hw({"sequencer.threads=2"})), 0.1, nullptr);
  CHECK(param(both, "sequencer.threads") == nullptr);
  CHECK(param(both, "vector.contexts") == nullptr);
  const auto* p = param(both, "sequencer.threads + vector.contexts");
  REQUIRE(p != nullptr);
  CHECK(p->low_set == Set{{"sequencer.threads", "1"}, {"vector.contexts", "1"}});
  CHECK(p->high_set == Set{{"sequencer.threads", "3"}, {"vector.contexts", "3"}});
  // Fewer contexts than threads: each moves alone.
  const auto apart = sim::perturbations(
      sim::write_hw_config(test::test_hw({"sequencer.threads=4", "vector.contexts=2"})), 0.1, nullptr);
  REQUIRE(param(apart, "sequencer.threads") != nullptr);
  CHECK(param(apart, "sequencer.threads")->high_set == Set{{"sequencer.threads", "5"}});
  REQUIRE(param(apart, "vector.contexts") != nullptr);
  CHECK(param(apart, "vector.contexts")->high_set == Set{{"vector.contexts", "3"}});

  // Each what-if applied to the base spec gives a spec the reader takes, with the layout changes
  // made by the vector unit and a hand-shake after them as well as without.
  for (const std::vector<std::string>& base :
       {std::vector<std::string>{}, std::vector<std::string>{"handoff.via=vector", "handoff.sync_cycles=900"}}) {
    const std::string resolved = sim::write_hw_config(test::test_hw(base));
    for (const auto& w : sim::what_ifs(resolved)) {
      INFO(w.name << " on " << (base.empty() ? "via: consumer" : "via: vector"));
      std::vector<std::string> overrides = base;
      for (const auto& [k, v] : w.set) overrides.push_back(k + "=" + v);
      CHECK_NOTHROW(test::test_hw(overrides));
    }
  }
}
