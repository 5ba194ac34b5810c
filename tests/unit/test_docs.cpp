// Every stats key and every config key is documented where users look for it.
#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <sstream>

#include "helpers.hpp"
#include "sim/cli/cli.hpp"
#include "sim/config/model_config.hpp"
#include "sim/report/stats.hpp"
#include "sim/run/compare.hpp"
#include "sim/sweep/sweep_file.hpp"

using namespace npusim;

TEST_CASE("every stats key is documented in README.md", "[docs]") {
  const std::string readme = test::source_file("README.md");
  for (const auto& d : sim::stat_docs()) {
    INFO(d.key);
    CHECK(readme.find("`" + d.key + "`") != std::string::npos);
  }
}

TEST_CASE("every config key is documented in configs/README.md", "[docs]") {
  const std::string doc = test::source_file("configs/README.md");
  std::vector<std::string> files = {"configs/npu/hexagon-like.yaml", "configs/npu/tpu-v5e-like.yaml"};
  for (const auto& f : files) {
    std::vector<sim::KeyDoc> keys;
    sim::read_hw_config(std::string(NPUSIM_SOURCE_DIR) + "/" + f, {}, &keys);
    for (auto k : keys) {
      // vector.ops.add.latency is documented as vector.ops.<op>.latency
      const std::string ops = "vector.ops.";
      if (k.path.rfind(ops, 0) == 0 && k.path.substr(ops.size()) != "default") {
        const auto dot = k.path.find('.', ops.size());
        k.path = ops + "<op>" + (dot == std::string::npos ? "" : k.path.substr(dot));
      }
      INFO(k.path);
      CHECK(doc.find("`" + k.path + "`") != std::string::npos);
    }
  }
}

TEST_CASE("every experiment key is documented in configs/README.md", "[docs]") {
  const std::string doc = test::source_file("configs/README.md");
  std::vector<sim::KeyDoc> keys;
  sim::read_experiment(std::string(NPUSIM_SOURCE_DIR) + "/configs/experiments/paper-hexagon.yaml", &keys);
  REQUIRE(keys.size() > 10);
  for (const auto& k : keys) {
    INFO(k.path);
    CHECK(doc.find("`" + k.path + "`") != std::string::npos);
  }
}

TEST_CASE("every model key is documented in configs/README.md", "[docs]") {
  const std::string doc = test::source_file("configs/README.md");
  std::vector<sim::KeyDoc> keys;
  sim::read_model_config(std::string(NPUSIM_SOURCE_DIR) + "/configs/models/qwen3-next-80b-a3b.yaml", &keys);
  REQUIRE(keys.size() == 10);
  for (const auto& k : keys) {
    INFO(k.path);
    CHECK(doc.find("`" + k.path + "`") != std::string::npos);
  }
}

TEST_CASE("every command-line flag is documented in README.md", "[docs]") {
  const std::string readme = test::source_file("README.md");
  for (const char* command : {"validate", "run", "compare", "experiment", "layer", "sweep", "merge", "report"}) {
    std::ostringstream out, err;
    const char* argv[] = {"npusim", command, "--help"};
    REQUIRE(sim::run_cli(3, argv, out, err) == sim::kExitOk);
    const std::string help = out.str();
    std::set<std::string> flags;
    const std::regex flag("--([a-z][a-z-]*)");
    for (auto it = std::sregex_iterator(help.begin(), help.end(), flag); it != std::sregex_iterator(); ++it) {
      flags.insert((*it)[0]);
    }
    REQUIRE(!flags.empty());
    for (const auto& f : flags) {
      INFO(command << " " << f);
      CHECK(readme.find(f) != std::string::npos);
    }
  }
}

TEST_CASE("every sweep key and parameter is documented in configs/README.md", "[docs]") {
  const std::string doc = test::source_file("configs/README.md");
  // A sweep using every construct; axis names in key paths are documented as <axis>.
  const std::string file = std::string(NPUSIM_SOURCE_DIR) + "/tests/sweeps/every_key.yaml";
  std::vector<sim::KeyDoc> keys;
  const sim::Sweep s = sim::read_sweep(file, &keys);
  REQUIRE(keys.size() > 15);
  auto axes = s.axes();
  std::sort(axes.begin(), axes.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (auto k : keys) {
    k.path = std::regex_replace(k.path, std::regex("zip\\[[0-9]+\\]"), "zip[i]");
    for (const std::string section : {"grid.", "zip[i].", "random.space."}) {
      if (k.path.rfind(section, 0) != 0) continue;
      for (const auto& a : axes) {
        const std::string rest = k.path.substr(section.size());
        if (rest == a || rest.rfind(a + ".", 0) == 0) {
          k.path = section + "<axis>" + rest.substr(a.size());
          break;
        }
      }
    }
    INFO(k.path);
    CHECK(doc.find("`" + k.path + "`") != std::string::npos);
  }
  for (const auto& p : s.workload->params()) {
    INFO(p.name);
    CHECK(doc.find("| `" + p.name + "` |") != std::string::npos);
  }
}
