// Identical inputs give byte-identical outputs; multi-core runs share DRAM bandwidth.
#include <catch2/catch.hpp>
#include <filesystem>

#include "helpers.hpp"
#include "sim/report/json.hpp"
#include "sim/run/run_program.hpp"

using namespace npusim;
namespace fs = std::filesystem;

namespace {

std::string run_into(const std::string& dir, const std::string& program, bool numerics) {
  sim::RunOptions o;
  o.hw_path = std::string(NPUSIM_SOURCE_DIR) + "/configs/npu/hexagon-like.yaml";
  o.program_path = std::string(NPUSIM_SOURCE_DIR) + "/" + program;
  o.numerics = numerics;
  o.progress = false;
  sim::write_outputs(sim::run_program(o), dir);
  return sim::read_text_file(dir + "/stats.json");
}

}  // namespace

TEST_CASE("running twice gives byte-identical stats.json", "[determinism]") {
  const fs::path tmp = test::temp_path("npusim-determinism");
  fs::remove_all(tmp);
  for (const char* program : {"traces/programs/gemm.npuasm", "traces/programs/dma_stream.npuasm"}) {
    for (bool numerics : {true, false}) {
      const std::string a = run_into((tmp / "a").string(), program, numerics);
      const std::string b = run_into((tmp / "b").string(), program, numerics);
      CHECK(a == b);
      CHECK(sim::read_text_file((tmp / "a" / "config.yaml").string()) ==
            sim::read_text_file((tmp / "b" / "config.yaml").string()));
    }
  }
  fs::remove_all(tmp);
}

TEST_CASE("stats.json is valid JSON with the documented top-level keys", "[determinism][stats]") {
  const fs::path tmp = test::temp_path("npusim-stats-keys");
  const auto v = sim::parse_json(run_into(tmp.string(), "traces/programs/gemm.npuasm", true), "stats.json");
  const auto& o = v.as_object();
  for (const char* key : {"npusim", "hw", "program", "mode", "cycles", "time_us", "instructions", "units", "stalls",
                          "traffic", "handoff", "numerics"}) {
    CHECK(o.contains(key));
  }
  const auto& units = o.at("units").as_object();
  for (const char* unit : {"sequencer", "matrix", "vector", "dma0", "dma1"}) {
    REQUIRE(units.contains(unit));
    const auto& u = units.at(unit).as_object();
    CHECK(u.at("utilization").as_double() <= 1.0);
    CHECK(u.contains("busy_cycles"));
  }
  CHECK(units.at("matrix").as_object().at("mac_utilization").as_double() <= 1.0);
  // Bytes moved are at least the compulsory traffic: A and B in (fp16), C out (fp32).
  const auto& t = o.at("traffic").as_object();
  CHECK(t.at("dram_read_payload_bytes").to_number<std::uint64_t>() == 2 * 64 * 128 * 2);
  CHECK(t.at("dram_write_payload_bytes").to_number<std::uint64_t>() == 64 * 64 * 4);
  fs::remove_all(tmp);
}

TEST_CASE("cores share DRAM: the same stream on two cores takes longer than on one", "[multicore][dram]") {
  std::string one = ".dram A fp32 [64, 1024]\n.buffer a fp32 [64, 1024]\ndma.load a, A\n";
  std::string two = ".dram A fp32 [64, 1024]\n.buffer a fp32 [64, 1024]\n.core 0\ndma.load a, A\n.core 1\ndma.load a, A\n";
  // 256 KiB per load; each queue could move 32 B/cycle, DRAM gives 48 B/cycle in total.
  const auto hw1 = test::test_hw({"dram.bandwidth=48B/cycle"});
  const auto hw2 = test::test_hw({"dram.bandwidth=48B/cycle", "cores=2"});
  const auto r1 = test::run_asm(one, hw1, false);
  const auto r2 = test::run_asm(two, hw2, false);
  const std::uint64_t bytes = 64 * 1024 * 4;
  CHECK(r1.result.cycles == 1 + 110 + bytes / 32);
  // Both cores start together and split 48 B/cycle evenly: 24 each.
  CHECK(r2.result.cycles == 1 + 110 + (bytes + 23) / 24);
  CHECK(r2.done(0, 0) == r2.done(0, 1));
}
