// The Gated DeltaNet layer: the chunked core against a token-by-token recurrence written here
// (independently of kernels/gdn), the whole layer against the fp64 reference, and the timing
// structure (stages add up, numerics do not move cycles, comparisons share the other stages).
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <set>
#include <fmt/format.h>
#include <unistd.h>

#include "helpers.hpp"
#include "kernels/gdn_inputs.hpp"
#include "npu/common/error.hpp"
#include "sim/config/model_config.hpp"
#include "sim/io/npy.hpp"
#include "sim/report/json.hpp"
#include "sim/run/layer.hpp"
#include "sim/run/run_program.hpp"
#include "sim/sweep/sweep_file.hpp"

using namespace npusim;
using kernels::Mat;

namespace {

kernels::GdnModel tiny_model(std::uint32_t hk = 2, std::uint32_t hv = 4, std::uint32_t d = 32) {
  kernels::GdnModel m;
  m.name = "test";
  m.hidden_size = 64;
  m.key_heads = hk;
  m.value_heads = hv;
  m.key_head_dim = d;
  m.value_head_dim = d;
  m.conv_kernel = 4;
  return m;
}

/// Seeded core inputs: unit-norm q and k per key head, v ~ N(0, 1), g = -exp(N(-3, 1)),
/// beta = sigmoid(N(0, 1)); padded rows zero.
kernels::LayerTensors core_inputs(const kernels::LayerShape& s, std::uint64_t seed) {
  kernels::Normal normal(seed);
  kernels::LayerTensors t;
  Mat q(s.tokens, s.key_dim()), k(s.tokens, s.key_dim()), v(s.tokens, s.value_dim()), g(s.tokens, s.hv),
      beta(s.tokens, s.hv);
  for (std::uint32_t r = 0; r < s.seq; ++r) {
    for (Mat* m : {&q, &k}) {
      for (std::uint32_t h = 0; h < s.hk; ++h) {
        double norm = 0;
        for (std::uint32_t d = 0; d < s.dk; ++d) norm += std::pow(m->at(r, h * s.dk + d) = normal(), 2);
        for (std::uint32_t d = 0; d < s.dk; ++d) m->at(r, h * s.dk + d) /= std::sqrt(norm);
      }
    }
    for (std::uint32_t c = 0; c < s.value_dim(); ++c) v.at(r, c) = normal();
    for (std::uint32_t h = 0; h < s.hv; ++h) {
      g.at(r, h) = -std::exp(-3.0 + normal());
      beta.at(r, h) = 1.0 / (1.0 + std::exp(-normal()));
    }
  }
  t.t["q"] = q;
  t.t["k"] = k;
  t.t["v"] = v;
  t.t["g"] = g;
  t.t["beta"] = beta;
  return t;
}

/// The gated delta rule token by token, in fp32 (the conventions): per value head h
/// with key head h / group,
///   S_t = e^{g_t} S_{t-1} + k_t (beta_t (v_t - (e^{g_t} S_{t-1})^T k_t))^T,  o_t = S_t^T q_t / sqrt(dk).
Mat recurrence(const kernels::LayerShape& s, const kernels::LayerTensors& in) {
  const Mat &q = in.t.at("q"), &k = in.t.at("k"), &v = in.t.at("v"), &g = in.t.at("g"), &beta = in.t.at("beta");
  Mat o(s.tokens, s.value_dim());
  const float scale = 1.0f / std::sqrt(float(s.dk));
  for (std::uint32_t h = 0; h < s.hv; ++h) {
    const std::uint32_t kc = h / s.group * s.dk, vc = h * s.dv;
    std::vector<float> S(std::size_t{s.dk} * s.dv, 0.0f), delta(s.dv);
    for (std::uint32_t t = 0; t < s.seq; ++t) {
      const float decay = std::exp(float(g.at(t, h)));
      for (float& x : S) x *= decay;
      for (std::uint32_t d = 0; d < s.dv; ++d) {
        float mem = 0;
        for (std::uint32_t r = 0; r < s.dk; ++r) mem += S[std::size_t{r} * s.dv + d] * float(k.at(t, kc + r));
        delta[d] = float(beta.at(t, h)) * (float(v.at(t, vc + d)) - mem);
      }
      for (std::uint32_t r = 0; r < s.dk; ++r)
        for (std::uint32_t d = 0; d < s.dv; ++d) S[std::size_t{r} * s.dv + d] += float(k.at(t, kc + r)) * delta[d];
      for (std::uint32_t d = 0; d < s.dv; ++d) {
        float acc = 0;
        for (std::uint32_t r = 0; r < s.dk; ++r) acc += S[std::size_t{r} * s.dv + d] * float(q.at(t, kc + r));
        o.at(t, vc + d) = acc * scale;
      }
    }
  }
  return o;
}

sim::LayerRunOptions options(const kernels::GdnModel& m, std::uint32_t seq, std::uint32_t chunk,
                             const std::string& inverse, npu::DType dtype = npu::DType::fp16) {
  sim::LayerRunOptions o;
  o.hw_path = "test.yaml";
  o.model_path = "test";
  o.params.model = m;
  o.params.seq = seq;
  o.params.chunk = chunk;
  o.params.dtype = dtype;
  o.params.weights = kernels::default_weights(dtype);
  o.inverses = {inverse};
  o.progress = false;
  return o;
}

}  // namespace

TEST_CASE("layer: the fp64 reference core is the token-by-token recurrence", "[layer][numerics]") {
  auto p = options(tiny_model(), 150, 64, "fla_blocked").params;
  const kernels::LayerShape s(p);
  kernels::LayerTensors t = core_inputs(s, 3);
  const Mat want = recurrence(s, t);
  kernels::reference_core(s, t);
  CHECK(kernels::tensor_accuracy(t.t.at("o"), want, s.seq).rel_fro_error < 1e-5);  // fp32 recurrence vs fp64
}

TEST_CASE("layer: the simulated chunked core equals the token-by-token recurrence, every inverse kernel",
          "[layer][numerics]") {
  // fp32 throughout; neumann with enough residual terms to be exact (S(N + 1) >= the block).
  // Tolerance: relative Frobenius error 1e-5 (fp32 rounding in different summation orders; about
  // 3e-7 is seen).
  for (std::uint32_t chunk : {32u, 64u, 128u}) {
    for (const char* kernel : {"fwdsub", "fla_blocked", "neumann", "doubling", "newton_schulz"}) {
      DYNAMIC_SECTION("C = " << chunk << ", " << kernel) {
        sim::LayerRunOptions o = options(tiny_model(), 2 * chunk + chunk / 2, chunk, kernel, npu::DType::fp32);
        if (std::string(kernel) == "neumann") o.params.inverse_params.steps = 16;
        const kernels::LayerShape s(o.params);
        o.core_inputs = core_inputs(s, 11 + chunk);
        const Mat want = recurrence(s, *o.core_inputs);
        const sim::LayerResult r = sim::run_layer(test::test_hw(), o);
        REQUIRE(r.runs.size() == 1);
        const auto acc = kernels::tensor_accuracy(*r.runs[0].o, want, s.seq);
        INFO("relative error " << acc.rel_fro_error);
        CHECK(acc.nonfinite == 0);
        CHECK(acc.rel_fro_error < 1e-5);
      }
    }
  }
}

TEST_CASE("layer: on a small scratchpad the state, output and W/U stages tile the value columns, same result",
          "[layer][numerics]") {
  // 56 KiB cannot hold cannot hold whole heads of 64-wide values at C = 32: the stages fall back to blocks
  // of value columns (flash-linear-attention's BV tiling), which must not change the math.
  sim::LayerRunOptions o = options(tiny_model(2, 4, 64), 80, 32, "neumann", npu::DType::fp32);
  o.params.inverse_params.steps = 8;
  const kernels::LayerShape s(o.params);
  o.core_inputs = core_inputs(s, 5);
  const Mat want = recurrence(s, *o.core_inputs);
  const sim::LayerResult r = sim::run_layer(test::test_hw({"scratchpad.size=56KiB"}), o);
  const auto& stages = r.json.at("stages").as_object();
  for (const char* st : {"wu", "state", "output"}) {
    INFO(st << ": " << stages.at(st).as_object().at("summary").as_string());
    CHECK(std::string(stages.at(st).as_object().at("summary").as_string()).find("-column") != std::string::npos);
  }
  CHECK(kernels::tensor_accuracy(*r.runs[0].o, want, s.seq).rel_fro_error < 1e-5);
}

TEST_CASE("layer: the whole layer against the fp64 reference of the same math", "[layer][numerics]") {
  struct Case {
    npu::DType dtype;
    kernels::WeightFormat weights;
    const char* inverse;
    double floor_db;  // SNR of the layer output y
  };
  // fp32 carries only rounding (weights are stored exactly); 16-bit formats lose ~60 dB of it;
  // bf16 has 8 significant bits; the integer paths quantise every matmul operand.
  for (const Case& c : {Case{npu::DType::fp32, kernels::WeightFormat::fp16, "fla_blocked", 100},
                        Case{npu::DType::fp16, kernels::WeightFormat::fp16, "fla_blocked", 50},
                        Case{npu::DType::fp16, kernels::WeightFormat::int4, "neumann", 50},
                        Case{npu::DType::bf16, kernels::WeightFormat::bf16, "neumann", 35},
                        Case{npu::DType::int16, kernels::WeightFormat::int8, "neumann", 50},
                        Case{npu::DType::int16, kernels::WeightFormat::int4, "fla_blocked", 50}}) {
    DYNAMIC_SECTION(npu::dtype_name(c.dtype) << " activations, " << kernels::weight_format_name(c.weights)
                                             << " weights, " << c.inverse) {
      sim::LayerRunOptions o = options(tiny_model(), 100, 32, c.inverse, c.dtype);
      o.params.weights = c.weights;
      o.params.inverse_params.steps = 8;  // neumann exact at C = 32
      const sim::LayerResult r = sim::run_layer(test::test_hw(), o);
      const auto& acc = r.json.at("accuracy").as_object();
      const double y_snr = sim::json_double(acc.at("layer_output").as_object().at("snr_db"));
      const double o_snr = sim::json_double(acc.at("core_output").as_object().at("snr_db"));
      INFO("y " << y_snr << " dB, o " << o_snr << " dB");
      CHECK(y_snr > c.floor_db);
      CHECK(o_snr > c.floor_db);
      CHECK(sim::json_u64(acc.at("layer_output").as_object().at("nonfinite")) == 0);
    }
  }
}

TEST_CASE("layer: on hexagon-like's hardware threads the core is the recurrence and the layer the reference",
          "[layer][numerics][threads]") {
  // hexagon-like runs every stage on 6 threads sharing HMX behind its lock; its matrix unit has
  // no fp32, so fp16 (and int16) operands: the floors are the fp16 ones of the tests above.
  const npu::NpuConfig hw = sim::read_hw_config(std::string(NPUSIM_SOURCE_DIR) + "/configs/npu/hexagon-like.yaml");
  REQUIRE(hw.core.sequencer.threads > 1);
  for (std::uint32_t chunk : {32u, 64u}) {
    for (const char* kernel : {"fla_blocked", "neumann"}) {
      DYNAMIC_SECTION("core, C = " << chunk << ", " << kernel) {
        sim::LayerRunOptions o = options(tiny_model(2, 8, 32), 2 * chunk + chunk / 2, chunk, kernel);
        o.params.inverse_params.steps = 16;
        const kernels::LayerShape s(o.params);
        o.core_inputs = core_inputs(s, 21 + chunk);
        const Mat want = recurrence(s, *o.core_inputs);
        const sim::LayerResult r = sim::run_layer(hw, o);
        const auto acc = kernels::tensor_accuracy(*r.runs[0].o, want, s.seq);
        INFO("SNR " << acc.snr_db << " dB");
        CHECK(acc.nonfinite == 0);
        CHECK(acc.snr_db > 50);
      }
    }
  }
  for (npu::DType dtype : {npu::DType::fp16, npu::DType::int16}) {
    DYNAMIC_SECTION("layer, " << npu::dtype_name(dtype)) {
      sim::LayerRunOptions o = options(tiny_model(2, 8, 32), 100, 32, "neumann", dtype);
      o.params.inverse_params.steps = 8;
      const sim::LayerResult r = sim::run_layer(hw, o);
      const auto& acc = r.json.at("accuracy").as_object();
      const double y_snr = sim::json_double(acc.at("layer_output").as_object().at("snr_db"));
      const double o_snr = sim::json_double(acc.at("core_output").as_object().at("snr_db"));
      INFO("y " << y_snr << " dB, o " << o_snr << " dB");
      CHECK(y_snr > 50);
      CHECK(o_snr > 50);
      // The stages did run on several threads.
      const auto& kkt = r.json.at("stages").as_object().at("kkt").as_object();
      CHECK(std::string(kkt.at("summary").as_string()).find("threads per core") != std::string::npos);
    }
  }
}

TEST_CASE("layer: stages add up, numerics do not move cycles, runs repeat exactly", "[layer][timing]") {
  sim::LayerRunOptions o = options(tiny_model(2, 4, 32), 96, 32, "neumann");
  const sim::LayerResult a = sim::run_layer(test::test_hw(), o);
  const sim::LayerResult b = sim::run_layer(test::test_hw(), o);
  o.numerics = false;
  const sim::LayerResult t = sim::run_layer(test::test_hw(), o);
  std::uint64_t sum = 0;
  double shares = 0;
  const auto& stages = a.json.at("stages").as_object();
  REQUIRE(stages.size() == kernels::kStageCount);
  for (const auto& kv : stages) {
    const std::uint64_t c = sim::json_u64(kv.value().as_object().at("cycles"));
    CHECK(c > 0);
    sum += c;
    shares += sim::json_double(kv.value().as_object().at("share"));
    CHECK(sim::json_u64(t.json.at("stages").as_object().at(kv.key()).as_object().at("cycles")) == c);
  }
  CHECK(sum == sim::json_u64(a.json.at("cycles")));
  CHECK(shares == Approx(1.0));
  CHECK(sim::to_json(a.json) == sim::to_json(b.json));
  CHECK(t.json.at("accuracy").is_null());
}

TEST_CASE("layer: on two cores every stage splits its work and computes the same numbers", "[layer][timing]") {
  sim::LayerRunOptions o = options(tiny_model(), 128, 32, "neumann");
  o.params.weights = kernels::WeightFormat::int4;
  const sim::LayerResult one = sim::run_layer(test::test_hw(), o);
  const sim::LayerResult two = sim::run_layer(test::test_hw({"cores=2"}), o);
  CHECK(two.runs[0].o->v == one.runs[0].o->v);
  CHECK(two.runs[0].y->v == one.runs[0].y->v);
  // Every stage with more than one unit of work gets faster; out_proj has a single 64-column tile.
  for (const auto& kv : one.json.at("stages").as_object()) {
    INFO(kv.key());
    const auto c1 = sim::json_u64(kv.value().as_object().at("cycles"));
    const auto c2 = sim::json_u64(two.json.at("stages").as_object().at(kv.key()).as_object().at("cycles"));
    if (kv.key() == "out_proj") {
      CHECK(c2 == c1);
    } else {
      CHECK(c2 < c1);
    }
  }
}

TEST_CASE("layer: on two hardware threads every stage computes the same numbers as on one", "[layer][threads]") {
  // Threads change the schedule (units round-robin, per-thread buffers, flags, the matrix lock),
  // never the arithmetic: every output bit must match. int16 with int4 weights exercises the
  // integer paths (the state stage's per-thread scratch, the projections' dequantisation).
  for (npu::DType dtype : {npu::DType::fp16, npu::DType::int16}) {
    DYNAMIC_SECTION(npu::dtype_name(dtype)) {
      sim::LayerRunOptions o = options(tiny_model(), 128, 32, "neumann", dtype);
      o.params.weights = kernels::WeightFormat::int4;
      const sim::LayerResult one = sim::run_layer(test::test_hw(), o);
      const sim::LayerResult two = sim::run_layer(test::test_hw({"sequencer.threads=2"}), o);
      CHECK(two.runs[0].o->v == one.runs[0].o->v);
      CHECK(two.runs[0].y->v == one.runs[0].y->v);
    }
  }
}

TEST_CASE("layer: with two hardware threads every stage runs work on both", "[layer][threads]") {
  kernels::GdnModel m = tiny_model();
  m.hidden_size = 256;  // two 128-column tiles of out_proj, one per thread
  sim::LayerRunOptions o = options(m, 256, 32, "neumann");
  o.numerics = false;
  o.keep_records = true;
  const sim::LayerResult two = sim::run_layer(test::test_hw({"sequencer.threads=2"}), o);
  REQUIRE(two.runs[0].stages.size() == kernels::kStageCount);
  for (const auto& st : two.runs[0].stages) {
    INFO(kernels::stage_name(st->stage) << ": " << st->summary);
    REQUIRE(st->result.cores.size() == 1);
    const auto& threads = st->result.cores[0].threads;
    REQUIRE(threads.size() == 2);
    // Each thread ran loads, vector work and stores of its own.
    for (std::uint32_t t = 0; t < 2; ++t) {
      INFO("thread " << t);
      const npu::Stream* stream = st->program.find_stream(0, t);
      REQUIRE(stream != nullptr);
      std::set<npu::UnitKind> units;
      for (const npu::Instruction& in : stream->code) units.insert(in.unit());
      CHECK(threads[t].size() == stream->code.size());
      CHECK(threads[t].end > 0);
      CHECK(units.count(npu::UnitKind::dma) == 1);
      CHECK(units.count(npu::UnitKind::vector) == 1);
    }
    if (st->stage != kernels::Stage::inverse) CHECK(st->summary.find("on 2 threads per core") != std::string::npos);
  }
}

TEST_CASE("layer: stages fall back to fewer threads when every thread's buffers do not fit", "[layer][threads]") {
  // 56 KiB holds the state stage's 64-column blocks for one thread only (see the test above on
  // the small scratchpad): it must still compute the same numbers, on fewer threads.
  sim::LayerRunOptions o = options(tiny_model(2, 4, 64), 80, 32, "neumann", npu::DType::fp32);
  o.params.inverse_params.steps = 8;
  const kernels::LayerShape s(o.params);
  o.core_inputs = core_inputs(s, 5);
  const sim::LayerResult one = sim::run_layer(test::test_hw({"scratchpad.size=56KiB"}), o);
  const sim::LayerResult four = sim::run_layer(test::test_hw({"scratchpad.size=56KiB", "sequencer.threads=4"}), o);
  CHECK(four.runs[0].o->v == one.runs[0].o->v);
  const auto& stages = four.json.at("stages").as_object();
  bool fewer = false;
  for (const char* st : {"wu", "state", "output"}) {
    const std::string summary(stages.at(st).as_object().at("summary").as_string());
    INFO(st << ": " << summary);
    fewer = fewer || summary.find("on 4 threads") == std::string::npos;
  }
  CHECK(fewer);
}

TEST_CASE("layer: comparing inverse kernels shares the other stages; the reduction is the cycle difference",
          "[layer][timing]") {
  sim::LayerRunOptions o = options(tiny_model(), 128, 64, "fla_blocked");
  o.inverses = {"fla_blocked", "neumann"};
  o.numerics = false;
  const sim::LayerResult r = sim::run_layer(test::test_hw(), o);
  REQUIRE(r.runs.size() == 2);
  const auto& a = r.runs[0].stats.at("stages").as_object();
  const auto& b = r.runs[1].stats.at("stages").as_object();
  for (const auto& kv : a) {
    if (kv.key() == "inverse") continue;
    CHECK(sim::json_u64(kv.value().as_object().at("cycles")) ==
          sim::json_u64(b.at(kv.key()).as_object().at("cycles")));
  }
  const double ca = double(sim::json_u64(r.runs[0].stats.at("cycles")));
  const double cb = double(sim::json_u64(r.runs[1].stats.at("cycles")));
  CHECK(sim::json_double(r.json.at("layer_reduction")) == Approx((ca - cb) / ca));
  const double ia = double(sim::json_u64(a.at("inverse").as_object().at("cycles")));
  CHECK(sim::json_double(r.json.at("inverse_share").as_object().at("fla_blocked")) == Approx(ia / ca));
}

TEST_CASE("layer: comparing in numerics mode reruns the stages after the inverse on each kernel's T",
          "[layer][numerics]") {
  sim::LayerRunOptions o = options(tiny_model(), 100, 32, "fla_blocked");
  o.inverses = {"fla_blocked", "neumann"};
  o.params.inverse_params.steps = 8;
  const sim::LayerResult r = sim::run_layer(test::test_hw(), o);
  REQUIRE(r.runs.size() == 2);
  for (const auto& run : r.runs) {
    INFO(run.inverse);
    const auto& acc = run.stats.at("accuracy").as_object();
    CHECK(sim::json_double(acc.at("layer_output").as_object().at("snr_db")) > 50);
  }
  // Both runs share everything before the inverse, so their layer inputs are the same.
  CHECK(r.runs[0].stages[0] == r.runs[1].stages[0]);
  CHECK(r.runs[0].stages.back() != r.runs[1].stages.back());
}

TEST_CASE("layer: core inputs from .npy are checked, naming the file and the element", "[layer][bad-input]") {
  const auto dir = test::temp_path("npusim_layer_inputs");
  std::filesystem::create_directories(dir);
  kernels::LayerParams p = options(tiny_model(1, 2, 16), 8, 16, "fla_blocked").params;
  const kernels::LayerShape s(p);
  auto write = [&](const std::string& name, std::vector<std::uint64_t> shape, std::vector<float> values) {
    sim::write_npy((dir / (name + ".npy")).string(), "<f4", shape, reinterpret_cast<const std::uint8_t*>(values.data()),
                   values.size() * 4);
  };
  auto good = [&] {
    write("q", {8, 1, 16}, std::vector<float>(128, 0.25f));
    write("k", {8, 1, 16}, std::vector<float>(128, 0.25f));
    write("v", {8, 2, 16}, std::vector<float>(256, 1.0f));
    write("g", {8, 2}, std::vector<float>(16, -0.1f));
    write("beta", {8, 2}, std::vector<float>(16, 0.5f));
  };
  auto message = [&] {
    kernels::LayerTensors t;
    try {
      sim::read_core_inputs(dir.string(), s, t);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  good();
  CHECK(message().empty());
  write("k", {8, 2, 16}, std::vector<float>(256, 0.25f));
  CHECK(message() == (dir / "k.npy").string() + ": k must have shape (8, 1, 16) (tokens x heads x head dim), got (8, 2, 16)");
  good();
  std::vector<float> v(256, 1.0f);
  v[2 * 32 + 16 + 5] = NAN;
  write("v", {8, 2, 16}, v);
  CHECK(message() == (dir / "v.npy").string() + ": v[2, 1, 5] is nan; the inputs must be finite");
  good();
  std::vector<float> g(16, -0.1f);
  g[7] = 0.5f;
  write("g", {8, 2}, g);
  CHECK(message() == (dir / "g.npy").string() + ": g[3, 1] = 0.5 > 0; g is a log decay (-exp(A_log) softplus(...) <= 0)");
  good();
  write("beta", {8, 2}, std::vector<float>(16, 1.5f));
  CHECK(message() == (dir / "beta.npy").string() + ": beta[0, 0] = 1.5 is outside [0, 1]; beta is a sigmoid");
  std::filesystem::remove_all(dir);
}

TEST_CASE("layer: a sweep point of the layer workload is npusim layer's run", "[layer][sweep]") {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("npusim-layer-sweep-{}", getpid());
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "s.yaml").string();
  sim::write_text_file(file, "hw: " + std::string(NPUSIM_SOURCE_DIR) + "/configs/npu/hexagon-like.yaml\n" +
                                 "workload: {layer: " + std::string(NPUSIM_SOURCE_DIR) +
                                 "/tests/layer/tiny.yaml, seq: 40, inverse: [fla_blocked, neumann]}\n"
                                 "grid: {chunk: [16, 32], weights: [int4]}\n");
  const sim::Sweep s = sim::read_sweep(file);
  REQUIRE(s.size() == 2);
  sim::RunCache cache;
  const auto point = s.workload->run(s.point(s.axis_values(1), false), cache);
  REQUIRE(point.rows.size() == 2);
  sim::LayerRunOptions o = options(sim::read_model_config(std::string(NPUSIM_SOURCE_DIR) + "/tests/layer/tiny.yaml"),
                                   40, 32, "fla_blocked");
  o.inverses = {"fla_blocked", "neumann"};
  o.params.weights = kernels::WeightFormat::int4;
  o.numerics = false;
  const sim::LayerResult r = sim::run_layer(sim::read_hw_config(std::string(NPUSIM_SOURCE_DIR) +
                                                                "/configs/npu/hexagon-like.yaml"),
                                            o);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(point.rows[i].status == "ok");
    CHECK(point.rows[i].label == o.inverses[i]);
    CHECK(*point.rows[i].cycles == sim::json_u64(r.runs[i].stats.at("cycles")));
    CHECK(sim::json_u64(point.rows[i].figures.at("stages.inverse.cycles")) ==
          sim::json_u64(r.runs[i].stats.at("stages").as_object().at("inverse").as_object().at("cycles")));
  }
  // Every parameter of the layer workload is documented with the sweep parameters.
  const std::string doc = test::source_file("configs/README.md");
  for (const auto& p : s.workload->params()) {
    INFO(p.name);
    CHECK(doc.find("| `" + p.name + "` |") != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}
