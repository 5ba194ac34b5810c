// Bad-input corpora: every file under tests/bad_inputs/{configs,models,programs,sweeps} ends with
// `# expect: MESSAGE` lines, and the reader must report exactly those messages, in order.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <sstream>

#include "helpers.hpp"
#include "npu/common/error.hpp"
#include "sim/cli/options.hpp"
#include "sim/config/model_config.hpp"
#include "sim/run/resources.hpp"
#include "sim/run/run_program.hpp"
#include "sim/sweep/sweep_file.hpp"

using namespace npusim;

namespace {

std::vector<std::string> expected_messages(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  const std::string tag = "# expect: ";
  while (std::getline(in, line)) {
    if (line.rfind(tag, 0) == 0) out.push_back(line.substr(tag.size()));
  }
  return out;
}

std::vector<std::string> corpus(const std::string& dir, const std::string& extension) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(std::string(NPUSIM_SOURCE_DIR) + "/" + dir)) {
    if (e.path().extension() == extension) files.push_back(dir + "/" + e.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

template <class F>
std::vector<std::string> messages_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.messages();
  }
  return {};
}

}  // namespace

TEST_CASE("bad configs: every problem reported at once, with file:line:col and key path", "[bad-input][config]") {
  const auto files = corpus("tests/bad_inputs/configs", ".yaml");
  REQUIRE(files.size() >= 15);
  for (const auto& file : files) {
    DYNAMIC_SECTION(file) {
      const std::string text = test::source_file(file);
      const auto expected = expected_messages(text);
      REQUIRE(!expected.empty());
      CHECK(messages_of([&] { sim::parse_hw_config(text, file); }) == expected);
    }
  }
}

TEST_CASE("bad models: every problem reported at once, with file:line:col and key", "[bad-input][model]") {
  const auto files = corpus("tests/bad_inputs/models", ".yaml");
  REQUIRE(files.size() >= 8);
  for (const auto& file : files) {
    DYNAMIC_SECTION(file) {
      const std::string text = test::source_file(file);
      const auto expected = expected_messages(text);
      REQUIRE(!expected.empty());
      CHECK(messages_of([&] { sim::parse_model_config(text, file); }) == expected);
    }
  }
}

TEST_CASE("bad programs: line-numbered messages naming the instruction", "[bad-input][program]") {
  const auto files = corpus("tests/bad_inputs/programs", ".npuasm");
  REQUIRE(files.size() >= 19);
  const auto hw = test::test_hw();
  for (const auto& file : files) {
    DYNAMIC_SECTION(file) {
      const std::string text = test::source_file(file);
      const auto expected = expected_messages(text);
      REQUIRE(!expected.empty());
      CHECK(messages_of([&] {
              npu::Program p = npu::parse_program(text, file);
              npu::check_program(p, hw);
            }) == expected);
    }
  }
}

TEST_CASE("bad sweep files: every problem at once, with file:line:col", "[bad-input][sweep]") {
  const auto files = corpus("tests/bad_inputs/sweeps", ".yaml");
  REQUIRE(files.size() >= 17);
  for (const auto& file : files) {
    DYNAMIC_SECTION(file) {
      const auto expected = expected_messages(test::source_file(file));
      REQUIRE(!expected.empty());
      CHECK(messages_of([&] { sim::read_sweep(file); }) == expected);
    }
  }
}

TEST_CASE("overrides (--set) are checked like the file and reported against the override", "[bad-input][config]") {
  const auto msgs = messages_of([] { test::test_hw({"matrix.cube.m=abc", "vector.widht=64B", "dram"}); });
  CHECK(msgs == std::vector<std::string>{
                    "--set dram: expected KEY.PATH=VALUE",
                    "--set matrix.cube.m=abc: matrix.cube.m: expected an integer in [1, 4096], got 'abc'",
                    "--set vector.widht=64B: vector.widht: unknown key; did you mean 'width'? (known keys here: width, "
                    "startup_cycles, contexts, port, dtypes, ops)"});
}

TEST_CASE("overrides (--set) change the config and the resolved config records them", "[config]") {
  const auto hw = test::test_hw({"matrix.cube.m=32", "dram.bandwidth=12.5GB/s", "sequencer.queue_depth=2"});
  CHECK(hw.core.matrix.cube.m == 32);
  CHECK(hw.dram.bytes_per_cycle == 12.5);
  CHECK(hw.core.sequencer.queue_depth == 2);
  // The resolved YAML reads back to the same config.
  const auto again = sim::parse_hw_config(sim::write_hw_config(hw), "resolved.yaml");
  CHECK(sim::write_hw_config(again) == sim::write_hw_config(hw));
}

TEST_CASE("every preset validates and resolves to a fixed point", "[config]") {
  for (const auto& file : corpus("configs/npu", ".yaml")) {
    DYNAMIC_SECTION(file) {
      const auto hw = sim::read_hw_config(std::string(NPUSIM_SOURCE_DIR) + "/" + file);
      const std::string resolved = sim::write_hw_config(hw);
      CHECK(sim::write_hw_config(sim::parse_hw_config(resolved, "resolved.yaml")) == resolved);
    }
  }
}

TEST_CASE("command-line numbers are checked as typed: ranges, no wrap, no silent default", "[bad-input][cli]") {
  CHECK(sim::parse_integer("batch", "7", 1, 10) == 7);
  CHECK(sim::parse_integer("seed", "18446744073709551615", 0, UINT64_MAX) == UINT64_MAX);
  for (const char* bad : {"-1", "0", "11", "", " 5", "5 ", "+5", "0x5", "5e0", "1.0", "18446744073709551616"}) {
    INFO(bad);
    try {
      sim::parse_integer("batch", bad, 1, 10);
      FAIL("expected a UsageError");
    } catch (const sim::UsageError& e) {
      CHECK(e.message == fmt::format("--batch {}: expected an integer in [1, 10]", bad));
    }
  }
  CHECK(sim::parse_number("correlation", "0.25", 0, 1) == 0.25);
  for (const char* bad : {"nan", "inf", "-0.1", "1.5", "0.5x", ""}) {
    INFO(bad);
    CHECK_THROWS_AS(sim::parse_number("correlation", bad, 0, 1), sim::UsageError);
  }
  CHECK(sim::parse_list("kernels", " fla_blocked , neumann") == std::vector<std::string>{"fla_blocked", "neumann"});
  CHECK_THROWS_AS(sim::parse_list("kernels", "a,,b"), sim::UsageError);
  CHECK(sim::parse_size("max-memory", "2GiB", 1) == (std::uint64_t{2} << 30));
  CHECK_THROWS_AS(sim::parse_size("max-memory", "0", 1), sim::UsageError);
}

TEST_CASE("text inputs are read up to a limit", "[bad-input]") {
  const std::string path = (test::temp_path("npusim-limit.yaml")).string();
  sim::write_text_file(path, std::string(100, 'x'));
  CHECK(sim::read_text_file(path, 100).size() == 100);
  CHECK(messages_of([&] { sim::read_text_file(path, 99); }) ==
        std::vector<std::string>{path + ": longer than 99 B, the limit for this kind of file"});
  std::filesystem::remove(path);
}

TEST_CASE("a run is refused, with its estimate, when it needs more memory than allowed", "[bad-input][memory]") {
  sim::MemoryEstimate e;
  e.add("DRAM image", std::uint64_t{3} << 30);
  e.add("scratchpads", std::uint64_t{1} << 30);
  e.add("DRAM image", std::uint64_t{1} << 30);  // parts of the same name add up
  CHECK(e.total() == (std::uint64_t{5} << 30));
  CHECK_NOTHROW(sim::check_memory(e, std::uint64_t{5} << 30, "x", "y"));
  CHECK(messages_of([&] { sim::check_memory(e, std::uint64_t{4} << 30, "run", "use less"); }) ==
        std::vector<std::string>{"run needs about 5 GiB of memory (DRAM image 4 GiB, scratchpads 1 GiB), more than "
                                 "the limit of 4 GiB (--max-memory); use less, or raise --max-memory"});
  CHECK(npusim::sat_mul(UINT64_MAX / 2, 3) == UINT64_MAX);
  CHECK(npusim::sat_add(UINT64_MAX, 1) == UINT64_MAX);
}
