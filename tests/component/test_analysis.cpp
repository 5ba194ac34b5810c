// Bounds, critical path, comparisons, Perfetto traces and VCD files.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "helpers.hpp"
#include "npu/common/error.hpp"
#include "sim/report/analysis.hpp"
#include "sim/report/json.hpp"
#include "sim/report/trace.hpp"
#include "sim/run/compare.hpp"

using namespace npusim;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

sim::KernelRunOptions kernel_options(const std::string& kernel, std::uint32_t chunk, std::uint32_t batch) {
  sim::KernelRunOptions o;
  o.hw_path = "test.yaml";
  o.kernel = kernel;
  o.params.chunk = chunk;
  o.params.batch = batch;
  o.progress = false;
  return o;
}

std::uint64_t sum_values(const json::object& o) {
  std::uint64_t s = 0;
  for (const auto& kv : o) s += kv.value().to_number<std::uint64_t>();
  return s;
}

}  // namespace

TEST_CASE("bounds and critical path of a dependency chain, exactly", "[analysis]") {
  const auto r = test::run_asm(test::kLoadAddStore, test::test_hw(), false);
  const auto hw = test::test_hw();
  const sim::Bounds b = sim::compute_bounds(hw, r.program, r.result);
  // load: setup 10 + transfer 2 + latency 100; add: startup 2 + 2 read beats + latency 3; store
  // like the load. The chain is all of it; the run adds the first instruction's issue cycle.
  const std::uint64_t dma = 10 + 2 + 100, add = 2 + 2 + 3;
  CHECK(b.dependency == dma + add + dma);
  CHECK(r.result.cycles == 1 + dma + add + dma);
  CHECK(b.binding == "dependency");
  const sim::CriticalPath cp = sim::critical_path(hw, r.program, r.result);
  CHECK(cp.cycles == r.result.cycles);
  CHECK(cp.instructions == 3);
  CHECK(cp.by_unit.at("dma0") == 2 * dma);
  CHECK(cp.by_unit.at("vector") == add);
  CHECK(cp.by_cause.at("issue") == 1);
  CHECK(cp.edges.at("dependency") == 2);
}

TEST_CASE("the dependency bound reads a producer however far back it is", "[analysis]") {
  // Instruction 0 takes 10000 cycles, the others 1, each after the one before from instruction
  // 1 on; the last also depends on instruction 0, `reach` back. The bound keeps the chains of
  // the last 4096 instructions, and goes through a stream that reaches further again with all.
  const auto hw = test::test_hw();
  for (const std::uint32_t reach : {4096u, 4097u, 5000u}) {
    DYNAMIC_SECTION("reach " << reach) {
      std::string text = ".buffer a fp16 [1, 32]\n";
      for (std::uint32_t i = 0; i <= reach; ++i) text += "vec.add a, a, a\n";
      const npu::Program p = npu::parse_program(text, "far.npuasm");
      npu::RunResult r;
      r.cores.resize(1);
      r.cores[0].units.resize(npu::unit_count(hw.core));
      npu::ThreadResult& t = r.cores[0].threads.emplace_back();
      t.resize(reach + 1);
      for (std::uint32_t i = 0; i <= reach; ++i) {
        const Cycle own = i == 0 ? 10000 : 1;
        t.set_dispatch(i, i);
        t.set_start(i, i);
        t.set_end(i, i + own, i + own);
        if (i >= 2) t.dep_pool.push_back(i - 1);
        if (i == reach) t.dep_pool.push_back(0);
        t.set_deps_end(i);
      }
      CHECK(sim::compute_bounds(hw, p, r).dependency == 10000 + 1);
    }
  }
}

TEST_CASE("the critical path finds a unit's previous instruction far back in the stream", "[analysis]") {
  // A long load, 300 vector instructions, then a load on the same DMA queue: it starts when
  // the first one frees the queue, more than 254 instructions back (kept apart in the walk).
  std::string text = ".dram X fp16 [256, 256]\n.dram Y fp16 [1, 32]\n.buffer x fp16 [256, 256]\n"
                     ".buffer y fp16 [1, 32]\n.buffer z fp16 [1, 32]\ndma.load x, X\n";
  for (int i = 0; i < 300; ++i) text += "vec.add z, z, z\n";
  text += "dma.load y, Y\n";
  const auto hw = test::test_hw();
  const auto r = test::run_asm(text, hw, false);
  const std::uint32_t last = 301;
  REQUIRE(r.start(last) == r.record(0).end);
  REQUIRE(r.dispatch(last) < r.start(last));
  const sim::CriticalPath cp = sim::critical_path(hw, r.program, r.result);
  CHECK(cp.cycles == r.result.cycles);
  CHECK(cp.instructions == 2);
  CHECK(cp.edges.at("unit") == 1);
  CHECK(cp.by_unit.at("dma0") == r.done(last) - r.start(last) + r.record(0).end - r.start(0));
}

TEST_CASE("the critical path finds what a barrier drained however far back it is", "[analysis]") {
  // A long load, vector instructions that complete before it, then a barrier: it ends when the
  // load completes, `adds` + 1 instructions back (more than 64 back is kept apart in the walk).
  for (const int adds : {3, 63, 64, 65, 200}) {
    DYNAMIC_SECTION("adds " << adds) {
      std::string text = ".dram X fp16 [256, 256]\n.buffer x fp16 [256, 256]\n.buffer z fp16 [1, 32]\n"
                         "dma.load x, X\n";
      for (int i = 0; i < adds; ++i) text += "vec.add z, z, z\n";
      text += "barrier\n";
      const auto hw = test::test_hw();
      const auto r = test::run_asm(text, hw, false);
      const auto barrier = static_cast<std::uint32_t>(adds + 1);
      REQUIRE(r.done(barrier) == r.done(0));
      REQUIRE(r.done(barrier - 1) < r.done(0));
      REQUIRE(r.start(barrier) < r.done(barrier));
      const sim::CriticalPath cp = sim::critical_path(hw, r.program, r.result);
      CHECK(cp.cycles == r.result.cycles);
      CHECK(cp.instructions == 2);
      CHECK(cp.edges.at("barrier") == 1);
      CHECK(cp.instructions_by_unit.at("dma0") == 1);
    }
  }
}

TEST_CASE("the critical path accounts for every cycle of a kernel run", "[analysis]") {
  for (const char* kernel : {"fwdsub", "fla_blocked", "neumann", "doubling", "newton_schulz"}) {
    DYNAMIC_SECTION(kernel) {
      const auto k = sim::run_kernel(test::test_hw(), kernel_options(kernel, 32, 4));
      const auto& s = k.run.stats;
      const auto& cp = s.at("critical_path").as_object();
      const std::uint64_t cycles = s.at("cycles").to_number<std::uint64_t>();
      CHECK(cp.at("cycles").to_number<std::uint64_t>() == cycles);
      CHECK(sum_values(cp.at("by_unit").as_object()) + sum_values(cp.at("by_cause").as_object()) == cycles);
      const auto& b = s.at("bounds").as_object();
      for (const char* bound : {"matrix", "vector", "memory", "issue", "dependency"}) {
        CHECK(b.at(bound).to_number<std::uint64_t>() <= cycles);
      }
      CHECK(b.at("binding_fraction").as_double() <= 1.0);
      CHECK(!s.at("explanation").as_string().empty());
    }
  }
}

TEST_CASE("compare: same inputs, speedups against the first kernel, an explanation", "[analysis][compare]") {
  sim::CompareOptions o;
  o.run = kernel_options("", 64, 4);
  o.kernels = {"fla_blocked", "neumann", "fwdsub"};
  const sim::Comparison c = sim::compare_kernels(test::test_hw(), o);
  const auto& j = c.json;
  REQUIRE(j.at("kernels").as_array().size() == 3);
  for (const auto& k : j.at("kernels").as_array()) {
    for (const char* key : {"name", "cycles", "units", "stalls", "traffic", "accuracy", "bounds", "critical_path"}) {
      CHECK(k.as_object().contains(key));
    }
  }
  const auto& speedup = j.at("speedup").as_object();
  CHECK(speedup.at("fla_blocked").as_double() == 1.0);
  const double ratio = double(c.runs[0].run.result.cycles) / double(c.runs[1].run.result.cycles);
  CHECK(speedup.at("neumann").as_double() == Approx(ratio));
  // The same inputs: the exact inverses agree entry for entry.
  CHECK(c.runs[0].exact.values == c.runs[1].exact.values);
  const std::string why(j.at("explanation").as_string());
  CHECK(why.find("faster than") != std::string::npos);
  CHECK(why.find("critical path") != std::string::npos);
  const std::string table = sim::format_comparison(c);
  CHECK(table.find("speedup") != std::string::npos);
}

TEST_CASE("trace: valid Chrome trace JSON, one slice per instruction, flows and counters", "[analysis][trace]") {
  const auto hw = test::test_hw({"cores=2"});
  const auto k = sim::run_kernel(hw, kernel_options("fla_blocked", 32, 4));
  const fs::path path = test::temp_path("npusim-trace-test.json");
  sim::write_trace(path.string(), k.run.hw, k.run.program, k.run.result);
  const json::value v = sim::parse_json(sim::read_text_file(path.string()), path.string());
  const auto& events = v.as_object().at("traceEvents").as_array();

  std::map<std::pair<std::int64_t, std::int64_t>, std::string> thread_names;
  std::multiset<std::pair<std::int64_t, std::int64_t>> slices;  // (core, line)
  std::map<std::int64_t, int> flows;
  std::set<std::string> counters;
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::pair<double, double>>> spans;
  for (const auto& e : events) {
    const auto& o = e.as_object();
    const std::string ph(o.at("ph").as_string());
    if (ph == "M" && o.at("name").as_string() == "thread_name") {
      thread_names[{o.at("pid").as_int64(), o.at("tid").as_int64()}] = o.at("args").as_object().at("name").as_string();
    } else if (ph == "X") {
      REQUIRE(o.at("ts").to_number<double>() >= 0);
      REQUIRE(o.at("dur").to_number<double>() >= 0);
      if (o.at("cat").as_string() == "handoff" || o.at("name").as_string() == "queue full") continue;
      slices.insert({o.at("pid").as_int64(), o.at("args").as_object().at("line").as_int64()});
      spans[{o.at("pid").as_int64(), o.at("tid").as_int64()}].emplace_back(o.at("ts").to_number<double>(),
                                                                          o.at("dur").to_number<double>());
    } else if (ph == "s" || ph == "f") {
      flows[o.at("id").as_int64()] += ph == "s" ? 1 : 10;
    } else if (ph == "C") {
      counters.insert(std::string(o.at("name").as_string()));
    }
  }
  // Every instruction of every core is one slice (sequencer instructions that took no time aside).
  std::size_t expected = 0;
  for (const auto& s : k.run.program.streams) {
    for (std::size_t i = 0; i < s.code.size(); ++i) {
      const auto rec = k.run.result.cores[s.core].threads[s.thread].record(static_cast<std::uint32_t>(i));
      if (s.code[i].unit() != npu::UnitKind::sequencer || rec.done > rec.start) {
        ++expected;
        CHECK(slices.count({s.core, s.code[i].line}) >= 1);
      }
    }
  }
  CHECK(slices.size() == expected);
  for (const auto& [id, n] : flows) CHECK(n == 11);  // one start and one finish each
  CHECK(!flows.empty());
  for (const char* name : {"scratchpad occupancy (bytes)", "DRAM bandwidth (bytes per cycle)", "vector queue depth",
                           "matrix queue depth", "dma0 queue depth"}) {
    CHECK(counters.count(name) == 1);
  }
  for (std::int64_t core : {0, 1}) {
    for (const char* unit : {"sequencer", "matrix", "vector", "dma0", "dma1"}) {
      bool found = false;
      for (const auto& [key, name] : thread_names) found |= key.first == core && name == unit;
      CHECK(found);
    }
  }
  // Slices on one track never overlap (a unit runs one instruction at a time).
  for (auto& [track, s] : spans) {
    std::sort(s.begin(), s.end());
    for (std::size_t i = 1; i < s.size(); ++i) REQUIRE(s[i].first >= s[i - 1].first + s[i - 1].second - 1e-9);
  }
  fs::remove(path);
}

TEST_CASE("trace: --trace-chunks keeps the file small for large batches", "[analysis][trace]") {
  const auto k = sim::run_kernel(test::test_hw(), kernel_options("neumann", 32, 16));
  const Cycle until = sim::cycle_after_chunks(k.run.program, k.run.result, "T", 2);
  CHECK(until < k.run.result.cycles);
  const fs::path full = test::temp_path("npusim-trace-full.json");
  const fs::path part = test::temp_path("npusim-trace-part.json");
  const auto all = sim::write_trace(full.string(), k.run.hw, k.run.program, k.run.result);
  const auto some = sim::write_trace(part.string(), k.run.hw, k.run.program, k.run.result, sim::TraceOptions{until});
  CHECK(some < all / 2);
  sim::parse_json(sim::read_text_file(part.string()), part.string());  // still valid JSON
  fs::remove(full);
  fs::remove(part);
}

TEST_CASE("VCD: SystemC tracing writes every unit's busy and queue-depth signals", "[analysis][vcd]") {
  const fs::path path = test::temp_path("npusim-test.vcd");
  auto o = kernel_options("neumann", 32, 2);
  o.vcd_path = path.string();
  const auto k = sim::run_kernel(test::test_hw(), o);
  const std::string vcd = sim::read_text_file(path.string());
  CHECK(vcd.find("$timescale") != std::string::npos);
  for (const char* sig : {"core0_sequencer_blocked", "core0_matrix_busy", "core0_vector_busy", "core0_dma0_busy",
                          "core0_matrix_queue_depth", "core0_vector_queue_depth"}) {
    CHECK(vcd.find(sig) != std::string::npos);
  }
  // The last timestamp is the end of the run, give or take the final idle transitions.
  const auto last = vcd.rfind("\n#");
  REQUIRE(last != std::string::npos);
  CHECK(std::stoull(vcd.substr(last + 2)) <= k.run.result.cycles);
  fs::remove(path);
}

namespace {

/// The value of every traced signal at the end of each cycle it changed in, by signal name.
std::map<std::string, std::map<Cycle, long>> vcd_changes(const std::string& vcd) {
  std::map<std::string, std::string> names;  // identifier -> name
  std::map<std::string, std::map<Cycle, long>> out;
  std::istringstream in(vcd);
  std::string line;
  Cycle t = 0;
  while (std::getline(in, line)) {
    std::istringstream w(line);
    std::string first;
    w >> first;
    if (first == "$var") {
      std::string type, width, id, name;
      w >> type >> width >> id >> name;
      names[id] = name;
    } else if (!first.empty() && first[0] == '#') {
      t = std::stoull(first.substr(1));
    } else if (!first.empty() && first[0] == 'b') {
      std::string id;
      w >> id;
      out[names.at(id)][t] = std::stol(first.substr(1), nullptr, 2);
    } else if (!first.empty() && (first[0] == '0' || first[0] == '1') && names.count(first.substr(1))) {
      out[names.at(first.substr(1))][t] = first[0] - '0';
    }
  }
  return out;
}

/// `signal`'s value at the end of every cycle in [0, until], from its changes.
std::vector<long> vcd_values(const std::map<Cycle, long>& changes, Cycle until) {
  std::vector<long> v(until + 1, 0);
  long value = 0;
  auto it = changes.begin();
  for (Cycle t = 0; t <= until; ++t) {
    for (; it != changes.end() && it->first == t; ++it) value = it->second;
    v[t] = value;
  }
  return v;
}

}  // namespace

TEST_CASE("VCD: busy signals and queue depths follow the instruction records, on one core and two",
          "[analysis][vcd]") {
  const fs::path path = test::temp_path("npusim-test-records.vcd");
  const std::string two_cores = test::source_file("traces/programs/two_cores.npuasm");
  for (const std::uint32_t cores : {1u, 2u}) {
    const auto hw = test::test_hw({"cores=" + std::to_string(cores)});
    npu::Program p = npu::parse_program(cores == 1 ? test::source_file("traces/programs/gemm.npuasm") : two_cores,
                                        "p.npuasm");
    npu::check_program(p, hw);
    npu::SimOptions o;
    o.numerics = false;
    o.vcd_path = path.string();
    const npu::RunResult r = npu::simulate(hw, p, o, nullptr);
    const auto changes = vcd_changes(sim::read_text_file(path.string()));
    const auto names = npu::unit_names(hw.core);
    for (std::uint32_t c = 0; c < cores; ++c) {
      const npu::Stream* s = p.find_stream(c);
      REQUIRE(s);
      for (std::uint32_t u = npu::kMatrixUnit; u < names.size(); ++u) {
        std::vector<long> busy(r.cycles + 1, 0), depth(r.cycles + 1, 0);
        for (std::size_t i = 0; i < s->code.size(); ++i) {
          if (npu::unit_of(s->code[i]) != u) continue;
          const auto rec = r.cores[c].threads[0].record(static_cast<std::uint32_t>(i));
          for (Cycle t = rec.start; t < rec.end; ++t) busy[t] = 1;
          for (Cycle t = rec.dispatch; t < rec.start; ++t) ++depth[t];
        }
        const std::string prefix = "core" + std::to_string(c) + "_" + names[u];
        INFO(prefix);
        const auto b = changes.find(prefix + "_busy");
        const auto d = changes.find(prefix + "_queue_depth");
        CHECK(vcd_values(b == changes.end() ? std::map<Cycle, long>{} : b->second, r.cycles) == busy);
        CHECK(vcd_values(d == changes.end() ? std::map<Cycle, long>{} : d->second, r.cycles) == depth);
      }
    }
  }
  fs::remove(path);
}

TEST_CASE("experiments: strict YAML, and a run writes results for pandas", "[analysis][experiment]") {
  const fs::path dir = test::temp_path("npusim-experiment");
  fs::create_directories(dir);
  const fs::path file = dir / "e.yaml";
  sim::write_text_file(file.string(), "name: e\nhw: " + std::string(NPUSIM_SOURCE_DIR) +
                                          "/configs/npu/hexagon-like.yaml\nkernels: [fla_blocked, neumann]\n"
                                          "chunks: [16, 32]\ndtypes: [fp16]\nbatch: 2\n"
                                          "reported: {speedup: {32: 5.2}}\n");
  const sim::Experiment e = sim::read_experiment(file.string());
  std::vector<double> progress;
  const auto results =
      sim::run_experiment(e, (dir / "out").string(), false, nullptr, [&](double f) { progress.push_back(f); });
  CHECK(progress == std::vector<double>{0.5, 1.0});  // after each of the two comparisons
  const auto& rows = results.at("rows").as_array();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].as_object().at("reported_speedup").is_null());
  CHECK(rows[1].as_object().at("reported_speedup").as_double() == 5.2);
  const std::string csv = sim::read_text_file((dir / "out" / "results.csv").string());
  CHECK(csv.rfind("hw,dtype,chunk,batch,kernel,cycles,speedup", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 5);  // header + one row per kernel and chunk size

  sim::write_text_file(file.string(), "name: e\nhw: x.yaml\nkernels: [fla_blocked, neuman]\nchunks: [48]\n"
                                      "dtypes: [fp16]\nbatchsize: 2\n");
  try {
    sim::read_experiment(file.string());
    FAIL("expected an InputError");
  } catch (const InputError& err) {
    const std::string msg = err.what();
    CHECK(msg.find("kernels: unknown kernel 'neuman'; did you mean 'neumann'?") != std::string::npos);
    CHECK(msg.find("chunk size '48' is not one of 16, 32, 64, 128") != std::string::npos);
    CHECK(msg.find("batchsize: unknown key; did you mean 'batch'?") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("explanations give multi-core busy cycles summed over cores, not a per-core average", "[analysis]") {
  sim::CompareOptions o;
  o.run = kernel_options("", 32, 8);
  o.kernels = {"fla_blocked", "neumann"};
  const auto c = sim::compare_kernels(test::test_hw({"cores=2"}), o);
  const sim::UnitStats& slow = c.runs[0].run.figures.unit("vector");
  const sim::UnitStats& fast = c.runs[1].run.figures.unit("vector");
  REQUIRE(c.runs[0].run.result.cycles > c.runs[1].run.result.cycles);
  // busy_cycles sums both cores; utilization x cycles would be half of it.
  CHECK(c.explanation.find(fmt::format("({} vs {} cycles", slow.busy_cycles, fast.busy_cycles)) != std::string::npos);
  CHECK(slow.utilization * double(c.runs[0].run.result.cycles) < 0.6 * double(slow.busy_cycles));
}
