#include "sim/config/hw_config.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

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

std::uint32_t port_width(Map& m, const std::string& key, const std::string& description) {
  return static_cast<std::uint32_t>(m.value<std::uint64_t>(
      key, description, "a whole number of bytes per cycle in [1, 1048576] such as 128B/cycle",
      [](const std::string& s) -> std::optional<std::uint64_t> {
        const auto v = parse_bytes_per_cycle(s, std::nullopt, nullptr);
        if (!v || *v < 1 || *v != double(std::uint64_t(*v)) || *v > kMaxBytesPerCycle) return std::nullopt;
        return static_cast<std::uint64_t>(*v);
      },
      std::nullopt));
}

double bandwidth(Map& m, const std::string& key, const std::string& description, std::optional<double> clock_hz,
                 std::optional<double> fallback = std::nullopt, bool allow_unlimited = false) {
  std::string expected = fmt::format("a bandwidth in [1/1024, {}] B/cycle such as 64B/cycle or 100GB/s{}",
                                     kMaxBytesPerCycle, allow_unlimited ? ", or 'unlimited'" : "");
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
E choice(Map& m, const std::string& key, const std::string& description,
         const std::vector<std::pair<std::string, E>>& options, std::optional<E> fallback = std::nullopt) {
  std::string names;
  for (const auto& [n, e] : options) names += (names.empty() ? "" : ", ") + n;
  std::string shown;
  if (fallback) {
    for (const auto& [n, e] : options) {
      if (e == *fallback) shown = n;
    }
  }
  return m.value<E>(
      key, description, "one of " + names,
      [&](const std::string& s) -> std::optional<E> {
        for (const auto& [n, e] : options) {
          if (n == s) return e;
        }
        return std::nullopt;
      },
      fallback, shown);
}

std::uint32_t u32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }

void read_matrix(Map& root, npu::MatrixConfig& mx) {
  Map m = root.map("matrix", "the matrix-multiply unit");
  mx.model = choice<npu::MatrixModel>(m, "model", "timing model of the array",
                                      {{"cube", npu::MatrixModel::cube}, {"systolic", npu::MatrixModel::systolic}});
  const bool cube = mx.model == npu::MatrixModel::cube;
  if (cube || m.has("cube")) {
    Map c = m.map("cube", "tile computed per cycle (model: cube)");
    mx.cube.m = u32(c.integer("m", "tile rows (M) per cycle", 1, 4096));
    mx.cube.k = u32(c.integer("k", "tile depth (K) per cycle", 1, 4096));
    mx.cube.n = u32(c.integer("n", "tile columns (N) per cycle", 1, 4096));
    c.finish();
    if (!cube) m.reader().error_at_path(m.child_path("cube"), "is only used with model: cube (model is systolic)");
  }
  if (!cube || m.has("systolic")) {
    Map s = m.map("systolic", "PE array (model: systolic)");
    mx.systolic.rows = u32(s.integer("rows", "PE rows (R)", 1, 4096));
    mx.systolic.cols = u32(s.integer("cols", "PE columns (C)", 1, 4096));
    mx.systolic.dataflow = choice<npu::Dataflow>(
        s, "dataflow", "SCALE-Sim dataflow: weight, output or input stationary",
        {{"ws", npu::Dataflow::ws}, {"os", npu::Dataflow::os}, {"is", npu::Dataflow::is}});
    mx.systolic.arrays = u32(s.integer("arrays", "identical arrays sharing each matmul's folds", 1, 64, 1));
    s.finish();
    if (cube) m.reader().error_at_path(m.child_path("systolic"), "is only used with model: systolic (model is cube)");
  }
  Map d = m.map("dtypes", "operand dtypes the unit takes, each with its rate in tiles per cycle (2 = twice the tile "
                          "rate, 1/4 = a quarter)");
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
  Map acc = m.map("accumulator", "accumulation dtypes", false);
  mx.float_accumulator = choice<npu::DType>(acc, "float", "accumulator for float operands",
                                            {{"fp32", npu::DType::fp32}, {"fp16", npu::DType::fp16}, {"bf16", npu::DType::bf16}},
                                            npu::DType::fp32);
  mx.int_accumulator = choice<npu::DType>(acc, "int", "accumulator for integer operands", {{"int32", npu::DType::int32}},
                                          npu::DType::int32);
  acc.finish();
  mx.startup_cycles = u32(m.integer("startup_cycles", "fixed cycles per matmul instruction", 0, 1 << 20, 0));
  mx.pipeline_latency_cycles =
      u32(m.integer("pipeline_latency", "cycles from the unit freeing to the result being usable", 0, 1 << 20, 0));
  mx.port_bytes_per_cycle = port_width(m, "port", "scratchpad read port and write port width");
  m.finish();
}

void read_vector(Map& root, npu::VectorConfig& vc) {
  Map v = root.map("vector", "the vector (SIMD) unit");
  vc.width_bytes = u32(size_bytes(v, "width", "vector register width; lanes = width / element size", 4, 1 << 16));
  vc.startup_cycles = u32(v.integer("startup_cycles", "fixed cycles per vector instruction", 0, 1 << 20, 0));
  vc.port_bytes_per_cycle = port_width(v, "port", "scratchpad read port and write port width");
  if (auto list = v.list("dtypes", "element dtypes the unit computes in")) {
    for (const auto& name : *list) {
      const auto t = npu::parse_dtype(name);
      if (!t) {
        v.reader().error_at_path(v.child_path("dtypes"),
                                 fmt::format("unknown dtype '{}'; expected one of {}", name, npu::dtype_choices()));
        continue;
      }
      vc.dtypes[static_cast<int>(*t)] = true;
    }
  }
  Map ops = v.map("ops", "per-op timing: latency (cycles to the result) and interval (cycles between vectors); an "
                         "integer N means latency N, interval 1");
  auto read_op = [&](const std::string& name, std::optional<npu::VectorOpTiming> fallback) {
    npu::VectorOpTiming t = fallback.value_or(npu::VectorOpTiming{});
    if (ops.has_map(name)) {
      Map o = ops.map(name, "timing of " + name);
      t.latency_cycles = u32(o.integer("latency", "cycles from the last issue to the result", 0, 1 << 20));
      t.interval_cycles = u32(o.integer("interval", "cycles between successive vectors", 1, 1 << 20, 1));
      o.finish();
      return t;
    }
    std::optional<std::uint64_t> dflt;
    if (fallback) dflt = fallback->latency_cycles;
    const auto latency = ops.integer(name, "timing of " + name, 0, 1 << 20, dflt);
    if (!ops.has(name) && fallback) return t;
    return npu::VectorOpTiming{u32(latency), 1};
  };
  const npu::VectorOpTiming dflt = read_op("default", npu::VectorOpTiming{2, 1});
  for (int i = 0; i < npu::kVectorOpClassCount; ++i) {
    const auto cls = static_cast<npu::VectorOpClass>(i);
    vc.ops[i] = read_op(std::string(npu::vector_op_class_name(cls)), dflt);
  }
  ops.finish();
  v.finish();
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
  npu::CoreConfig& core = c.core;
  c.name = root.text("name", "preset name shown in reports", std::filesystem::path(file).stem().string());
  c.description = root.text("description", "one line about what the preset models", "");
  std::optional<double> clock;
  c.clock_hz = root.value<double>(
      "clock", "core clock; converts per-second bandwidths to bytes per cycle",
      "a frequency in [1MHz, 100GHz] such as 1.2GHz or 800MHz",
      [](const std::string& s) -> std::optional<double> {
        const auto hz = parse_hertz(s);
        if (hz && !(*hz >= 1e6 && *hz <= 100e9)) return std::nullopt;
        return hz;
      },
      std::nullopt);
  if (c.clock_hz > 0) clock = c.clock_hz;
  c.cores = u32(root.integer("cores", "identical cores sharing DRAM", 1, 256, 1));

  Map seq = root.map("sequencer", "the scalar/control unit that issues instructions", false);
  core.sequencer.issue_cycles = u32(seq.integer("issue_cycles", "cycles to issue one instruction", 0, 1 << 20, 1));
  core.sequencer.queue_depth = u32(seq.integer("queue_depth", "instruction queue entries per execution unit", 1, 4096, 8));
  seq.finish();

  read_matrix(root, core.matrix);
  read_vector(root, core.vector);

  Map sp = root.map("scratchpad", "the core's software-managed on-chip memory");
  core.scratchpad.size_bytes = size_bytes(sp, "size", "capacity", 1, std::uint64_t{4} << 30);
  core.scratchpad.banks = u32(sp.integer("banks", "number of banks; words interleave across them", 1, 1024));
  core.scratchpad.bank_width_bytes = u32(size_bytes(sp, "bank_width", "bytes per bank word", 1, 1 << 16));
  core.scratchpad.ports_per_bank = u32(sp.integer("ports_per_bank", "distinct words each bank serves per cycle", 1, 16, 1));
  sp.finish();

  Map dma = root.map("dma", "DMA engines between DRAM and the scratchpad");
  core.dma.queues = u32(dma.integer("queues", "independent in-order DMA queues (units dma0, dma1, ...)", 1, 16));
  core.dma.setup_cycles = u32(dma.integer("setup_cycles", "descriptor processing per transfer", 0, 1 << 20, 0));
  core.dma.bytes_per_cycle = bandwidth(dma, "bandwidth", "most one queue moves per cycle", clock);
  dma.finish();

  Map dram = root.map("dram", "off-chip memory shared by all cores");
  c.dram.bytes_per_cycle = bandwidth(dram, "bandwidth", "total bandwidth, shared by every transfer in flight", clock);
  c.dram.latency_cycles = u32(dram.integer("latency", "cycles from request to first data", 0, 1 << 20));
  c.dram.burst_bytes = u32(size_bytes(dram, "burst", "transfer granule; partial bursts cost a whole burst", 1, 1 << 20));
  dram.finish();

  Map hand = root.map("handoff", "cost of reading data the other compute unit wrote (layout change)", false);
  core.handoff.via = choice<npu::HandoffVia>(
      hand, "via", "who pays for a layout change: the consuming unit (fixed cost and bandwidth below) or the vector "
                   "unit (vec.layout work costed by vector.ops.layout)",
      {{"consumer", npu::HandoffVia::consumer}, {"vector", npu::HandoffVia::vector}}, npu::HandoffVia::consumer);
  auto direction = [&](const std::string& key, npu::HandoffDirection& d, const std::string& what) {
    Map h = hand.map(key, what, false);
    d.fixed_cycles = u32(h.integer("fixed_cycles", "cycles per instruction that needs the hand-off", 0, 1 << 20, 0));
    d.bytes_per_cycle = bandwidth(h, "bandwidth", "conversion rate for the bytes handed off", clock, 0.0, true);
    h.finish();
  };
  direction("matrix_to_vector", core.handoff.matrix_to_vector, "vector unit reading matrix-unit results");
  direction("vector_to_matrix", core.handoff.vector_to_matrix, "matrix unit reading vector-unit results");
  hand.finish();
  root.finish();

  if (!r.has_errors()) {
    for (const auto& p : npu::validate(c)) r.error_at_path(p.path, p.message);
  }
  if (keys) *keys = r.keys();
  r.throw_if_errors();
  return c;
}

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

std::string ratio(const npu::Rate& r) { return r.den == 1 ? std::to_string(r.num) : fmt::format("{}/{}", r.num, r.den); }

std::string handoff_bw(double v) { return v == 0 ? "unlimited" : format_bytes_per_cycle(v); }

}  // namespace

std::string write_hw_config(const npu::NpuConfig& c) {
  const npu::CoreConfig& k = c.core;
  std::string o;
  auto line = [&o](const std::string& s) { o += s + '\n'; };
  line("# Resolved hardware config: every key explicit. Re-running with this file reproduces the run.");
  line(fmt::format("name: {}", quoted(c.name)));
  line(fmt::format("description: {}", quoted(c.description)));
  line(fmt::format("clock: {}", format_hertz(c.clock_hz)));
  line(fmt::format("cores: {}", c.cores));
  line("sequencer:");
  line(fmt::format("  issue_cycles: {}", k.sequencer.issue_cycles));
  line(fmt::format("  queue_depth: {}", k.sequencer.queue_depth));
  line("matrix:");
  line(fmt::format("  model: {}", npu::matrix_model_name(k.matrix.model)));
  if (k.matrix.model == npu::MatrixModel::cube) {
    line(fmt::format("  cube: {{m: {}, k: {}, n: {}}}", k.matrix.cube.m, k.matrix.cube.k, k.matrix.cube.n));
  } else {
    const auto& s = k.matrix.systolic;
    line(fmt::format("  systolic: {{rows: {}, cols: {}, dataflow: {}, arrays: {}}}", s.rows, s.cols,
                     npu::dataflow_name(s.dataflow), s.arrays));
  }
  std::string rates;
  for (npu::DType t : npu::kAllDTypes) {
    if (const auto& r = k.matrix.rate(t)) rates += fmt::format("{}{}: {}", rates.empty() ? "" : ", ", npu::dtype_name(t), ratio(*r));
  }
  line(fmt::format("  dtypes: {{{}}}", rates));
  line(fmt::format("  accumulator: {{float: {}, int: {}}}", npu::dtype_name(k.matrix.float_accumulator),
                   npu::dtype_name(k.matrix.int_accumulator)));
  line(fmt::format("  startup_cycles: {}", k.matrix.startup_cycles));
  line(fmt::format("  pipeline_latency: {}", k.matrix.pipeline_latency_cycles));
  line(fmt::format("  port: {}", format_bytes_per_cycle(k.matrix.port_bytes_per_cycle)));
  line("vector:");
  line(fmt::format("  width: {}", format_bytes(k.vector.width_bytes)));
  line(fmt::format("  startup_cycles: {}", k.vector.startup_cycles));
  line(fmt::format("  port: {}", format_bytes_per_cycle(k.vector.port_bytes_per_cycle)));
  std::string dtypes;
  for (npu::DType t : npu::kAllDTypes) {
    if (k.vector.supports(t)) dtypes += fmt::format("{}{}", dtypes.empty() ? "" : ", ", npu::dtype_name(t));
  }
  line(fmt::format("  dtypes: [{}]", dtypes));
  line("  ops:");
  for (int i = 0; i < npu::kVectorOpClassCount; ++i) {
    line(fmt::format("    {}: {{latency: {}, interval: {}}}", npu::vector_op_class_name(static_cast<npu::VectorOpClass>(i)),
                     k.vector.ops[i].latency_cycles, k.vector.ops[i].interval_cycles));
  }
  line("scratchpad:");
  line(fmt::format("  size: {}", format_bytes(k.scratchpad.size_bytes)));
  line(fmt::format("  banks: {}", k.scratchpad.banks));
  line(fmt::format("  bank_width: {}", format_bytes(k.scratchpad.bank_width_bytes)));
  line(fmt::format("  ports_per_bank: {}", k.scratchpad.ports_per_bank));
  line("dma:");
  line(fmt::format("  queues: {}", k.dma.queues));
  line(fmt::format("  setup_cycles: {}", k.dma.setup_cycles));
  line(fmt::format("  bandwidth: {}", format_bytes_per_cycle(k.dma.bytes_per_cycle)));
  line("dram:");
  line(fmt::format("  bandwidth: {}", format_bytes_per_cycle(c.dram.bytes_per_cycle)));
  line(fmt::format("  latency: {}", c.dram.latency_cycles));
  line(fmt::format("  burst: {}", format_bytes(c.dram.burst_bytes)));
  line("handoff:");
  line(fmt::format("  via: {}", npu::handoff_via_name(k.handoff.via)));
  line(fmt::format("  matrix_to_vector: {{fixed_cycles: {}, bandwidth: {}}}", k.handoff.matrix_to_vector.fixed_cycles,
                   handoff_bw(k.handoff.matrix_to_vector.bytes_per_cycle)));
  line(fmt::format("  vector_to_matrix: {{fixed_cycles: {}, bandwidth: {}}}", k.handoff.vector_to_matrix.fixed_cycles,
                   handoff_bw(k.handoff.vector_to_matrix.bytes_per_cycle)));
  return o;
}

}  // namespace npusim::sim
