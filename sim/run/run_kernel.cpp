#include "sim/run/run_kernel.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/isa/check.hpp"
#include "npu/numerics/execute.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/io/npy.hpp"
#include "sim/io/tensors.hpp"
#include "sim/run/progress.hpp"

namespace npusim::sim {
namespace json = boost::json;

namespace {

/// Checks what an A file holds from its header: float, (C, C) or (batch, C, C), not empty.
void check_input_header(const NpyArray& a, const std::string& path) {
  if (!a.is_float()) {
    throw InputError(fmt::format("{}: A must be float32 or float64, got '{}'", path, a.descr));
  }
  if ((a.shape.size() != 2 && a.shape.size() != 3) || a.shape[a.shape.size() - 1] != a.shape[a.shape.size() - 2]) {
    throw InputError(fmt::format("{}: A must have shape (C, C) or (batch, C, C), got {}", path, a.shape_text()));
  }
  const std::uint64_t batch = a.shape.size() == 3 ? a.shape[0] : 1;
  if (batch == 0 || a.shape.back() == 0) throw InputError(fmt::format("{}: A is empty {}", path, a.shape_text()));
  if (a.shape.back() > 128 || batch > kMaxBatch) {  // sizes checked further by the kernel
    throw InputError(fmt::format("{}: A of shape {} is larger than any kernel takes (C up to 128, batch up to {})",
                                 path, a.shape_text(), kMaxBatch));
  }
}

}  // namespace

kernels::MatrixBatch read_input_matrices(const std::string& path) {
  const NpyArray a = read_npy(path, [&](const NpyArray& header) { check_input_header(header, path); });
  kernels::MatrixBatch m;
  m.n = static_cast<std::uint32_t>(a.shape.back());
  m.batch = a.shape.size() == 3 ? static_cast<std::uint32_t>(a.shape[0]) : 1;
  m.values.resize(a.elements());
  for (std::uint64_t i = 0; i < a.elements(); ++i) {
    const double v = a.at(i);
    const std::uint64_t b = i / (std::uint64_t{m.n} * m.n), r = i / m.n % m.n, c = i % m.n;
    if (!std::isfinite(v)) throw InputError(fmt::format("{}: A[{}, {}, {}] is {}; A must be finite", path, b, r, c, v));
    if (c >= r && v != 0) {
      throw InputError(fmt::format("{}: A[{}, {}, {}] = {} is on or above the diagonal; A must be strictly "
                                   "lower-triangular",
                                   path, b, r, c, v));
    }
    m.values[i] = v;
  }
  return m;
}

void write_matrices(const std::string& path, const kernels::MatrixBatch& m) {
  std::vector<float> f(m.values.begin(), m.values.end());
  write_npy(path, "<f4", {m.batch, m.n, m.n}, reinterpret_cast<const std::uint8_t*>(f.data()), f.size() * 4);
}

namespace {


AccuracyStats accuracy_stats(const kernels::Accuracy& a, std::uint64_t saturations) {
  AccuracyStats o;
  o.rel_fro_error_worst = a.rel_fro_error_worst;
  o.rel_fro_error_mean = a.rel_fro_error_mean;
  o.max_abs_error = a.max_abs_error;
  o.snr_db_mean = a.snr_db_mean;
  o.snr_db_worst = a.snr_db_worst;
  o.nonfinite = a.nonfinite;
  o.saturations = saturations;
  o.exact = a.exact;
  if (!a.undefined_reason.empty()) o.undefined_reason = a.undefined_reason;
  return o;
}

}  // namespace

bool needs_values(const KernelRunOptions& o) { return o.numerics || npu::is_int(o.params.dtype); }

InputShape kernel_input_shape(const KernelRunOptions& o, const std::string& command) {
  InputShape shape{o.params.chunk, o.params.batch};
  std::string source = "A";
  if (o.input) {
    shape = {o.input->n, o.input->batch};
  } else if (!o.input_path.empty()) {
    const NpyArray a = read_npy_header(o.input_path);
    check_input_header(a, o.input_path);
    shape = {static_cast<std::uint32_t>(a.shape.back()), a.shape.size() == 3 ? static_cast<std::uint32_t>(a.shape[0]) : 1};
    source = o.input_path + ": A";
  } else if (o.params.chunk == 0) {
    throw InputError(command + " needs --chunk C (or --input A.npy)");
  }
  if (o.params.chunk && o.params.chunk != shape.chunk) {  // only a given A can disagree
    throw InputError(fmt::format("{} is {}x{} but --chunk is {}", source, shape.chunk, shape.chunk, o.params.chunk));
  }
  if (o.batch_given && o.params.batch != shape.batch) {
    throw InputError(fmt::format("{} holds {} matrices but --batch is {}", source, shape.batch, o.params.batch));
  }
  return shape;
}

kernels::MatrixBatch kernel_input(const KernelRunOptions& o, const std::string& command,
                                  const std::function<void(double)>& progress) {
  if (o.input) return *o.input;
  if (!o.input_path.empty()) return read_input_matrices(o.input_path);
  if (o.params.chunk == 0) throw InputError(command + " needs --chunk C (or --input A.npy)");
  kernels::GdnInputParams g = o.generator;
  g.chunk = o.params.chunk;
  g.batch = o.params.batch;
  if (!needs_values(o)) return kernels::MatrixBatch{g.batch, g.chunk, {}};
  return kernels::generate_gdn_inputs(g, progress);
}

MemoryEstimate estimate_kernel_run(const npu::NpuConfig& hw, const std::string& kernel, kernels::InverseParams params,
                                   bool numerics) {
  // A small batch is built (which also refuses bad parameters before any input exists) and its
  // program scaled: kernels repeat the same instructions per chunk.
  constexpr std::uint32_t kProbeBatch = 64;
  const std::uint64_t batch = params.batch;
  params.batch = static_cast<std::uint32_t>(std::min<std::uint64_t>(batch, kProbeBatch));
  kernels::InverseProgram probe = kernels::build_inverse(kernel, hw, params);
  npu::check_program(probe.program, hw);
  const MemoryEstimate program = estimate_program(hw, probe.program, numerics);
  const std::uint64_t elements = sat_mul(sat_mul(batch, params.chunk), params.chunk);
  MemoryEstimate e;
  for (const auto& [what, bytes] : program.parts) {
    const bool per_core = what == "scratchpads";  // does not grow with the batch
    e.add(what, per_core ? bytes : sat_mul(bytes / params.batch + 1, batch));
  }
  if (numerics || npu::is_int(params.dtype)) e.add("A and its fp64 inverse", sat_mul(elements, 2 * sizeof(double)));
  if (numerics) e.add("T", sat_mul(elements, sizeof(double) + sizeof(float)));
  return e;
}

std::shared_ptr<const GeneratedInput> generate_input(const KernelRunOptions& o) {
  auto g = std::make_shared<GeneratedInput>();
  KernelRunOptions from_generator = o;
  from_generator.input.reset();
  from_generator.input_path.clear();
  g->a = kernel_input(from_generator, "--kernel");
  g->exact = kernels::exact_inverse(g->a);
  return g;
}

KernelRun run_kernel(const KernelRunOptions& o) { return run_kernel(read_hw_config(o.hw_path, o.overrides), o); }

KernelRun run_kernel(npu::NpuConfig hw, const KernelRunOptions& o) {
  KernelRun k;
  kernels::InverseParams params = o.params;
  const kernels::InverseKernel& kernel = kernels::find_inverse_kernel(o.kernel);
  Progress bar("kernel:" + kernel.name, o.progress);

  // Everything that can be refused is, before anything large is made.
  const InputShape shape = kernel_input_shape(o, "--kernel");
  params.chunk = shape.chunk;
  params.batch = shape.batch;
  check_memory(estimate_kernel_run(hw, kernel.name, params, o.numerics), o.max_memory,
               fmt::format("{} with {} chunks of {}", kernel.name, params.batch, params.chunk),
               "use a smaller --batch");

  if (o.shared_input && needs_values(o) && !o.input && o.input_path.empty()) {  // made once for several runs
    const auto shared = o.shared_input(o);
    k.a = shared->a;
    k.exact = shared->exact;
  } else {
    if (needs_values(o)) bar.step(o.input_path.empty() && !o.input ? "generating inputs" : "reading inputs");
    k.a = kernel_input(o, "--kernel", bar.callback());
    if (needs_values(o)) {
      bar.step("fp64 reference");
      k.exact = kernels::exact_inverse(k.a, bar.callback());
    }
  }
  if (npu::is_int(params.dtype)) {
    // The residual's scale depends on the series order; kernels without one use the default.
    const bool has_order = std::count(kernel.options.begin(), kernel.options.end(), "order") > 0;
    const std::uint32_t order =
        has_order && params.order ? *params.order : kernels::neumann_defaults(params.chunk).first;
    params.scales = kernels::calibrate_int_scales(k.a, k.exact, params.dtype, order);
  }
  bar.step("building the program");
  k.built = kernels::build_inverse(kernel.name, hw, params);
  npu::check_program(k.built.program, hw);

  std::vector<std::uint8_t> dram;
  const npu::DramTensor a_tensor = *k.built.program.find_tensor(k.built.input);
  const npu::DramTensor t_tensor = *k.built.program.find_tensor(k.built.output);
  if (o.numerics) {
    dram = build_dram_image(k.built.program, ".", {});
    const double scale = std::ldexp(1.0, k.built.input_scale);
    for (std::size_t i = 0; i < k.a.values.size(); ++i) {
      if (npu::store_element(dram.data() + a_tensor.address, a_tensor.dtype, i, k.a.values[i] * scale)) {
        ++k.input_saturations;
      }
    }
  }
  const std::string label = o.hw_path;
  k.run = simulate_program(std::move(hw), std::move(k.built.program), o.numerics, std::move(dram), label, &bar,
                           o.vcd_path);

  KernelStats info;
  info.name = kernel.name;
  info.summary = k.built.summary;
  info.chunk = params.chunk;
  info.dtype = npu::dtype_name(params.dtype);
  info.batch = params.batch;
  info.order = k.built.order;
  info.steps = k.built.steps;
  info.sum = k.built.sum;
  info.mask = k.built.mask;
  info.interleave = k.built.interleave;
  if (o.input) {
    info.input = json::object{{"given", "in memory"}};
  } else if (!o.input_path.empty()) {
    info.input = json::object{{"file", o.input_path}};
  } else {
    info.input = json::object{{"generator", "gdn"}, {"seed", o.generator.seed}, {"correlation", o.generator.correlation}};
  }
  info.int_scales = npu::is_int(params.dtype)
                        ? json::value(json::object{{"a", params.scales.a},
                                                   {"t", params.scales.t},
                                                   {"e", params.scales.e},
                                                   {"p", params.scales.p}})
                        : json::value(nullptr);
  k.run.figures.program_file = "kernel:" + kernel.name;
  k.run.figures.kernel = std::move(info);

  if (o.numerics) {
    kernels::MatrixBatch t;
    t.batch = k.a.batch;
    t.n = k.a.n;
    t.values.resize(k.a.values.size());
    const double scale = std::ldexp(1.0, -k.built.output_scale);
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      t.values[i] = npu::load_element(k.run.dram.data() + t_tensor.address, t_tensor.dtype, i) * scale;
    }
    k.accuracy = kernels::measure_accuracy(t, k.exact);
    k.t = std::move(t);
    std::uint64_t saturations = k.input_saturations;
    for (const auto& c : k.run.result.cores) saturations += c.numerics.saturations;
    k.run.figures.accuracy = accuracy_stats(*k.accuracy, saturations);
  }
  k.run.stats = stats_json(k.run.figures);
  return k;
}

}  // namespace npusim::sim
