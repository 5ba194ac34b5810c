// Sweep files: the point order, zip, random, skip; the run cache; the store's CSV (the
// bad-input corpus is in test_bad_inputs.cpp). The command-level properties (-j, shards, resume after SIGKILL, Slurm) are in
// tests/sweep/*.sh against the real binary.
#include <catch2/catch.hpp>
#include <csv.h>
#include <fmt/format.h>
#include <filesystem>
#include <unistd.h>

#include "helpers.hpp"
#include "npu/common/error.hpp"
#include "sim/run/run_kernel.hpp"
#include "sim/run/run_program.hpp"
#include "sim/sweep/store.hpp"
#include "sim/sweep/sweep_file.hpp"

using namespace npusim;
namespace fs = std::filesystem;

namespace {

/// A private temporary directory (tests of several worktrees may run at once).
fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / fmt::format("npusim-{}-{}", name, getpid());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

const std::string kHw = std::string(NPUSIM_SOURCE_DIR) + "/configs/npu/hexagon-like.yaml";

/// Reads a sweep from text (written to a temporary file; `hw:` points at hexagon-like).
sim::Sweep sweep_of(const std::string& body) {
  const fs::path d = temp_dir("sweep-file");
  const fs::path f = d / "s.yaml";
  sim::write_text_file(f.string(), "hw: " + kHw + "\n" + body);
  return sim::read_sweep(f.string());
}

std::vector<std::vector<std::string>> all_points(const sim::Sweep& s) {
  std::vector<std::vector<std::string>> out;
  for (std::uint64_t i = 0; i < s.size(); ++i) {
    auto v = s.axis_values(i);
    if (!s.skipped(v)) out.push_back(v);
  }
  return out;
}

}  // namespace

TEST_CASE("sweep points: the first axis varies slowest, zip groups go together", "[sweep]") {
  const auto s = sweep_of(R"(workload: {kernel: neumann}
fixed: {batch: 2}
grid:
  chunk: [32, 64]
  order: {range: [1, 5, 2]}
zip:
  - steps: [1, 4]
    sum: [horner, doubling]
)");
  CHECK(s.axes() == std::vector<std::string>{"chunk", "order", "steps", "sum"});
  REQUIRE(s.size() == 2 * 3 * 2);
  CHECK(s.axis_values(0) == std::vector<std::string>{"32", "1", "1", "horner"});
  CHECK(s.axis_values(1) == std::vector<std::string>{"32", "1", "4", "doubling"});
  CHECK(s.axis_values(2) == std::vector<std::string>{"32", "3", "1", "horner"});
  CHECK(s.axis_values(11) == std::vector<std::string>{"64", "5", "4", "doubling"});
  const auto p = s.point(s.axis_values(11), true);
  CHECK(p.params == std::map<std::string, std::string>{{"batch", "2"}, {"chunk", "64"}, {"order", "5"}, {"steps", "4"},
                                                       {"sum", "doubling"}});
}

TEST_CASE("sweep ranges: inclusive, integer or decimal steps", "[sweep]") {
  const auto s = sweep_of(R"(workload: {kernel: neumann}
fixed: {chunk: 64}
grid:
  correlation: {range: [0, 1, 0.25]}
  hw.dram.latency: {range: [100, 130, 15]}
)");
  CHECK(s.dims[0].values == std::vector<std::vector<std::string>>{{"0"}, {"0.25"}, {"0.5"}, {"0.75"}, {"1"}});
  CHECK(s.dims[1].values == std::vector<std::vector<std::string>>{{"100"}, {"115"}, {"130"}});
  CHECK(s.point(s.axis_values(0), true).overrides == std::vector<std::string>{"dram.latency=100"});
}

TEST_CASE("skip expressions: numbers with units, text, and, or, not, in", "[sweep]") {
  const auto s = sweep_of(R"(workload: {kernel: neumann}
fixed: {chunk: 64}
grid:
  dtype: [fp16, int16]
  order: [2, 3, 5]
  hw.dram.bandwidth: [50GB/s, 200GB/s]
skip:
  - dtype == int16 and order > 2
  - not (hw.dram.bandwidth >= 100GB/s or order in [2, 5])
)");
  // Kept: fp16 with (200GB/s, or order 2 or 5); int16 only with order 2 (and then anything).
  std::vector<std::vector<std::string>> want = {
      {"fp16", "2", "50GB/s"}, {"fp16", "2", "200GB/s"}, {"fp16", "3", "200GB/s"}, {"fp16", "5", "50GB/s"},
      {"fp16", "5", "200GB/s"}, {"int16", "2", "50GB/s"}, {"int16", "2", "200GB/s"}};
  CHECK(all_points(s) == want);
}

TEST_CASE("skip: ordering text is an error naming the expression and the values", "[sweep][bad-input]") {
  const auto s = sweep_of(R"(workload: {kernel: neumann}
fixed: {chunk: 64}
grid:
  dtype: [fp16, int16]
skip: ["dtype > fp8"]
)");
  try {
    s.skipped(s.axis_values(0));
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Matches(".*s.yaml:6:8: skip 'dtype > fp8': cannot order 'fp16' and 'fp8' \\(> needs "
                                        "two numbers with the same unit\\)"));
  }
}

TEST_CASE("random samples: seeded, inside their ranges, with units, the same on every read", "[sweep]") {
  const std::string body = R"(workload: {kernel: neumann}
fixed: {chunk: 64}
grid:
  order: [2, 3]
random:
  samples: 50
  seed: 7
  space:
    hw.dram.bandwidth: {log_uniform: [25GB/s, 400GB/s]}
    steps: {int_uniform: [1, 16]}
    dtype: {choice: [fp16, int16]}
)";
  const auto a = sweep_of(body), b = sweep_of(body);
  REQUIRE(a.size() == 100);
  CHECK(a.axes() == std::vector<std::string>{"order", "hw.dram.bandwidth", "steps", "dtype"});
  std::set<std::string> dtypes;
  for (std::uint64_t i = 0; i < a.size(); ++i) {
    const auto v = a.axis_values(i);
    CHECK(v == b.axis_values(i));
    REQUIRE(v[1].size() > 4);
    CHECK(v[1].substr(v[1].size() - 4) == "GB/s");
    const double bw = std::stod(v[1]);
    CHECK(bw >= 25);
    CHECK(bw <= 400);
    const int steps = std::stoi(v[2]);
    CHECK(steps >= 1);
    CHECK(steps <= 16);
    dtypes.insert(v[3]);
  }
  CHECK(dtypes == std::set<std::string>{"fp16", "int16"});
  // Another seed draws other samples.
  std::string other = body;
  other.replace(other.find("seed: 7"), 7, "seed: 8");
  CHECK(sweep_of(other).axis_values(0) != a.axis_values(0));
}

TEST_CASE("a point's kernel runs are those of npusim compare, and a reused baseline equals a fresh run", "[sweep]") {
  const auto s = sweep_of(R"(workload: {compare: [fla_blocked, neumann]}
fixed: {chunk: 16, batch: 2, dtype: int16}
grid:
  order: [2, 3]
)");
  sim::RunCache cache;
  const auto first = s.workload->run(s.point(s.axis_values(0), true), cache);
  CHECK(cache.hits() == 0);
  const auto second = s.workload->run(s.point(s.axis_values(1), true), cache);
  CHECK(cache.hits() == 1);  // fla_blocked does not read order
  REQUIRE(second.rows.size() == 2);
  CHECK(first.hash != second.hash);
  // The reused fla_blocked row and neumann's row equal direct runs with the same options.
  for (const auto& row : second.rows) {
    sim::KernelRunOptions o;
    o.hw_path = kHw;
    o.kernel = row.label;
    o.params.chunk = 16;
    o.params.batch = 2;
    o.params.dtype = npu::DType::int16;
    if (row.label == "neumann") o.params.order = 3;
    o.generator.seed = 1;
    o.progress = false;
    const auto direct = sim::run_kernel(sim::read_hw_config(kHw), o);
    INFO(row.label);
    CHECK(row.status == "ok");
    CHECK(row.cycles == direct.run.result.cycles);
    CHECK(row.figures == sim::flatten_stats(direct.run.stats));
  }
  // The same point hashes the same; another spec hashes differently.
  sim::RunCache fresh;
  CHECK(s.workload->run(s.point(s.axis_values(1), true), fresh).hash == second.hash);
  auto p = s.point(s.axis_values(1), true);
  p.overrides.push_back("dram.latency=101");
  CHECK(s.workload->run(p, fresh).hash != second.hash);
}

TEST_CASE("invalid points become rows with their message", "[sweep][bad-input]") {
  const auto s = sweep_of(R"(workload: {compare: [fla_blocked, neumann]}
fixed: {chunk: 16}
grid:
  hw.matrix.cube.m: [0]
  dtype: [fp32]
)");
  sim::RunCache cache;
  const auto r = s.workload->run(s.point(s.axis_values(0), true), cache);
  REQUIRE(r.rows.size() == 2);
  CHECK(r.rows[0].status == "invalid");
  CHECK(r.rows[0].message == "--set matrix.cube.m=0: matrix.cube.m: expected an integer in [1, 4096], got '0'");
  CHECK(!r.rows[0].cycles);
}

TEST_CASE("the store's CSV quotes per RFC 4180 and reads back", "[sweep]") {
  const fs::path d = temp_dir("store");
  const std::map<std::string, std::string> meta = {{"axes", R"(["dtype"])"}, {"npusim", "test"}};
  auto store = sim::Store::create((d / "results.sqlite").string(), meta);
  sim::PointResult r;
  r.hash = "h";
  r.rows.push_back({"a", "ok", "", 100, {{"x.y", 1.5}, {"name", "plain"}}});
  r.rows.push_back({"b", "invalid", "a message, with \"quotes\"\nand a line break", std::nullopt, {}});
  store.add_point(3, {"dtype"}, {"fp16"}, r, 0.25);
  CHECK(store.has_point(3));
  CHECK(!store.has_point(2));
  store.export_csv((d / "results.csv").string());
  const std::string text = sim::read_text_file((d / "results.csv").string());
  // Parse it back with libcsv's reader.
  struct Fields {
    std::vector<std::vector<std::string>> rows{{}};
  } f;
  csv_parser p;
  REQUIRE(csv_init(&p, CSV_STRICT) == 0);
  csv_parse(
      &p, text.data(), text.size(),
      [](void* s, size_t n, void* data) {
        static_cast<Fields*>(data)->rows.back().emplace_back(static_cast<const char*>(s), n);
      },
      [](int, void* data) { static_cast<Fields*>(data)->rows.emplace_back(); }, &f);
  csv_fini(&p, nullptr, nullptr, &f);
  csv_free(&p);
  f.rows.pop_back();
  REQUIRE(f.rows.size() == 3);
  CHECK(f.rows[0] == std::vector<std::string>{"point", "hash", "dtype", "kernel", "status", "message", "cycles",
                                              "speedup", "name", "x.y"});
  CHECK(f.rows[1] == std::vector<std::string>{"3", "h", "fp16", "a", "ok", "", "100", "1", "plain", "1.5"});
  CHECK(f.rows[2][5] == "a message, with \"quotes\"\nand a line break");
  CHECK(f.rows[2][6] == "");
}
