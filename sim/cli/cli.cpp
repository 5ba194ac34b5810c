#include "sim/cli/cli.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <npusim_version.hpp>
#include <ostream>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "npu/isa/asm.hpp"
#include "sim/cli/options.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/io/output.hpp"
#include "sim/report/json.hpp"
#include "sim/report/report.hpp"
#include "sim/report/stats.hpp"
#include "sim/report/trace.hpp"
#include "sim/run/compare.hpp"
#include "sim/run/layer.hpp"
#include "sim/run/progress.hpp"
#include "sim/run/resources.hpp"
#include "sim/run/run_kernel.hpp"
#include "sim/run/run_program.hpp"
#include "sim/sweep/runner.hpp"

namespace npusim::sim {
namespace po = boost::program_options;

namespace {

constexpr const char* kUsage = R"(npusim: a cycle-approximate NPU simulator

usage: npusim COMMAND [OPTIONS]

commands:
  validate   check a hardware spec:   npusim validate --hw FILE.yaml [--set KEY=VALUE]...
  run        run a program:           npusim run --hw FILE.yaml --program FILE.npuasm [--out DIR] [--json]
                                                  [--timing-only] [--input TENSOR=FILE.npy]... [--set KEY=VALUE]...
             or an inverse kernel:    npusim run --hw FILE.yaml --kernel NAME --chunk C [--dtype D] [--batch B]
                                                  [--order N] [--steps S] [--input A.npy] [--dump-output T.npy] ...
  kernels    list the inverse kernels and their parameters
  compare    kernels side by side on the same inputs, with the reasons:
                                      npusim compare --hw FILE.yaml --chunk C --kernels fla_blocked,neumann [--dtype D]
                                                  [--batch B] [kernel options] [--json] [--out DIR]
  experiment run a comparison sweep:  npusim experiment configs/experiments/NAME.yaml [--out DIR] [--json]
  layer      a whole Gated DeltaNet layer, stage by stage:
                                      npusim layer --hw FILE.yaml --model configs/models/NAME.yaml --seq L
                                                  [--chunk C] [--inverse NAME | --compare-inverse A,B] [--dtype D]
                                                  [--weights int4|int8|fp16] [--timing-only] [--json] [--out DIR]
  sweep      explore a design space:  npusim sweep configs/sweeps/NAME.yaml [-j N] [--out DIR] [--resume]
                                                  [--shard I/N] [--timing-only] [--dry-run] [--quiet]
  merge      combine sweep shards:    npusim merge DIR... --out DIR
  report     a design report (HTML, Markdown) from an output of run, compare, experiment, layer or sweep:
                                      npusim report --from DIR [--out report.html] [--md report.md]
  version    print the version
  help       this text; `npusim COMMAND --help` describes a command's options

exit codes: 0 ok, 2 bad input (usage, config, program, tensor file), 3 simulation error,
            4 a sweep or merge finished but some of its points failed (their status is in its results)
)";

std::vector<std::string> args_of(int argc, const char* const* argv) {
  std::vector<std::string> a;
  for (int i = 2; i < argc; ++i) a.emplace_back(argv[i]);
  return a;
}

/// Parses a command's arguments; `positional` names the arguments it takes without an option,
/// and any other bare argument is a usage error naming it (rather than silently ignored).
po::variables_map parse(const std::vector<std::string>& args, const po::options_description& desc,
                        po::positional_options_description positional = {}) {
  constexpr const char* kStray = "unexpected-argument";
  po::options_description all;
  all.add(desc).add_options()(kStray, po::value<std::vector<std::string>>());
  positional.add(kStray, -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm.count(kStray)) {
      throw UsageError{fmt::format("unexpected argument '{}'", vm[kStray].as<std::vector<std::string>>().front())};
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError{e.what()};
  }
  return vm;
}

std::map<std::string, std::string> parse_inputs(const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      throw UsageError{fmt::format("--input {}: expected TENSOR=FILE.npy", item)};
    }
    const auto [it, added] = out.emplace(item.substr(0, eq), item.substr(eq + 1));
    if (!added) {
      throw UsageError{fmt::format("--input {}: tensor '{}' is already given (--input {}={})", item, it->first,
                                   it->first, it->second)};
    }
  }
  return out;
}

po::options_description hw_options() {
  po::options_description d;
  d.add_options()("hw", po::value<std::string>()->required(), "hardware spec (YAML), e.g. configs/npu/hexagon-like.yaml")(
      "set", po::value<std::vector<std::string>>()->composing(), "override a spec key: --set matrix.cube.m=64 (repeatable)")(
      "help,h", "describe the options");
  return d;
}

bool wants_help(const std::vector<std::string>& args) {
  return std::find(args.begin(), args.end(), "--help") != args.end() ||
         std::find(args.begin(), args.end(), "-h") != args.end();
}

int cmd_validate(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("npusim validate: check a hardware spec and print it resolved");
  desc.add(hw_options());
  desc.add_options()("keys", "print every spec key with its meaning, unit, range and default (no --hw needed)");
  if (wants_help(args)) {
    out << desc << '\n';
    return kExitOk;
  }
  if (args == std::vector<std::string>{"--keys"}) {
    out << spec_key_tables();
    return kExitOk;
  }
  const auto vm = parse(args, desc);
  const auto sets = vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  const npu::NpuConfig cfg = read_hw_config(vm["hw"].as<std::string>(), sets);
  out << fmt::format("{}: ok ({}, {} core{})\n", vm["hw"].as<std::string>(), cfg.name, cfg.cores, cfg.cores == 1 ? "" : "s");
  out << write_hw_config(cfg);
  return kExitOk;
}

npu::DType dtype_option(const std::string& v) {
  const auto t = npu::parse_dtype(v);
  if (!t) throw UsageError{fmt::format("--dtype {}: expected one of {}", v, npu::dtype_choices())};
  return *t;
}

kernels::SumMethod sum_option(const std::string& v) {
  if (v == "doubling") return kernels::SumMethod::doubling;
  if (v == "horner") return kernels::SumMethod::horner;
  throw UsageError{fmt::format("--sum {}: expected doubling or horner", v)};
}

bool mask_option(const std::string& v) {
  if (v == "band") return true;
  if (v == "none") return false;
  throw UsageError{fmt::format("--mask {}: expected band or none", v)};
}

const IntegerOption kBatch{"batch", 1, kMaxBatch, "chunk matrices (heads x chunks)"};
const IntegerOption kOrder{"order", 1, 127, "neumann: series order N, below the block size (C, 64 for C = 128)"};
const IntegerOption kSteps{"steps", 0, kernels::kMaxSteps,
                           "neumann: residual terms S (at least 1); newton_schulz: iterations (0: T = I - A)"};
const IntegerOption kInterleave{"interleave", 1, 64, "chunks computed together per core"};
const IntegerOption kSeed{"seed", 0, UINT64_MAX, "generator seed"};
const NumberOption kCorrelation{"correlation", 0, 1, "generator key correlation"};
const IntegerOption kTraceChunks{"trace-chunks", 1, kMaxBatch, "kernel runs: trace only until the first K chunks are stored"};
const IntegerOption kTraceUntil{"trace-until", 1, kMaxCycles, "trace only instructions starting before this cycle"};

/// --chunk: one of the sizes the kernels are built for.
std::uint32_t chunk_option(const std::string& text) {
  for (const std::uint32_t c : {16u, 32u, 64u, 128u}) {
    if (text == std::to_string(c)) return c;
  }
  throw UsageError{fmt::format("--chunk {}: the chunk size must be 16, 32, 64 or 128", text)};
}

/// --max-memory, shared by every command that simulates.
void add_max_memory(po::options_description& d) {
  d.add_options()("max-memory", po::value<std::string>(),
                  "refuse runs estimated to need more memory than this, e.g. 8GiB (at least 1MiB; default: half of "
                  "the RAM)");
}

std::uint64_t max_memory_option(const po::variables_map& vm) {
  const auto text = text_option(vm, "max-memory");
  return text ? parse_size("max-memory", *text, std::uint64_t{1} << 20) : 0;
}

/// The end of the traced window from --trace-until / --trace-chunks (kernel runs store to T).
Cycle trace_until(const ProgramRun& run, const po::variables_map& vm) {
  Cycle until = kUnknownCycle;
  if (const auto t = integer_option(vm, kTraceUntil)) until = *t;
  if (const auto k = integer_option(vm, kTraceChunks)) {
    until = std::min(until, cycle_after_chunks(run.program, run.result, "T", static_cast<std::uint32_t>(*k)));
  }
  return until;
}

void finish_run(const ProgramRun& run, const po::variables_map& vm, bool tensors, std::ostream& out,
                std::vector<std::string> extra_files) {
  auto written = write_outputs(run, vm["out"].as<std::string>(), tensors);
  written.insert(written.end(), extra_files.begin(), extra_files.end());
  if (vm.count("trace")) {
    write_trace(vm["trace"].as<std::string>(), run.hw, run.program, run.result, TraceOptions{trace_until(run, vm)});
    written.push_back(vm["trace"].as<std::string>());
  }
  if (vm.count("vcd")) written.push_back(vm["vcd"].as<std::string>());
  if (vm.count("json")) {
    out << to_json(run.stats);
  } else if (!vm.count("quiet")) {
    out << format_summary(run.figures);
    std::string files;
    for (const auto& w : written) files += (files.empty() ? "" : ", ") + w;
    out << "  wrote " << files << '\n';
  }
}

/// Options shared by kernel runs and comparisons.
po::options_description kernel_options() {
  po::options_description kernel("inverse kernels (npusim kernels lists them)");
  kernel.add_options()("chunk", po::value<std::string>(), "chunk size C: 16, 32, 64 or 128")(
      "dtype", po::value<std::string>()->default_value("fp16"), "fp32, fp16, bf16, int16 or int8");
  add_option(kernel, kBatch, 1);
  add_option(kernel, kOrder);
  add_option(kernel, kSteps);
  kernel.add_options()("sum", po::value<std::string>(), "neumann: residual sum by doubling or horner (default: "
                                                         "doubling if S is a power of two)")(
      "mask", po::value<std::string>(), "neumann: band (default) or none, the ablation without the band mask");
  add_option(kernel, kInterleave, 2);
  add_option(kernel, kSeed, 1);
  add_option(kernel, kCorrelation, 0.5);
  return kernel;
}

/// Reads the kernel options (not the kernel name) into run options.
KernelRunOptions kernel_run_options(const po::variables_map& vm) {
  KernelRunOptions o;
  o.hw_path = vm["hw"].as<std::string>();
  if (vm.count("set")) o.overrides = vm["set"].as<std::vector<std::string>>();
  const auto chunk = text_option(vm, "chunk");
  o.params.chunk = chunk ? chunk_option(*chunk) : 0;  // 0: from the input file
  o.params.dtype = dtype_option(vm["dtype"].as<std::string>());
  o.params.batch = static_cast<std::uint32_t>(*integer_option(vm, kBatch));
  o.batch_given = given(vm, "batch");
  if (const auto n = integer_option(vm, kOrder)) o.params.order = static_cast<std::uint32_t>(*n);
  if (const auto n = integer_option(vm, kSteps)) o.params.steps = static_cast<std::uint32_t>(*n);
  if (vm.count("sum")) o.params.sum = sum_option(vm["sum"].as<std::string>());
  if (vm.count("mask")) o.params.band_mask = mask_option(vm["mask"].as<std::string>());
  o.params.interleave = static_cast<std::uint32_t>(*integer_option(vm, kInterleave));
  o.generator.seed = *integer_option(vm, kSeed);
  o.generator.correlation = *number_option(vm, kCorrelation);
  if (vm.count("input")) {
    const auto inputs = vm["input"].as<std::vector<std::string>>();
    if (inputs.size() != 1) throw UsageError{"--kernel takes one --input A.npy"};
    o.input_path = inputs[0].rfind("A=", 0) == 0 ? inputs[0].substr(2) : inputs[0];
  }
  o.numerics = vm.count("timing-only") == 0;
  o.progress = vm.count("quiet") == 0;
  o.max_memory = max_memory_option(vm);
  return o;
}

/// The outputs every run writes: the output directory's files, --trace and --vcd.
OutputPlan run_outputs(const po::variables_map& vm) {
  OutputPlan plan;
  plan.input(vm["hw"].as<std::string>());
  plan_outputs(plan, vm["out"].as<std::string>());
  if (const auto trace = text_option(vm, "trace")) plan.file(*trace, "the trace");
  if (const auto vcd = text_option(vm, "vcd")) plan.file(*vcd, "the VCD file");
  return plan;
}

/// Where a kernel run writes T in the output directory.
std::string t_output(const po::variables_map& vm) { return vm["out"].as<std::string>() + "/T.npy"; }

int run_kernel_command(const po::variables_map& vm, std::ostream& out) {
  KernelRunOptions o = kernel_run_options(vm);
  o.kernel = vm["kernel"].as<std::string>();
  const kernels::InverseKernel* kernel = kernels::lookup_inverse_kernel(o.kernel);
  if (!kernel) throw UsageError{"--kernel: " + kernels::unknown_kernel(o.kernel)};
  for (const char* k : {"order", "steps", "sum", "mask"}) {  // silently unused, it would look applied
    if (vm.count(k) && std::find(kernel->options.begin(), kernel->options.end(), k) == kernel->options.end()) {
      throw UsageError{fmt::format("--{}: {} does not read it (npusim kernels lists each kernel's options)", k,
                                   kernel->name)};
    }
  }
  if (vm.count("vcd")) o.vcd_path = vm["vcd"].as<std::string>();
  if (!o.numerics && vm.count("dump-output")) throw UsageError{"--dump-output needs numerics (drop --timing-only)"};
  OutputPlan plan = run_outputs(vm);
  if (!o.input_path.empty()) plan.input(o.input_path);
  if (o.numerics) plan.file(t_output(vm), "T");
  if (const auto f = text_option(vm, "emit-program")) plan.file(*f, "the generated program");
  if (const auto f = text_option(vm, "dump-output")) plan.file(*f, "T (--dump-output)");
  plan.prepare();
  const KernelRun k = run_kernel(o);
  std::vector<std::string> extra;
  if (vm.count("emit-program")) {
    write_text_file(vm["emit-program"].as<std::string>(), npu::print_program(k.run.program));
    extra.push_back(vm["emit-program"].as<std::string>());
  }
  if (k.t) {
    const std::string t_path = t_output(vm);
    write_matrices(t_path, *k.t);
    extra.push_back(t_path);
    if (vm.count("dump-output")) {
      write_matrices(vm["dump-output"].as<std::string>(), *k.t);
      extra.push_back(vm["dump-output"].as<std::string>());
    }
  }
  finish_run(k.run, vm, false, out, extra);
  plan.done();
  return kExitOk;
}

int cmd_run(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("npusim run: run a program or an inverse kernel; report cycles, utilization, stalls, "
                                "traffic (and accuracy)");
  desc.add(hw_options());
  po::options_description common("output");
  common.add_options()("out", po::value<std::string>()->default_value("npusim-out"),
                       "output directory: stats.json, config.yaml, program.npuasm, output tensors")(
      "json", "print the stats object on stdout instead of the summary")(
      "timing-only", "skip numerics (same cycles, faster; no tensor outputs or accuracy)")(
      "quiet", "print nothing on success, no progress either (files are still written)")(
      "trace", po::value<std::string>(), "write a Perfetto / chrome://tracing timeline (JSON) to this file")(
      "vcd", po::value<std::string>(), "write unit-busy and queue-depth signals (SystemC VCD) for GTKWave");
  add_option(common, kTraceChunks);
  add_option(common, kTraceUntil);
  add_max_memory(common);
  po::options_description program("program runs");
  program.add_options()("program", po::value<std::string>(), "program in .npuasm text form")(
      "input", po::value<std::vector<std::string>>()->composing(),
      "program: initialise a DRAM tensor from a .npy file, --input A=a.npy (repeatable); kernel: A as .npy, "
      "(C, C) or (batch, C, C)");
  po::options_description kernel = kernel_options();
  kernel.add_options()("kernel", po::value<std::string>(), "fwdsub, fla_blocked, neumann, doubling, newton_schulz")(
      "dump-output", po::value<std::string>(), "also write the computed T to this .npy file")(
      "emit-program", po::value<std::string>(), "write the generated program (.npuasm) to this file");
  desc.add(common).add(program).add(kernel);
  if (wants_help(args)) {
    out << desc << '\n';
    return kExitOk;
  }
  const auto vm = parse(args, desc);
  integer_option(vm, kTraceUntil);  // checked before anything runs
  integer_option(vm, kTraceChunks);
  if (vm.count("program") == vm.count("kernel")) throw UsageError{"give either --program FILE or --kernel NAME"};
  if (vm.count("kernel")) return run_kernel_command(vm, out);
  for (const char* k : {"chunk", "order", "steps", "sum", "mask", "dump-output", "emit-program", "trace-chunks"}) {
    if (vm.count(k)) throw UsageError{fmt::format("--{} applies to --kernel runs", k)};
  }
  for (const char* k : {"batch", "interleave", "seed", "correlation"}) {
    if (given(vm, k)) throw UsageError{fmt::format("--{} applies to --kernel runs", k)};
  }
  RunOptions o;
  o.hw_path = vm["hw"].as<std::string>();
  if (vm.count("set")) o.overrides = vm["set"].as<std::vector<std::string>>();
  o.program_path = vm["program"].as<std::string>();
  if (vm.count("input")) o.inputs = parse_inputs(vm["input"].as<std::vector<std::string>>());
  o.numerics = vm.count("timing-only") == 0;
  o.progress = vm.count("quiet") == 0;
  if (vm.count("vcd")) o.vcd_path = vm["vcd"].as<std::string>();
  o.max_memory = max_memory_option(vm);
  OutputPlan plan = run_outputs(vm);
  plan.input(o.program_path);
  for (const auto& [tensor, path] : o.inputs) plan.input(path);
  plan.prepare();
  o.before_simulation = [&](const npu::Program& p) {
    if (o.numerics) plan_tensor_outputs(plan, vm["out"].as<std::string>(), p);
    plan.prepare();
  };
  finish_run(run_program(o), vm, true, out, {});
  plan.done();
  return kExitOk;
}

int cmd_compare(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("npusim compare: run kernels side by side on the same inputs and explain the difference");
  desc.add(hw_options());
  po::options_description main("comparison");
  main.add_options()("kernels", po::value<std::string>()->required(), "comma-separated kernels; the first is the "
                                                                        "baseline of the speedups")(
      "input", po::value<std::vector<std::string>>()->composing(), "A as .npy, (C, C) or (batch, C, C)")(
      "out", po::value<std::string>()->default_value("npusim-out/compare"),
      "output directory: compare.json, compare.md, one directory per kernel")(
      "json", "print the comparison object on stdout instead of the table")(
      "timing-only", "skip numerics (same cycles, no accuracy)")("trace", "also write trace.json per kernel")(
      "quiet", "print nothing on success, no progress either");
  add_max_memory(main);
  desc.add(main).add(kernel_options());
  if (wants_help(args)) {
    out << desc << '\n';
    return kExitOk;
  }
  const auto vm = parse(args, desc);
  CompareOptions o;
  o.run = kernel_run_options(vm);
  o.kernels = parse_list("kernels", vm["kernels"].as<std::string>());
  for (std::size_t i = 0; i < o.kernels.size(); ++i) {  // unknown names fail before any run
    const std::string& k = o.kernels[i];
    if (!kernels::lookup_inverse_kernel(k)) throw UsageError{"--kernels: " + kernels::unknown_kernel(k)};
    if (std::find(o.kernels.begin(), o.kernels.begin() + i, k) != o.kernels.begin() + i) {
      throw UsageError{fmt::format("--kernels: '{}' is listed twice", k)};
    }
  }
  const std::string dir = vm["out"].as<std::string>();
  OutputPlan plan;
  plan.input(o.run.hw_path);
  if (!o.run.input_path.empty()) plan.input(o.run.input_path);
  plan_comparison(plan, dir, o.kernels, vm.count("trace") > 0);
  plan.prepare();
  const Comparison c = compare_kernels(read_hw_config(o.run.hw_path, o.run.overrides), o);
  auto written = write_comparison(c, dir);
  if (vm.count("trace")) {
    for (std::size_t i = 0; i < c.runs.size(); ++i) {
      const std::string path = dir + "/" + o.kernels[i] + "/trace.json";
      write_trace(path, c.runs[i].run.hw, c.runs[i].run.program, c.runs[i].run.result);
      written.push_back(path);
    }
  }
  plan.done();
  if (vm.count("json")) {
    out << to_json(c.json);
  } else if (!vm.count("quiet")) {
    out << format_comparison(c);
    out << "  wrote " << vm["out"].as<std::string>() << "/compare.json, compare.md and one directory per kernel\n";
  }
  return kExitOk;
}

int cmd_experiment(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("npusim experiment: run a comparison sweep described in YAML (configs/experiments/)");
  desc.add_options()("file", po::value<std::string>()->required(), "the experiment")(
      "out", po::value<std::string>(), "output directory (default: npusim-out/experiments/NAME)")(
      "json", "print the results object on stdout")("timing-only", "skip numerics (no accuracy)")(
      "quiet", "print nothing on success, no progress either")("help,h", "describe the options");
  add_max_memory(desc);
  po::positional_options_description pos;
  pos.add("file", 1);
  if (wants_help(args)) {
    out << "usage: npusim experiment FILE.yaml [--out DIR] [--json] [--timing-only] [--quiet] [--max-memory SIZE]\n"
        << desc << '\n';
    return kExitOk;
  }
  const auto vm = parse(args, desc, pos);
  Experiment e = read_experiment(vm["file"].as<std::string>());
  e.max_memory = max_memory_option(vm);
  const std::string dir = vm.count("out") ? vm["out"].as<std::string>() : "npusim-out/experiments/" + e.name;
  OutputPlan plan;
  plan.input(e.file);
  plan.input(e.hw_path);
  plan_experiment(plan, e, dir);
  plan.prepare();
  std::vector<std::string> written;
  Progress bar("experiment " + e.name, vm.count("quiet") == 0);
  const auto results =
      run_experiment(e, dir, vm.count("timing-only") == 0, &written, [&](double f) { bar.update(f); });
  plan.done();
  if (vm.count("json")) {
    out << to_json(results);
  } else if (!vm.count("quiet")) {
    out << format_experiment(results);
    out << "\nwrote " << dir << "/results.{json,csv,md} and one directory per comparison\n";
  }
  return kExitOk;
}

const IntegerOption kSeq{"seq", 1, kMaxSeq, "tokens L, padded with zero tokens to whole chunks; optional with "
                                            "--input-dir"};
const IntegerOption kLayerSeed{"seed", 0, UINT64_MAX, "seed of the synthetic parameters and input x"};

int cmd_layer(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("npusim layer: simulate a whole Gated DeltaNet layer stage by stage (projections, conv, "
                               "norms, gates and FLA's chunk_gated_delta_rule); report each stage's cycles and share");
  desc.add(hw_options());
  po::options_description layer("layer");
  layer.add_options()("model", po::value<std::string>()->required(), "model (YAML), e.g. configs/models/qwen3-next-80b-a3b.yaml");
  add_option(layer, kSeq);
  layer.add_options()("chunk", po::value<std::string>()->default_value("64"), "chunk size C: 16, 32, 64 or 128")(
      "inverse", po::value<std::string>(), "inverse kernel (npusim kernels lists them; default fla_blocked)")(
      "compare-inverse", po::value<std::string>(), "two inverse kernels A,B: run the layer with each, print both and the "
                                                   "layer reduction")(
      "dtype", po::value<std::string>()->default_value("fp16"), "activations and matmul operands of every stage: fp32, "
                                                                 "fp16, bf16, int16 or int8")(
      "weights", po::value<std::string>(), "projection weights in DRAM: fp16, bf16, int8 or int4 (scales per 128 "
                                           "rows); default: fp16 (bf16 with --dtype bf16, int8 with integer dtypes)");
  add_option(layer, kOrder);
  add_option(layer, kSteps);
  layer.add_options()("sum", po::value<std::string>(), "neumann: residual sum by doubling or horner")(
      "mask", po::value<std::string>(), "neumann: band (default) or none, the ablation without the band mask");
  add_option(layer, kInterleave, 2);
  add_option(layer, kLayerSeed, 1);
  layer.add_options()("input-dir", po::value<std::string>(), "run the core stages on q.npy, k.npy, v.npy, g.npy, "
                                                              "beta.npy from this directory")(
      "dump-output", po::value<std::string>(), "also write the core output o (tokens x value heads x dv, float32)")(
      "timing-only", "skip numerics (same cycles, much faster; no outputs or accuracy)")(
      "json", "print the stats object on stdout instead of the report")(
      "out", po::value<std::string>()->default_value("npusim-out/layer"),
      "output directory: stats.json (compare.json), config.yaml, model.yaml, o.npy, y.npy")(
      "trace", po::value<std::string>(), "write one Perfetto timeline of every stage to this file")(
      "quiet", "print nothing on success, no progress either");
  add_max_memory(layer);
  desc.add(layer);
  if (wants_help(args)) {
    out << desc << '\n';
    return kExitOk;
  }
  const auto vm = parse(args, desc);
  LayerRunOptions o;
  o.hw_path = vm["hw"].as<std::string>();
  o.model_path = vm["model"].as<std::string>();
  o.numerics = vm.count("timing-only") == 0;
  o.progress = vm.count("quiet") == 0;
  o.seed = *integer_option(vm, kLayerSeed);
  o.keep_records = vm.count("trace") > 0;
  o.max_memory = max_memory_option(vm);
  kernels::LayerParams& p = o.params;
  p.chunk = chunk_option(vm["chunk"].as<std::string>());
  p.dtype = dtype_option(vm["dtype"].as<std::string>());
  p.weights = kernels::default_weights(p.dtype);
  if (const auto w = text_option(vm, "weights")) {
    const auto f = kernels::parse_weight_format(*w);
    if (!f) throw UsageError{fmt::format("--weights {}: expected fp16, bf16, int8 or int4", *w)};
    p.weights = *f;
  }
  if (const auto n = integer_option(vm, kOrder)) p.inverse_params.order = static_cast<std::uint32_t>(*n);
  if (const auto n = integer_option(vm, kSteps)) p.inverse_params.steps = static_cast<std::uint32_t>(*n);
  if (vm.count("sum")) p.inverse_params.sum = sum_option(vm["sum"].as<std::string>());
  if (vm.count("mask")) p.inverse_params.band_mask = mask_option(vm["mask"].as<std::string>());
  p.inverse_params.interleave = static_cast<std::uint32_t>(*integer_option(vm, kInterleave));
  if (vm.count("inverse") && vm.count("compare-inverse")) throw UsageError{"give --inverse NAME or --compare-inverse A,B"};
  if (const auto list = text_option(vm, "compare-inverse")) {
    o.inverses = parse_list("compare-inverse", *list);
    if (o.inverses.size() != 2) throw UsageError{fmt::format("--compare-inverse {}: expected two kernels, A,B", *list)};
  } else {
    o.inverses = {vm.count("inverse") ? vm["inverse"].as<std::string>() : "fla_blocked"};
  }
  for (const auto& k : o.inverses) {
    if (!kernels::lookup_inverse_kernel(k)) throw UsageError{"--inverse: " + kernels::unknown_kernel(k)};
  }
  if (vm.count("dump-output") && !o.numerics) throw UsageError{"--dump-output needs numerics (drop --timing-only)"};
  if (vm.count("dump-output") && o.inverses.size() > 1) throw UsageError{"--dump-output takes one inverse kernel"};
  if (vm.count("input-dir")) o.input_dir = vm["input-dir"].as<std::string>();
  const auto seq = integer_option(vm, kSeq);
  if (!seq && o.input_dir.empty()) throw UsageError{"the option '--seq' is required (or --input-dir DIR)"};
  if (seq) p.seq = static_cast<std::uint32_t>(*seq);
  LayerCommand c;
  c.sets = vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  c.seq_given = seq.has_value();
  c.out_dir = vm["out"].as<std::string>();
  if (vm.count("trace")) c.trace = vm["trace"].as<std::string>();
  if (vm.count("dump-output")) c.dump_output = vm["dump-output"].as<std::string>();
  c.json = vm.count("json") > 0;
  c.quiet = vm.count("quiet") > 0;
  return run_layer_command(std::move(o), c, out);
}

int cmd_sweep(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description desc("npusim sweep: run a design-space sweep described in YAML (configs/sweeps/)");
  desc.add_options()("file", po::value<std::string>()->required(), "the sweep file")(
      "jobs,j", po::value<std::string>(), "worker processes, 1 to 256 (default: the number of cores)")(
      "out", po::value<std::string>(), "output directory (default: npusim-out/sweeps/NAME, with a shard "
                                       "NAME/shard-I-of-N)")(
      "resume", "run only the points missing from the store in the output directory")(
      "shard", po::value<std::string>(), "run shard I of N (1 <= I <= N); default: from SLURM_ARRAY_TASK_ID and "
                                         "SLURM_ARRAY_TASK_COUNT when set")(
      "timing-only", "skip numerics (same cycles, no accuracy, faster)")("dry-run", "list the points, run nothing")(
      "quiet", "print nothing on success, no progress either")("help,h", "describe the options");
  add_max_memory(desc);
  po::positional_options_description pos;
  pos.add("file", 1);
  if (wants_help(args)) {
    out << "usage: npusim sweep FILE.yaml [-j N] [--out DIR] [--resume] [--shard I/N] [--timing-only] [--dry-run] "
           "[--quiet] [--max-memory SIZE]\n"
        << desc << "\nexit codes: 0 every point ran, 2 bad sweep file or options (nothing runs), 4 the sweep finished "
                   "but some points failed\n(invalid or error: their status and message are in results.csv)\n";
    return kExitOk;
  }
  const auto vm = parse(args, desc, pos);
  SweepOptions o;
  if (const auto jobs = text_option(vm, "jobs")) o.jobs = static_cast<unsigned>(parse_integer("jobs", *jobs, 1, 256));
  if (vm.count("out")) o.out = vm["out"].as<std::string>();
  o.resume = vm.count("resume") > 0;
  o.dry_run = vm.count("dry-run") > 0;
  o.numerics = vm.count("timing-only") == 0;
  o.quiet = vm.count("quiet") > 0;
  o.max_memory = max_memory_option(vm);
  std::tie(o.shard, o.shards) = vm.count("shard") ? parse_shard(vm["shard"].as<std::string>()) : slurm_shard();
  return run_sweep(read_sweep(vm["file"].as<std::string>()), o, out, err) ? kExitOk : kExitPointsFailed;
}

int cmd_merge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description desc("npusim merge: combine the stores of a sweep's shards and export them");
  desc.add_options()("out", po::value<std::string>()->required(),
                     "output directory: results.sqlite, results.csv, results.jsonl")(
      "quiet", "print nothing on success")("help,h", "describe the options");
  po::options_description all;
  all.add(desc).add_options()("inputs", po::value<std::vector<std::string>>(), "shard output directories");
  po::positional_options_description pos;
  pos.add("inputs", 100000);  // any number of directories (parse() takes the rest as strays)
  if (wants_help(args)) {
    out << "usage: npusim merge DIR... --out DIR [--quiet]\n"
        << desc << "\nexit codes: 0 every merged point ran, 2 bad input, 4 some merged points failed\n";
    return kExitOk;
  }
  const auto vm = parse(args, all, pos);
  if (!vm.count("inputs")) throw UsageError{"name the shard directories to merge"};
  return merge_sweeps(vm["inputs"].as<std::vector<std::string>>(), vm["out"].as<std::string>(), vm.count("quiet") > 0,
                      out, err)
             ? kExitOk
             : kExitPointsFailed;
}

int cmd_report(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("npusim report: a design report from an output directory, as one self-contained HTML "
                                "page (and Markdown)");
  desc.add_options()("from", po::value<std::string>()->required(),
                     "output directory of npusim run, compare, experiment, layer or sweep")(
      "out", po::value<std::string>(), "the HTML page (default: FROM/report.html); the analyses go beside it as "
                                       "NAME.analyses.json")(
      "md", po::value<std::string>(), "also write Markdown here, with the plots as SVG files in NAME-figures/")(
      "min-snr", po::value<double>()->default_value(40), "accuracy floor of the recommendation: worst-chunk SNR in dB")(
      "no-sensitivity", "skip the sensitivity sweep of the base point")(
      "step", po::value<double>()->default_value(10), "sensitivity: how far each hardware parameter moves, in percent "
                                                       "(0.1 to 50)")(
      "quiet", "print nothing on success")("help,h", "describe the options");
  if (wants_help(args)) {
    out << "usage: npusim report --from DIR [--out report.html] [--md report.md] [--min-snr DB] [--no-sensitivity] "
           "[--step PCT] [--quiet]\n"
        << desc
        << '\n';
    return kExitOk;
  }
  const auto vm = parse(args, desc);
  ReportOptions o;
  o.from = vm["from"].as<std::string>();
  if (vm.count("out")) o.html = vm["out"].as<std::string>();
  if (vm.count("md")) o.markdown = vm["md"].as<std::string>();
  o.min_snr_db = vm["min-snr"].as<double>();
  if (!std::isfinite(o.min_snr_db)) throw UsageError{fmt::format("--min-snr {}: expected a number of dB", o.min_snr_db)};
  const double step = vm["step"].as<double>();
  if (!(step >= 0.1 && step <= 50)) throw UsageError{fmt::format("--step {}: expected a percentage in [0.1, 50]", step)};
  o.step = step / 100;
  o.sensitivity = vm.count("no-sensitivity") == 0;
  o.quiet = vm.count("quiet") > 0;
  const auto written = write_report(o);
  if (!o.quiet) {
    for (std::size_t i = 1; i < written.size(); ++i) out << "  wrote " << written[i] << '\n';
    out << "report: " << written.front() << '\n';
  }
  return kExitOk;
}

int cmd_kernels(std::ostream& out) {
  out << "inverse kernels (npusim run --kernel NAME --chunk C ...):\n";
  for (const auto& k : kernels::inverse_kernels()) {
    std::string dtypes;
    for (auto t : k.dtypes) dtypes += (dtypes.empty() ? "" : ", ") + std::string(npu::dtype_name(t));
    out << fmt::format("\n  {}\n    {}\n    dtypes: {}\n", k.name, k.summary, dtypes);
    if (!k.parameters.empty()) out << fmt::format("    options: {}\n", k.parameters);
  }
  out << "\ncommon options: --chunk 16|32|64|128, --dtype, --batch B, --interleave G, --seed X, --correlation RHO,\n"
         "                --input A.npy, --dump-output T.npy, --emit-program FILE.npuasm\n";
  return kExitOk;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  const std::string command = argc >= 2 ? argv[1] : "";
  try {
    if (command.empty() || command == "help" || command == "--help" || command == "-h") {
      out << kUsage;
      return command.empty() ? kExitBadInput : kExitOk;
    }
    if (command == "version" || command == "--version") {
      out << "npusim " << kVersion << '\n';
      return kExitOk;
    }
    const auto args = args_of(argc, argv);
    int code = -1;
    if (command == "validate") code = cmd_validate(args, out);
    if (command == "run") code = cmd_run(args, out);
    if (command == "kernels") code = cmd_kernels(out);
    if (command == "compare") code = cmd_compare(args, out);
    if (command == "experiment") code = cmd_experiment(args, out);
    if (command == "layer") code = cmd_layer(args, out);
    if (command == "sweep") code = cmd_sweep(args, out, err);
    if (command == "merge") code = cmd_merge(args, out, err);
    if (command == "report") code = cmd_report(args, out);
    if (code >= 0) {
      if (!out.flush()) throw InputError("standard output: cannot write the results");
      return code;
    }
    const auto near = closest_match(command, {"validate", "run", "kernels", "compare", "experiment", "layer", "sweep",
                                              "merge", "report", "version", "help"});
    throw UsageError{near.empty() ? fmt::format("unknown command '{}'", command)
                                  : fmt::format("unknown command '{}'; did you mean '{}'?", command, near)};
  } catch (const UsageError& e) {
    err << "npusim" << (command.empty() ? "" : " " + command) << ": " << e.message << "\n(see npusim "
        << (command.empty() ? "help" : command + " --help") << ")\n";
    return kExitBadInput;
  } catch (const InputError& e) {
    err << e.what() << '\n';
    return kExitBadInput;
  } catch (const SimError& e) {
    err << "simulation error: " << e.what() << '\n';
    return kExitSimError;
  } catch (const InternalError& e) {
    err << e.what() << "\nthis is a bug in npusim; please report it with the command line above\n";
    return kExitSimError;
  } catch (const std::bad_alloc&) {
    err << "npusim: out of memory; the run needs more than this machine gives it (see --max-memory)\n";
    return kExitSimError;
  } catch (const std::exception& e) {
    err << "internal error: " << e.what() << "\nthis is a bug in npusim; please report it with the command line above\n";
    return kExitSimError;
  } catch (...) {
    err << "internal error: an unknown exception\nthis is a bug in npusim; please report it with the command line "
           "above\n";
    return kExitSimError;
  }
}

}  // namespace npusim::sim
