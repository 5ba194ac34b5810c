// The spec's key tables read and write every field: config.yaml reads back to the same structs,
// compared field by field (Boost.PFR walks every member of npu::NpuConfig, so a field that no
// key reads or writes cannot hide), from specs that set every field away from its default.
#include <array>
#include <boost/pfr.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <optional>
#include <set>
#include <type_traits>

#include "helpers.hpp"
#include "npu/config.hpp"
#include "sim/config/hw_config.hpp"

using namespace npusim;

namespace {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_array : std::false_type {};
template <class T, std::size_t N>
struct is_array<std::array<T, N>> : std::true_type {};

using Visit = std::function<void(const std::string& path, bool equal)>;

template <class T>
void each_leaf(const T& a, const T& b, const std::string& path, const Visit& visit);

template <class T, std::size_t... I>
void each_field(const T& a, const T& b, const std::string& path, const Visit& visit, std::index_sequence<I...>) {
  (each_leaf(boost::pfr::get<I>(a), boost::pfr::get<I>(b), path + "." + std::to_string(I), visit), ...);
}

/// Calls `visit` for every leaf field of a and b (members by index: "core.2.0" is
/// core.matrix.model); an optional is a leaf for its presence and, when both hold a value, its
/// fields are leaves too.
template <class T>
void each_leaf(const T& a, const T& b, const std::string& path, const Visit& visit) {
  if constexpr (is_optional<T>::value) {
    visit(path, a.has_value() == b.has_value());
    if (a && b) each_leaf(*a, *b, path + ".value", visit);
  } else if constexpr (is_array<T>::value) {
    for (std::size_t i = 0; i < a.size(); ++i) each_leaf(a[i], b[i], path + "[" + std::to_string(i) + "]", visit);
  } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T> || std::is_same_v<T, std::string>) {
    visit(path, a == b);
  } else {
    each_field(a, b, path, visit, std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
  }
}

std::vector<std::string> differences(const npu::NpuConfig& a, const npu::NpuConfig& b) {
  std::vector<std::string> out;
  each_leaf(a, b, "cfg", [&](const std::string& path, bool equal) {
    if (!equal) out.push_back(path);
  });
  return out;
}

/// Every field away from its default: the cube model (with its systolic section left out).
const char* kFullCube = R"(name: full-cube
description: every field set
clock: 1.5GHz
cores: 3
sequencer: {issue_cycles: 2, queue_depth: 5, threads: 3}
matrix:
  model: cube
  cube: {m: 32, k: 8, n: 64}
  dtypes: {fp32: 1/4, fp16: 1, bf16: 1/2, int8: 2, int16: 3/2, int32: 1/8}
  accumulator: {float: bf16, int: int32}
  startup_cycles: 7
  lock_cycles: 12
  pipeline_latency: 9
  port: 512B/cycle
vector:
  width: 256B
  startup_cycles: 3
  contexts: 2
  port: 256B/cycle
  dtypes: [fp32, fp16, bf16, int8, int16, int32]
  ops:
    default: {latency: 4, interval: 2}
    add: {latency: 5, interval: 3}
    sub: {latency: 6, interval: 3}
    mul: {latency: 7, interval: 3}
    fma: {latency: 8, interval: 3}
    max: {latency: 9, interval: 3}
    exp: {latency: 10, interval: 3}
    recip: {latency: 11, interval: 3}
    reduce: {latency: 12, interval: 3}
    cast: {latency: 13, interval: 3}
    requant: {latency: 14, interval: 3}
    select: {latency: 15, interval: 3}
    copy: {latency: 16, interval: 3}
    transpose: {latency: 17, interval: 3}
    broadcast: {latency: 18, interval: 3}
    layout: {latency: 19, interval: 3}
scratchpad: {size: 2MiB, banks: 32, bank_width: 32B, ports_per_bank: 2}
dma: {queues: 3, setup_cycles: 11, bandwidth: 48B/cycle}
dram: {bandwidth: 100GB/s, latency: 250, burst: 128B}
handoff:
  via: consumer
  matrix_to_vector: {fixed_cycles: 30, bandwidth: 16B/cycle}
  vector_to_matrix: {fixed_cycles: 40, bandwidth: 8B/cycle}
)";

/// The systolic model, and what the cube spec leaves at a default.
const char* kFullSystolic = R"(name: full-systolic
clock: 700MHz
matrix:
  model: systolic
  systolic: {rows: 64, cols: 128, dataflow: os, arrays: 4}
  dtypes: {int8: 1}
  port: 64B/cycle
vector:
  width: 32B
  port: 32B/cycle
  dtypes: [int8]
  ops: {default: 3}
scratchpad: {size: 64KiB, banks: 4, bank_width: 16B}
dma: {queues: 1, bandwidth: 2B/cycle}
dram: {bandwidth: 4B/cycle, latency: 10, burst: 32B}
handoff: {via: vector, sync_cycles: 33}
)";

}  // namespace

TEST_CASE("config.yaml reads back to the same config, field by field", "[config]") {
  std::vector<std::pair<std::string, std::string>> specs = {{"full-cube.yaml", kFullCube},
                                                            {"full-systolic.yaml", kFullSystolic}};
  for (const char* preset : {"hexagon-like", "ascend-910b-aicore", "tpu-v5e-like", "edge-systolic-32x32"}) {
    specs.emplace_back(preset, test::source_file(std::string("configs/npu/") + preset + ".yaml"));
  }
  for (const auto& [file, text] : specs) {
    DYNAMIC_SECTION(file) {
      const npu::NpuConfig cfg = sim::parse_hw_config(text, file);
      const std::string resolved = sim::write_hw_config(cfg);
      INFO(resolved);
      const npu::NpuConfig again = sim::parse_hw_config(resolved, "config.yaml");
      CHECK(differences(cfg, again) == std::vector<std::string>{});
      CHECK(sim::write_hw_config(again) == resolved);
    }
  }
}

TEST_CASE("the round-trip specs set every field away from its default", "[config]") {
  // Otherwise a field that no key reads and writes would round-trip as its default unnoticed.
  const npu::NpuConfig defaults;
  const auto cube = sim::parse_hw_config(kFullCube, "full-cube.yaml");
  const auto systolic = sim::parse_hw_config(kFullSystolic, "full-systolic.yaml");
  std::set<std::string> at_default;
  for (const auto& d : differences(defaults, defaults)) at_default.insert(d);  // none: a sanity check
  REQUIRE(at_default.empty());
  std::set<std::string> all, moved;
  each_leaf(defaults, defaults, "cfg", [&](const std::string& path, bool) { all.insert(path); });
  for (const auto* c : {&cube, &systolic}) {
    for (const auto& d : differences(defaults, *c)) moved.insert(d);
  }
  // The integer accumulator has one choice, int32, which is its default.
  npu::NpuConfig probe = defaults;
  probe.core.matrix.int_accumulator = npu::DType::int8;
  REQUIRE(differences(defaults, probe).size() == 1);
  const std::string int_accumulator = differences(defaults, probe).front();
  std::vector<std::string> unmoved;
  for (const auto& leaf : all) {
    if (!moved.count(leaf) && leaf != int_accumulator && leaf.find(".value") == std::string::npos) unmoved.push_back(leaf);
  }
  CHECK(unmoved == std::vector<std::string>{});
  CHECK(cube.core.matrix.int_accumulator == npu::DType::int32);
}
