#pragma once
/// Sensitivity of a base point: the elasticity of cycles to each hardware parameter (each moved
/// by +-step, all else fixed) and what-if knobs (unlimited DRAM bandwidth, free hand-offs, 2x
/// matrix throughput, zero vector latency, 2x vector width), each with the bound that binds.
/// The runs are one small sweep (npusim sweep's machinery: the file is written beside the report
/// and can be run again), one point per perturbation, timing-only.
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace npusim::sim {

/// What to perturb: a kernel workload on a spec.
struct SensitivityBase {
  std::string label;                       ///< for titles: "neumann, C = 64 fp16, on hexagon-like"
  std::string hw_path;                     ///< the spec file
  std::vector<std::string> hw_overrides;   ///< KEY.PATH=VALUE on top of it
  boost::json::object workload;            ///< {"kernel": NAME} or {"compare": [A, B, ...]}
  std::vector<std::pair<std::string, std::string>> params;  ///< kernel parameters: chunk, dtype, ...
};

/// One hardware parameter (or a group moved together, such as every vector op's latency).
struct Perturbation {
  std::string name;                      ///< "dram.latency", "vector.ops.*.latency"
  std::string base_text;                 ///< as in the resolved spec
  double base = 0, low = 0, high = 0;    ///< the values (a group: its first member's)
  std::string low_text, high_text;       ///< as written in the sweep (low = base when it cannot move down)
  std::vector<std::pair<std::string, std::string>> low_set, high_set;  ///< key -> value
};

/// A what-if knob: a set of keys changed at once.
struct WhatIf {
  std::string name;
  std::vector<std::pair<std::string, std::string>> set;
};

/// A run of the sensitivity sweep for one kernel.
struct SensitivityRun {
  std::string status = "missing";  ///< ok, invalid (the spec or the kernel rejected the values), error
  std::string message;
  double cycles = 0;
  std::string binding;
};

struct SensitivityResult {
  SensitivityBase base;
  double step = 0.1;
  std::vector<std::string> kernels;
  std::string sweep_file, store;
  std::uint64_t points = 0;  ///< points of the sweep (changes that move nothing share a point)
  std::vector<SensitivityRun> base_runs;  ///< per kernel
  struct Param {
    Perturbation p;
    std::vector<SensitivityRun> low, high;   ///< per kernel
    std::vector<std::optional<double>> elasticity;  ///< per kernel
  };
  std::vector<Param> params;
  struct Knob {
    WhatIf w;
    std::vector<SensitivityRun> runs;  ///< per kernel
  };
  std::vector<Knob> knobs;
  std::vector<std::string> skipped;  ///< parameters left out, with why
};

/// The parameters of a resolved spec (YAML text) and their +-step values, and the what-ifs.
std::vector<Perturbation> perturbations(const std::string& resolved_yaml, double step, std::vector<std::string>* skipped);
std::vector<WhatIf> what_ifs(const std::string& resolved_yaml);

/// Elasticity from the cycles at the base and at the moved values, two-sided when both ran:
/// ((c_high - c_low) / c_base) / ((p_high - p_low) / p_base); one-sided otherwise.
std::optional<double> elasticity(double base_cycles, double base_value, const SensitivityRun& low, double low_value,
                                 const SensitivityRun& high, double high_value);

/// Writes DIR/sweep.yaml, runs it into DIR (which must not hold another store) and reads it back.
SensitivityResult run_sensitivity(const SensitivityBase& base, double step, const std::string& dir, bool progress);

/// The result as JSON (for the analyses file).
boost::json::object sensitivity_json(const SensitivityResult& r);

}  // namespace npusim::sim
