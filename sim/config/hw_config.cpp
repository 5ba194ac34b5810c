#include "sim/config/hw_config.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "sim/config/units.hpp"

namespace npusim::sim {
namespace {

using Map = YamlReader::Map;

/// Bandwidths in bytes per cycle, whether given per cycle or per second (converted with the
/// clock): outside this range a transfer's duration is absurd (and could not be represented).
constexpr double kMinBytesPerCycle = 1.0 / 1024;
constexpr double kMaxBytesPerCycle = 1 << 20;
constexpr std::uint64_t kMaxCycleCount = 1 << 20;  ///< the most cycles a timing key takes

/// What reading a spec needs besides the YAML: the file (its stem is the default name) and the
/// clock, once read (per-second bandwidths are converted with it).
struct Context {
  std::string file;
  std::optional<double> clock_hz;
  std::uint32_t threads = 1;  ///< sequencer.threads, once read (vector.contexts defaults to it)
};

/// One key of a section of the spec, whose values live in struct S: everything the spec knows
/// about it, in one place. The tables below drive reading (read), config.yaml and `npusim
/// validate` (write), and configs/README.md (docs, checked by tests/unit/test_docs.cpp).
template <class S>
struct Key {
  std::string name;
  std::string meaning;
  std::string unit;
  std::string range;
  std::string default_value;  ///< as documented; "required" when there is none
  std::function<void(Map&, S&, Context&)> read;
  std::function<void(YAML::Emitter&, const S&)> write;  ///< the key and its value
  /// The documentation rows; by default one row for `prefix.name`.
  std::function<void(std::vector<SpecKey>&, const std::string& prefix)> docs;
};

template <class S>
using Table = std::vector<Key<S>>;

std::string child(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

template <class S>
void add_docs(const Key<S>& k, std::vector<SpecKey>& out, const std::string& prefix) {
  if (k.docs) {
    k.docs(out, prefix);
  } else {
    out.push_back({child(prefix, k.name), k.meaning, k.unit, k.range, k.default_value});
  }
}

template <class S>
void read_table(Map& m, S& s, Context& cx, const Table<S>& table) {
  for (const auto& k : table) k.read(m, s, cx);
}

template <class S>
void write_table(YAML::Emitter& e, const S& s, const Table<S>& table) {
  for (const auto& k : table) k.write(e, s);
}

// Values -------------------------------------------------------------------------------------

std::uint64_t size_bytes(Map& m, const std::string& key, const std::string& description, std::uint64_t min,
                         std::uint64_t max, std::optional<std::uint64_t> fallback = std::nullopt) {
  return m.value<std::uint64_t>(
      key, description,
      fmt::format("a size in [{}, {}] such as 64B, 512KiB or 8MiB", format_bytes(min), format_bytes(max)),
      [min, max](const std::string& s) -> std::optional<std::uint64_t> {
        auto v = parse_bytes(s);
        if (v && (*v < min || *v > max)) return std::nullopt;
        return v;
      },
      fallback, fallback ? format_bytes(*fallback) : "");
}

double bandwidth(Map& m, const std::string& key, const std::string& description, std::optional<double> clock_hz,
                 std::optional<double> fallback, bool allow_unlimited) {
  std::string expected = fmt::format("a bandwidth in [{}, {}] B/cycle such as 64B/cycle or 100GB/s{}",
                                     kMinBytesPerCycle, kMaxBytesPerCycle, allow_unlimited ? ", or 'unlimited'" : "");
  if (!clock_hz) expected += " (a rate per second needs a valid 'clock')";
  return m.value<double>(
      key, description, expected,
      [&](const std::string& s) -> std::optional<double> {
        if (allow_unlimited && s == "unlimited") return 0.0;
        bool needs_clock = false;
        auto v = parse_bytes_per_cycle(s, clock_hz, &needs_clock);
        if (needs_clock) return std::nullopt;
        if (v && !(*v >= kMinBytesPerCycle && *v <= kMaxBytesPerCycle)) return std::nullopt;
        return v;
      },
      fallback, fallback ? (*fallback == 0 && allow_unlimited ? "unlimited" : format_bytes_per_cycle(*fallback)) : "");
}

template <class E>
using Choices = std::vector<std::pair<std::string, E>>;

template <class E>
std::string choice_names(const Choices<E>& options, const char* quote = "") {
  std::string names;
  for (const auto& [n, e] : options) names += fmt::format("{}{}{}{}", names.empty() ? "" : ", ", quote, n, quote);
  return names;
}

template <class E>
const std::string& name_of(const Choices<E>& options, E value) {
  for (const auto& [n, e] : options) {
    if (e == value) return n;
  }
  internal_error(__FILE__, __LINE__, "a value of a choice without a name");
}

template <class E>
E choice(Map& m, const std::string& key, const std::string& description, const Choices<E>& options,
         std::optional<E> fallback) {
  return m.value<E>(
      key, description, "one of " + choice_names(options),
      [&](const std::string& s) -> std::optional<E> {
        for (const auto& [n, e] : options) {
          if (n == s) return e;
        }
        return std::nullopt;
      },
      fallback, fallback ? name_of(options, *fallback) : "");
}

const Choices<npu::DType> kFloatAccumulators = {
    {"fp32", npu::DType::fp32}, {"fp16", npu::DType::fp16}, {"bf16", npu::DType::bf16}};
const Choices<npu::DType> kIntAccumulators = {{"int32", npu::DType::int32}};

// Key kinds ----------------------------------------------------------------------------------

/// A whole number in [min, max]; `fallback` is the default (none: required).
template <class S, class M>
Key<S> integer(M S::*member, std::string name, std::string meaning, std::string unit, std::uint64_t min,
               std::uint64_t max, std::optional<std::uint64_t> fallback = std::nullopt) {
  Key<S> k{name, meaning, std::move(unit), fmt::format("{} to {}", min, max),
           fallback ? std::to_string(*fallback) : "required", nullptr, nullptr, nullptr};
  k.read = [=](Map& m, S& s, Context&) { s.*member = static_cast<M>(m.integer(name, meaning, min, max, fallback)); };
  k.write = [=](YAML::Emitter& e, const S& s) { e << YAML::Key << name << YAML::Value << std::uint64_t{s.*member}; };
  return k;
}

/// A size in bytes in [min, max].
template <class S, class M>
Key<S> size(M S::*member, std::string name, std::string meaning, std::uint64_t min, std::uint64_t max) {
  Key<S> k{name, meaning, "bytes", fmt::format("{} to {}", format_bytes(min), format_bytes(max)), "required",
           nullptr, nullptr, nullptr};
  k.read = [=](Map& m, S& s, Context&) { s.*member = static_cast<M>(size_bytes(m, name, meaning, min, max)); };
  k.write = [=](YAML::Emitter& e, const S& s) { e << YAML::Key << name << YAML::Value << format_bytes(s.*member); };
  return k;
}

/// A bandwidth in bytes per cycle (or per second, converted with the clock).
template <class S>
Key<S> rate(double S::*member, std::string name, std::string meaning, std::optional<double> fallback = std::nullopt,
            bool allow_unlimited = false) {
  const auto shown = [allow_unlimited](double v) { return v == 0 && allow_unlimited ? "unlimited" : format_bytes_per_cycle(v); };
  Key<S> k{name, meaning, "B/cycle", fmt::format("{} to {}{}", kMinBytesPerCycle, kMaxBytesPerCycle, allow_unlimited ? ", or `unlimited`" : ""),
           fallback ? shown(*fallback) : "required", nullptr, nullptr, nullptr};
  k.read = [=](Map& m, S& s, Context& cx) {
    s.*member = bandwidth(m, name, meaning, cx.clock_hz, fallback, allow_unlimited);
  };
  k.write = [=](YAML::Emitter& e, const S& s) { e << YAML::Key << name << YAML::Value << shown(s.*member); };
  return k;
}

/// A scratchpad port: a whole number of bytes per cycle.
template <class S>
Key<S> port(std::uint32_t S::*member, std::string name, std::string meaning) {
  Key<S> k{name, meaning, "B/cycle", "1 to 1048576", "required", nullptr, nullptr, nullptr};
  k.read = [=](Map& m, S& s, Context&) {
    s.*member = static_cast<std::uint32_t>(m.value<std::uint64_t>(
        name, meaning, "a whole number of bytes per cycle in [1, 1048576] such as 128B/cycle",
        [](const std::string& t) -> std::optional<std::uint64_t> {
          const auto v = parse_bytes_per_cycle(t, std::nullopt, nullptr);
          if (!v || *v < 1 || *v != double(std::uint64_t(*v)) || *v > kMaxBytesPerCycle) return std::nullopt;
          return static_cast<std::uint64_t>(*v);
        },
        std::nullopt));
  };
  k.write = [=](YAML::Emitter& e, const S& s) {
    e << YAML::Key << name << YAML::Value << format_bytes_per_cycle(s.*member);
  };
  return k;
}

/// One of a set of names.
template <class S, class E>
Key<S> one_of(E S::*member, std::string name, std::string meaning, Choices<E> options,
              std::optional<E> fallback = std::nullopt) {
  Key<S> k{name, meaning, "", choice_names(options, "`"), fallback ? name_of(options, *fallback) : "required",
           nullptr, nullptr, nullptr};
  k.read = [=](Map& m, S& s, Context&) { s.*member = choice(m, name, meaning, options, fallback); };
  k.write = [=](YAML::Emitter& e, const S& s) { e << YAML::Key << name << YAML::Value << name_of(options, s.*member); };
  return k;
}

/// A text; `documented_default` is its default as the docs show it.
template <class S>
Key<S> text(std::string S::*member, std::string name, std::string meaning, std::string documented_default,
            std::function<std::string(const Context&)> fallback) {
  Key<S> k{name, meaning, "", "any text", std::move(documented_default), nullptr, nullptr, nullptr};
  k.read = [=](Map& m, S& s, Context& cx) { s.*member = m.text(name, meaning, fallback(cx)); };
  k.write = [=](YAML::Emitter& e, const S& s) { e << YAML::Key << name << YAML::Value << s.*member; };
  return k;
}

/// A nested mapping read by its own table; `get` gives the struct holding its values (a generic
/// lambda, for the struct and for the const struct). `flow`: written on one line.
template <class S, class C, class Get>
Key<S> section(std::string name, std::string meaning, bool required, bool flow, Get get, Table<C> table,
               std::string documented_default = "") {
  auto shared = std::make_shared<Table<C>>(std::move(table));
  if (documented_default.empty()) documented_default = required ? "required" : "(optional section)";
  Key<S> k{name, meaning, "", "", documented_default, nullptr, nullptr, nullptr};
  k.read = [=](Map& m, S& s, Context& cx) {
    Map sub = m.map(name, meaning, required);
    read_table(sub, get(s), cx, *shared);
    sub.finish();
  };
  k.write = [=](YAML::Emitter& e, const S& s) {
    e << YAML::Key << name << YAML::Value;
    if (flow) e << YAML::Flow;
    e << YAML::BeginMap;
    write_table(e, get(s), *shared);
    e << YAML::EndMap;
  };
  k.docs = [=](std::vector<SpecKey>& out, const std::string& prefix) {
    out.push_back({child(prefix, name), meaning, "", "", documented_default});
    for (const auto& key : *shared) add_docs(key, out, child(prefix, name));
  };
  return k;
}

// The tables ---------------------------------------------------------------------------------

Table<npu::SequencerConfig> sequencer_keys() {
  using S = npu::SequencerConfig;
  Key<S> threads = integer(&S::threads, "threads",
                           "hardware threads per core, each sequencing its own stream (`.core N thread=T`) and sharing "
                           "the core's units and scratchpad",
                           "", 1, 64, 1);
  threads.read = [read = threads.read](Map& m, S& s, Context& cx) {
    read(m, s, cx);
    cx.threads = s.threads;
  };
  return {integer(&S::issue_cycles, "issue_cycles", "cycles to issue one instruction", "cycles", 0, kMaxCycleCount, 1),
          integer(&S::queue_depth, "queue_depth",
                  "instruction queue entries per execution unit (per thread); a full queue stalls issue", "entries",
                  1, 4096, 8),
          threads};
}

/// vector.contexts: defaults to one per thread.
Key<npu::VectorConfig> vector_contexts() {
  using S = npu::VectorConfig;
  const std::string meaning =
      "vector contexts: at most this many threads have vector work; a thread takes one with its first vector "
      "instruction and keeps it to the end of its stream";
  Key<S> k{"contexts", meaning, "", "1 to 64", "one per thread", nullptr, nullptr, nullptr};
  k.read = [meaning](Map& m, S& s, Context& cx) {
    s.contexts = static_cast<std::uint32_t>(m.integer("contexts", meaning, 1, 64, cx.threads));
  };
  k.write = [](YAML::Emitter& e, const S& s) { e << YAML::Key << "contexts" << YAML::Value << std::uint64_t{s.contexts}; };
  return k;
}

Table<npu::CubeConfig> cube_keys() {
  using S = npu::CubeConfig;
  return {integer(&S::m, "m", "tile rows (M) per cycle", "elements", 1, 4096),
          integer(&S::k, "k", "tile depth (K) per cycle", "elements", 1, 4096),
          integer(&S::n, "n", "tile columns (N) per cycle", "elements", 1, 4096)};
}

Table<npu::SystolicConfig> systolic_keys() {
  using S = npu::SystolicConfig;
  return {integer(&S::rows, "rows", "PE rows (R)", "PEs", 1, 4096), integer(&S::cols, "cols", "PE columns (C)", "PEs", 1, 4096),
          one_of(&S::dataflow, "dataflow", "SCALE-Sim dataflow: weight, output or input stationary",
                 Choices<npu::Dataflow>{{"ws", npu::Dataflow::ws}, {"os", npu::Dataflow::os}, {"is", npu::Dataflow::is}}),
          integer(&S::arrays, "arrays", "identical arrays; a matmul's folds are dealt round-robin", "", 1, 64, 1)};
}

Table<npu::MatrixConfig> accumulator_keys() {
  using S = npu::MatrixConfig;
  return {one_of(&S::float_accumulator, "float", "accumulator for float operands", kFloatAccumulators,
                 std::optional(npu::DType::fp32)),
          one_of(&S::int_accumulator, "int", "accumulator for integer operands", kIntAccumulators,
                 std::optional(npu::DType::int32))};
}

std::string ratio(const npu::Rate& r) { return r.den == 1 ? std::to_string(r.num) : fmt::format("{}/{}", r.num, r.den); }

/// matrix.dtypes: {DTYPE: RATE}, a rate in tiles per cycle relative to the tile.
Key<npu::MatrixConfig> matrix_dtypes() {
  const std::string meaning =
      "operand dtypes the unit takes, each with its rate in tiles per cycle relative to the tile (`{fp16: 1, int8: 2, "
      "fp32: 1/4}`)";
  Key<npu::MatrixConfig> k{"dtypes", meaning, "tiles/cycle", "rates from 1/1048576 to 1048576", "required",
                           nullptr, nullptr, nullptr};
  k.read = [meaning](Map& m, npu::MatrixConfig& mx, Context&) {
    Map d = m.map("dtypes", meaning);
    for (const auto& [name, node] : d.entries()) {
      const std::string path = d.child_path(name);
      const auto t = npu::parse_dtype(name);
      if (!t) {
        m.reader().error(node, path, fmt::format("unknown dtype; expected one of {}", npu::dtype_choices()));
        continue;
      }
      const auto r = node.IsScalar() ? parse_ratio(node.Scalar()) : std::nullopt;
      if (!r) {
        m.reader().error(node, path, fmt::format("expected a rate such as 1, 2 or 1/4, got {}", shown_value(node)));
        continue;
      }
      mx.rates[static_cast<int>(*t)] = npu::Rate{r->first, r->second};
    }
  };
  k.write = [](YAML::Emitter& e, const npu::MatrixConfig& mx) {
    e << YAML::Key << "dtypes" << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (npu::DType t : npu::kAllDTypes) {
      if (const auto& r = mx.rate(t)) e << YAML::Key << std::string(npu::dtype_name(t)) << YAML::Value << ratio(*r);
    }
    e << YAML::EndMap;
  };
  return k;
}

/// matrix.cube or matrix.systolic: read with its model, refused with the other one.
template <class C, class Get>
Key<npu::MatrixConfig> model_section(const std::string& name, const std::string& meaning, npu::MatrixModel model,
                                     Get get, Table<C> table) {
  Key<npu::MatrixConfig> k = section<npu::MatrixConfig, C>(
      name, meaning, true, true, get, std::move(table), "required for " + std::string(npu::matrix_model_name(model)));
  const auto read = k.read;
  const auto write = k.write;
  k.read = [=](Map& m, npu::MatrixConfig& mx, Context& cx) {
    if (mx.model != model && !m.has(name)) return;
    read(m, mx, cx);
    if (mx.model != model) {
      m.reader().error_at_path(m.child_path(name),
                               fmt::format("is only used with model: {} (model is {})", npu::matrix_model_name(model),
                                           npu::matrix_model_name(mx.model)));
    }
  };
  k.write = [=](YAML::Emitter& e, const npu::MatrixConfig& mx) {
    if (mx.model == model) write(e, mx);
  };
  return k;
}

Table<npu::MatrixConfig> matrix_keys() {
  using S = npu::MatrixConfig;
  return {one_of(&S::model, "model", "`cube` or `systolic` timing model",
                 Choices<npu::MatrixModel>{{"cube", npu::MatrixModel::cube}, {"systolic", npu::MatrixModel::systolic}}),
          model_section("cube", "with `model: cube`: the tile computed per cycle", npu::MatrixModel::cube,
                        [](auto& mx) -> auto& { return mx.cube; }, cube_keys()),
          model_section("systolic", "with `model: systolic`: the PE array", npu::MatrixModel::systolic,
                        [](auto& mx) -> auto& { return mx.systolic; }, systolic_keys()),
          matrix_dtypes(),
          section<S, S>("accumulator", "accumulation dtypes", false, true, [](auto& mx) -> auto& { return mx; },
                        accumulator_keys()),
          integer(&S::startup_cycles, "startup_cycles", "fixed cost of every matmul instruction", "cycles", 0,
                  kMaxCycleCount, 0),
          integer(&S::lock_cycles, "lock_cycles",
                  "what `matrix.acquire` takes once the unit is free (threads share one matrix unit)", "cycles", 0,
                  kMaxCycleCount, 0),
          integer(&S::pipeline_latency_cycles, "pipeline_latency",
                  "from the unit freeing to the result being usable by dependants", "cycles", 0, kMaxCycleCount, 0),
          port(&S::port_bytes_per_cycle, "port", "width of the unit's scratchpad read port and of its write port")};
}

/// vector.dtypes: the list of dtypes the unit computes in.
Key<npu::VectorConfig> vector_dtypes() {
  const std::string meaning = "list of element dtypes the unit computes in";
  Key<npu::VectorConfig> k{"dtypes", meaning, "", std::string(npu::dtype_choices()), "required", nullptr, nullptr,
                           nullptr};
  k.read = [meaning](Map& v, npu::VectorConfig& vc, Context&) {
    const auto list = v.list("dtypes", meaning);
    for (const auto& name : list.value_or(std::vector<std::string>{})) {
      const auto t = npu::parse_dtype(name);
      if (!t) {
        v.reader().error_at_path(v.child_path("dtypes"),
                                 fmt::format("unknown dtype '{}'; expected one of {}", name, npu::dtype_choices()));
        continue;
      }
      vc.dtypes[static_cast<int>(*t)] = true;
    }
  };
  k.write = [](YAML::Emitter& e, const npu::VectorConfig& vc) {
    e << YAML::Key << "dtypes" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (npu::DType t : npu::kAllDTypes) {
      if (vc.supports(t)) e << std::string(npu::dtype_name(t));
    }
    e << YAML::EndSeq;
  };
  return k;
}

/// vector.ops: `default` and one row per op class, each {latency: L, interval: I} or just L.
Key<npu::VectorConfig> vector_ops() {
  const std::string meaning = "per-op timing table";
  const npu::VectorOpTiming builtin{2, 1};
  Key<npu::VectorConfig> k{"ops", meaning, "", "", "required", nullptr, nullptr, nullptr};
  k.read = [=](Map& v, npu::VectorConfig& vc, Context&) {
    Map ops = v.map("ops", "per-op timing: latency (cycles to the result) and interval (cycles between vectors); an "
                           "integer N means latency N, interval 1");
    auto read_op = [&](const std::string& name, std::optional<npu::VectorOpTiming> fallback) {
      npu::VectorOpTiming t = fallback.value_or(npu::VectorOpTiming{});
      if (ops.has_map(name)) {
        Map o = ops.map(name, "timing of " + name);
        t.latency_cycles = static_cast<std::uint32_t>(
            o.integer("latency", "cycles from the last issue to the result", 0, kMaxCycleCount));
        t.interval_cycles = static_cast<std::uint32_t>(
            o.integer("interval", "cycles between successive vectors", 1, kMaxCycleCount, 1));
        o.finish();
        return t;
      }
      std::optional<std::uint64_t> dflt;
      if (fallback) dflt = fallback->latency_cycles;
      const auto latency = ops.integer(name, "timing of " + name, 0, kMaxCycleCount, dflt);
      if (!ops.has(name) && fallback) return t;
      return npu::VectorOpTiming{static_cast<std::uint32_t>(latency), 1};
    };
    const npu::VectorOpTiming dflt = read_op("default", builtin);
    for (int i = 0; i < npu::kVectorOpClassCount; ++i) {
      vc.ops[i] = read_op(std::string(npu::vector_op_class_name(static_cast<npu::VectorOpClass>(i))), dflt);
    }
    ops.finish();
  };
  k.write = [](YAML::Emitter& e, const npu::VectorConfig& vc) {
    e << YAML::Key << "ops" << YAML::Value << YAML::BeginMap;
    for (int i = 0; i < npu::kVectorOpClassCount; ++i) {
      e << YAML::Key << std::string(npu::vector_op_class_name(static_cast<npu::VectorOpClass>(i))) << YAML::Value
        << YAML::Flow << YAML::BeginMap << YAML::Key << "latency" << YAML::Value << vc.ops[i].latency_cycles
        << YAML::Key << "interval" << YAML::Value << vc.ops[i].interval_cycles << YAML::EndMap;
    }
    e << YAML::EndMap;
  };
  k.docs = [=](std::vector<SpecKey>& out, const std::string& prefix) {
    std::string ops;
    for (int i = 0; i < npu::kVectorOpClassCount; ++i) {
      ops += fmt::format("{}{}", ops.empty() ? "" : " ", npu::vector_op_class_name(static_cast<npu::VectorOpClass>(i)));
    }
    const std::string p = child(prefix, "ops");
    const std::string range = fmt::format("0 to {}", kMaxCycleCount);
    out.push_back({p, meaning, "", "", "required"});
    out.push_back({p + ".default", "timing of ops not listed", "", "", "`{latency: 2, interval: 1}`"});
    out.push_back({p + ".<op>", fmt::format("one of `{}`: `{{latency: L, interval: I}}` or just `L` (interval 1)", ops),
                   "", "", "`default`"});
    out.push_back({p + ".<op>.latency", "cycles from the last issue to the result", "cycles", range,
                   "required in the map form"});
    out.push_back({p + ".<op>.interval", "cycles between successive vectors of one instruction", "cycles",
                   fmt::format("1 to {}", kMaxCycleCount), "1"});
  };
  return k;
}

Table<npu::VectorConfig> vector_keys() {
  using S = npu::VectorConfig;
  return {size(&S::width_bytes, "width", "vector register width; lanes = width / element size", 4, 1 << 16),
          integer(&S::startup_cycles, "startup_cycles", "fixed cost of every vector instruction", "cycles", 0,
                  kMaxCycleCount, 0),
          vector_contexts(),
          port(&S::port_bytes_per_cycle, "port", "width of the unit's scratchpad read port and of its write port"),
          vector_dtypes(), vector_ops()};
}

Table<npu::ScratchpadConfig> scratchpad_keys() {
  using S = npu::ScratchpadConfig;
  return {size(&S::size_bytes, "size", "capacity", 1, std::uint64_t{4} << 30),
          integer(&S::banks, "banks", "banks; words interleave across them", "", 1, 1024),
          size(&S::bank_width_bytes, "bank_width", "bytes per bank word", 1, 1 << 16),
          integer(&S::ports_per_bank, "ports_per_bank", "distinct words each bank serves per cycle", "", 1, 16, 1)};
}

Table<npu::DmaConfig> dma_keys() {
  using S = npu::DmaConfig;
  return {integer(&S::queues, "queues", "independent in-order DMA queues (units `dma0`, `dma1`, ...)", "", 1, 16),
          integer(&S::setup_cycles, "setup_cycles", "descriptor processing per transfer", "cycles", 0, kMaxCycleCount, 0),
          rate(&S::bytes_per_cycle, "bandwidth", "most one queue moves")};
}

Table<npu::DramConfig> dram_keys() {
  using S = npu::DramConfig;
  return {rate(&S::bytes_per_cycle, "bandwidth", "total bandwidth, shared (max-min fair) by every transfer in flight"),
          integer(&S::latency_cycles, "latency",
                  "from request to data in place; pipelined: a DMA queue moves on after its transfer", "cycles", 0,
                  kMaxCycleCount),
          size(&S::burst_bytes, "burst", "transfer granule: a partly used burst costs a whole burst", 1, 1 << 20)};
}

Table<npu::HandoffDirection> direction_keys() {
  using S = npu::HandoffDirection;
  return {integer(&S::fixed_cycles, "fixed_cycles", "cycles per instruction that needs the hand-off", "cycles", 0,
                  kMaxCycleCount, 0),
          rate(&S::bytes_per_cycle, "bandwidth", "conversion rate", std::optional(0.0), true)};
}

Table<npu::HandoffConfig> handoff_keys() {
  using S = npu::HandoffConfig;
  return {one_of(&S::via, "via",
                 "who pays for a layout change: the consuming unit (`consumer`: `fixed_cycles` and `bandwidth` below) "
                 "or the vector unit (`vector`: `vec.layout` work costed by `vector.ops.layout`)",
                 Choices<npu::HandoffVia>{{"consumer", npu::HandoffVia::consumer}, {"vector", npu::HandoffVia::vector}},
                 std::optional(npu::HandoffVia::consumer)),
          section<S, npu::HandoffDirection>(
              "matrix_to_vector", "via consumer: vector unit reading matrix-unit results", false, true,
              [](auto& h) -> auto& { return h.matrix_to_vector; }, direction_keys(), "free"),
          section<S, npu::HandoffDirection>(
              "vector_to_matrix", "via consumer: matrix unit reading vector-unit results", false, true,
              [](auto& h) -> auto& { return h.vector_to_matrix; }, direction_keys(), "free"),
          integer(&S::sync_cycles, "sync_cycles",
                  "via vector: from a conversion's end until the other unit may use the data (the hand-shake between "
                  "threads), added to the latency of `vec.layout`",
                  "cycles", 0, kMaxCycleCount, 0)};
}

/// clock: read before every bandwidth, which it converts.
Key<npu::NpuConfig> clock_key() {
  const std::string meaning = "core clock; converts per-second bandwidths to bytes per cycle and cycles to time";
  Key<npu::NpuConfig> k{"clock", meaning, "Hz", "1MHz to 100GHz", "required", nullptr, nullptr, nullptr};
  k.read = [meaning](Map& root, npu::NpuConfig& c, Context& cx) {
    c.clock_hz = root.value<double>(
        "clock", meaning, "a frequency in [1MHz, 100GHz] such as 1.2GHz or 800MHz",
        [](const std::string& s) -> std::optional<double> {
          const auto hz = parse_hertz(s);
          if (hz && !(*hz >= 1e6 && *hz <= 100e9)) return std::nullopt;
          return hz;
        },
        std::nullopt);
    if (c.clock_hz > 0) cx.clock_hz = c.clock_hz;
  };
  k.write = [](YAML::Emitter& e, const npu::NpuConfig& c) {
    e << YAML::Key << "clock" << YAML::Value << format_hertz(c.clock_hz);
  };
  return k;
}

const Table<npu::NpuConfig>& spec_table() {
  using S = npu::NpuConfig;
  static const Table<S> table = {
      text(&S::name, "name", "preset name shown in reports", "file name",
           [](const Context& cx) { return std::filesystem::path(cx.file).stem().string(); }),
      text(&S::description, "description", "one line about what the preset models", "\"\"",
           [](const Context&) { return std::string(); }),
      clock_key(),
      integer(&S::cores, "cores", "identical cores sharing DRAM and the flags", "", 1, 256, 1),
      section<S, npu::SequencerConfig>("sequencer", "the scalar/control unit", false, false,
                                       [](auto& c) -> auto& { return c.core.sequencer; }, sequencer_keys()),
      section<S, npu::MatrixConfig>("matrix", "the matrix-multiply unit", true, false,
                                    [](auto& c) -> auto& { return c.core.matrix; }, matrix_keys()),
      section<S, npu::VectorConfig>("vector", "the vector (SIMD) unit", true, false,
                                    [](auto& c) -> auto& { return c.core.vector; }, vector_keys()),
      section<S, npu::ScratchpadConfig>("scratchpad", "each core's on-chip memory", true, false,
                                        [](auto& c) -> auto& { return c.core.scratchpad; }, scratchpad_keys()),
      section<S, npu::DmaConfig>("dma", "the DMA engines of a core", true, false,
                                 [](auto& c) -> auto& { return c.core.dma; }, dma_keys()),
      section<S, npu::DramConfig>("dram", "off-chip memory shared by all cores", true, false,
                                  [](auto& c) -> auto& { return c.dram; }, dram_keys()),
      section<S, npu::HandoffConfig>("handoff", "matrix <-> vector layout changes", false, false,
                                     [](auto& c) -> auto& { return c.core.handoff; }, handoff_keys()),
  };
  return table;
}

}  // namespace

std::string read_text_file(const std::string& path, std::uint64_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(fmt::format("{}: is a directory, not a file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open file ({})", path, std::strerror(errno)));
  // Read in pieces, so that a device without end (/dev/zero) or a huge file stops at the limit.
  std::string text;
  char piece[1 << 16];
  while (in.read(piece, sizeof piece) || in.gcount() > 0) {
    text.append(piece, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes) {
      throw InputError(fmt::format("{}: longer than {}, the limit for this kind of file", path,
                                   human_bytes(double(max_bytes))));
    }
  }
  if (in.bad()) throw InputError(fmt::format("{}: cannot read file ({})", path, std::strerror(errno)));
  return text;
}

npu::NpuConfig read_hw_config(const std::string& path, const std::vector<std::string>& overrides,
                              std::vector<KeyDoc>* keys, const std::vector<std::string>& override_origins) {
  return parse_hw_config(read_text_file(path), path, overrides, keys, override_origins);
}

npu::NpuConfig parse_hw_config(const std::string& text, const std::string& file,
                               const std::vector<std::string>& overrides, std::vector<KeyDoc>* keys,
                               const std::vector<std::string>& override_origins) {
  YamlReader r(text, file);
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    r.set(overrides[i], i < override_origins.size() ? override_origins[i] : "");
  }
  Map root = r.root();
  npu::NpuConfig c;
  Context cx{file, std::nullopt};
  read_table(root, c, cx, spec_table());
  root.finish();
  if (!r.has_errors()) {
    for (const auto& p : npu::validate(c)) r.error_at_path(p.path, p.message);
  }
  if (keys) *keys = r.keys();
  r.throw_if_errors();
  return c;
}

std::string write_hw_config(const npu::NpuConfig& c) {
  YAML::Emitter e;
  e << YAML::Comment("Resolved hardware config: every key explicit. Re-running with this file reproduces the run.");
  e << YAML::BeginMap;
  write_table(e, c, spec_table());
  e << YAML::EndMap;
  NPUSIM_ASSERT(e.good(), "the resolved config is emitted: " + e.GetLastError());
  return std::string(e.c_str()) + "\n";
}

std::vector<SpecKey> spec_keys() {
  std::vector<SpecKey> out;
  for (const auto& k : spec_table()) add_docs(k, out, "");
  return out;
}

std::string spec_key_tables() {
  const std::vector<SpecKey> keys = spec_keys();
  auto is_section = [&](const std::string& path) {
    for (const auto& k : keys) {
      if (k.path.rfind(path + ".", 0) == 0) return true;
    }
    return false;
  };
  auto cell = [](const std::string& text) { return text.empty() ? std::string("|") : " " + text + " |"; };
  auto row = [&](const SpecKey& k) {
    return fmt::format("| `{}` |{}{}{}{}\n", k.path, cell(k.meaning), cell(k.unit), cell(k.range), cell(k.default_value));
  };
  const std::string header = "| key | meaning | unit | range | default |\n|---|---|---|---|---|\n";
  std::string out = header;
  for (const auto& k : keys) {  // the top level
    if (k.path.find('.') == std::string::npos && !is_section(k.path)) out += row(k);
  }
  for (const auto& section : keys) {
    if (section.path.find('.') != std::string::npos || !is_section(section.path)) continue;
    out += "\n" + header;
    for (const auto& k : keys) {
      if (k.path.rfind(section.path + ".", 0) == 0) out += row(k);
    }
  }
  return out;
}

}  // namespace npusim::sim
