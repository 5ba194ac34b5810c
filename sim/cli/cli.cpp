#include "sim/cli/cli.hpp"

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <npusim_version.hpp>
#include <ostream>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/report/json.hpp"
#include "sim/report/stats.hpp"
#include "sim/run/run_program.hpp"

namespace npusim::sim {
namespace po = boost::program_options;

namespace {

constexpr const char* kUsage = R"(npusim: a cycle-approximate NPU simulator

usage: npusim COMMAND [OPTIONS]

commands:
  validate   check a hardware spec:   npusim validate --hw FILE.yaml [--set KEY=VALUE]...
  run        run a program:           npusim run --hw FILE.yaml --program FILE.npuasm [--out DIR] [--json]
                                                  [--timing-only] [--input TENSOR=FILE.npy]... [--set KEY=VALUE]...
  version    print the version
  help       this text; `npusim COMMAND --help` describes a command's options

exit codes: 0 ok, 2 bad input (usage, config, program, tensor file), 3 simulation error
)";

/// A command-line mistake: reported with the command's usage, exit code 2.
struct UsageError {
  std::string message;
};

std::vector<std::string> args_of(int argc, const char* const* argv) {
  std::vector<std::string> a;
  for (int i = 2; i < argc; ++i) a.emplace_back(argv[i]);
  return a;
}

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& desc) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
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
    out[item.substr(0, eq)] = item.substr(eq + 1);
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

int cmd_validate(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("npusim validate: check a hardware spec and print it resolved");
  desc.add(hw_options());
  if (std::find(args.begin(), args.end(), "--help") != args.end() || std::find(args.begin(), args.end(), "-h") != args.end()) {
    out << desc << '\n';
    return kExitOk;
  }
  const auto vm = parse(args, desc);
  const auto sets = vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  const npu::NpuConfig cfg = read_hw_config(vm["hw"].as<std::string>(), sets);
  out << fmt::format("{}: ok ({}, {} core{})\n", vm["hw"].as<std::string>(), cfg.name, cfg.cores, cfg.cores == 1 ? "" : "s");
  out << write_hw_config(cfg);
  return kExitOk;
}

int cmd_run(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("npusim run: run a program and report cycles, utilization, stalls and traffic");
  desc.add(hw_options());
  desc.add_options()("program", po::value<std::string>()->required(), "program in .npuasm text form")(
      "out", po::value<std::string>()->default_value("npusim-out"),
      "output directory: stats.json, config.yaml, program.npuasm, output tensors")(
      "json", "print the stats object on stdout instead of the summary")(
      "timing-only", "skip numerics (same cycles, faster, no tensor outputs)")(
      "input", po::value<std::vector<std::string>>()->composing(),
      "initialise a DRAM tensor from a .npy file: --input A=a.npy (repeatable)")(
      "quiet", "print nothing on success (files are still written)");
  if (std::find(args.begin(), args.end(), "--help") != args.end() || std::find(args.begin(), args.end(), "-h") != args.end()) {
    out << desc << '\n';
    return kExitOk;
  }
  const auto vm = parse(args, desc);
  RunOptions o;
  o.hw_path = vm["hw"].as<std::string>();
  if (vm.count("set")) o.overrides = vm["set"].as<std::vector<std::string>>();
  o.program_path = vm["program"].as<std::string>();
  if (vm.count("input")) o.inputs = parse_inputs(vm["input"].as<std::vector<std::string>>());
  o.numerics = vm.count("timing-only") == 0;
  const ProgramRun run = run_program(o);
  const auto written = write_outputs(run, vm["out"].as<std::string>());
  if (vm.count("json")) {
    out << to_json(run.stats);
  } else if (!vm.count("quiet")) {
    out << format_summary(run.stats);
    std::string files;
    for (const auto& w : written) files += (files.empty() ? "" : ", ") + w;
    out << "  wrote " << files << '\n';
  }
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
    if (command == "validate") return cmd_validate(args, out);
    if (command == "run") return cmd_run(args, out);
    const auto near = closest_match(command, {"validate", "run", "version", "help"});
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
  }
}

}  // namespace npusim::sim
