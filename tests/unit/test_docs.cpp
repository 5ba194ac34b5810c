// Every stats key and every config key is documented where users look for it.
#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <sstream>

#include "helpers.hpp"
#include "sim/cli/cli.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/config/model_config.hpp"
#include "sim/report/stats.hpp"
#include "sim/run/compare.hpp"
#include "sim/sweep/sweep_file.hpp"

using namespace npusim;

TEST_CASE("README.md's table of stats keys is the stats registry", "[docs][stats]") {
  // Every key is registered once (sim/report/stats.cpp) with its unit, description and value;
  // the README holds the registry's table as it is, in its order.
  const std::string readme = test::source_file("README.md");
  const std::string table = sim::stat_table();
  INFO(table);
  CHECK(readme.find(table) != std::string::npos);
}

TEST_CASE("the stats registry writes every value and reads it back", "[stats]") {
  // A multi-core kernel run: units, cores, kernel, accuracy and analysis all present.
  sim::KernelRunOptions o;
  o.hw_path = "test.yaml";
  o.kernel = "neumann";
  o.params.chunk = 16;
  o.params.batch = 4;
  o.params.dtype = npu::DType::int16;
  o.progress = false;
  const auto k = sim::run_kernel(test::test_hw({"cores=2"}), o);
  const auto& j = k.run.stats;
  CHECK(sim::stats_json(sim::stats_from_json(j)) == j);
  const boost::json::value whole = j;
  for (const auto& d : sim::stat_registry()) {
    // Every registered key has its value in the object ([i], <unit>, <cause> and <kind> stand for many).
    std::string path = d.key;
    if (const auto wild = path.find_first_of("<["); wild != std::string::npos) {
      const auto dot = path.rfind('.', wild);
      path = dot == std::string::npos ? path.substr(0, wild) : path.substr(0, dot);
    }
    INFO(d.key);
    const boost::json::value* v = &whole;
    std::size_t start = 0;
    while (v && start < path.size()) {
      const auto dot = path.find('.', start);
      const std::string part = path.substr(start, dot - start);
      v = v->is_object() ? v->as_object().if_contains(part) : nullptr;
      start = dot == std::string::npos ? path.size() : dot + 1;
    }
    CHECK(v != nullptr);
  }
}

TEST_CASE("configs/README.md's key tables are the spec's key tables", "[docs][config]") {
  // The tables that read and write the spec make these rows (sim/config/hw_config.cpp); the README
  // holds each table as generated (`npusim validate --keys` prints them) and no other key row.
  const std::string doc = test::source_file("configs/README.md");
  const std::string tables = sim::spec_key_tables();
  std::size_t start = 0;
  while (start < tables.size()) {
    const auto end = tables.find("\n\n", start);
    const std::string table = tables.substr(start, end == std::string::npos ? std::string::npos : end - start + 1);
    INFO(table);
    CHECK(doc.find(table) != std::string::npos);
    if (end == std::string::npos) break;
    start = end + 2;
  }
  const auto keys_begin = doc.find("## Keys"), keys_end = doc.find("## Experiments");
  REQUIRE(keys_begin < keys_end);
  std::istringstream in(doc.substr(keys_begin, keys_end - keys_begin));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    INFO(line);
    CHECK(tables.find(line + "\n") != std::string::npos);
  }
  // Every key a reader declares while reading the presets is a key of the tables.
  std::set<std::string> paths;
  for (const auto& k : sim::spec_keys()) paths.insert(k.path);
  for (const char* f : {"configs/npu/hexagon-like.yaml", "configs/npu/tpu-v5e-like.yaml"}) {
    std::vector<sim::KeyDoc> keys;
    sim::read_hw_config(std::string(NPUSIM_SOURCE_DIR) + "/" + f, {}, &keys);
    for (auto k : keys) {
      const std::string ops = "vector.ops.";  // vector.ops.add.latency is the row vector.ops.<op>.latency
      if (k.path.rfind(ops, 0) == 0 && k.path.substr(ops.size()) != "default") {
        const auto dot = k.path.find('.', ops.size());
        k.path = ops + "<op>" + (dot == std::string::npos ? "" : k.path.substr(dot));
      }
      INFO(k.path);
      CHECK(paths.count(k.path) == 1);
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
