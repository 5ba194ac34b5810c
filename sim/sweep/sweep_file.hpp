#pragma once
/// Sweep files (configs/sweeps/*.yaml, every key documented in configs/README.md): a workload,
/// a hardware spec, fixed parameters, and the axes that span the points: a cartesian `grid`,
/// `zip` groups whose values go together, and `random` samples; `skip` removes points.
///
/// The points are numbered in a fixed order (the first axis varies slowest; then the zip
/// groups, then the random samples) without ever being held in memory: point(i) decodes index
/// i, so a sweep of millions of points costs no more memory than one.
#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/config/yaml_reader.hpp"
#include "sim/sweep/expr.hpp"
#include "sim/sweep/workload.hpp"

namespace npusim::sim {

/// Sweeps larger than this (before skip) are refused: split them, or sample them with random.
inline constexpr std::uint64_t kMaxSweepPoints = 10'000'000;

/// One dimension of the point space: a grid axis (one name), a zip group or the random
/// samples (several names varying together). row(i)[k] is names[k]'s value at position i:
/// listed in `values`, or for the random samples drawn by `draw` (never held in memory).
struct Dimension {
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> values;
  std::uint64_t samples = 0;
  std::function<std::vector<std::string>(std::uint64_t)> draw;
  boost::json::object random;  ///< the random section, for the definition

  std::uint64_t size() const { return draw ? samples : values.size(); }
  std::vector<std::string> row(std::uint64_t i) const { return draw ? draw(i) : values[i]; }
};

struct Sweep {
  std::string name, description;
  std::string file;     ///< the sweep file as given
  std::string text;     ///< its contents
  std::string hw;       ///< the spec as written in the file (labels runs: hw.file)
  std::string hw_path;  ///< the spec relative to the working directory
  std::string hw_text;  ///< its contents, read once
  std::shared_ptr<const Workload> workload;
  std::vector<std::pair<std::string, std::string>> fixed;  ///< parameter -> value
  std::vector<Dimension> dims;
  std::vector<SkipExpr> skip;
  boost::json::object definition;  ///< canonical: everything that decides the points and their results
  std::string digest;              ///< stable hash of `definition`, the spec text and npusim's version

  /// The axis names, in column order.
  std::vector<std::string> axes() const;
  /// Points before skip.
  std::uint64_t size() const;
  /// The axis values of point `index` (in axes() order).
  std::vector<std::string> axis_values(std::uint64_t index) const;
  /// True when a skip expression removes the point.
  bool skipped(const std::vector<std::string>& axis_values) const;
  /// What a worker runs for the point (`max_memory`: its share of --max-memory, 0 the default).
  PointSpec point(const std::vector<std::string>& axis_values, bool numerics, std::uint64_t max_memory = 0) const;
};

/// Reads and checks a sweep file. Every problem is reported at once with FILE:LINE:COL (InputError).
/// `keys`, when given, receives the keys the reader declared (for the documentation test).
Sweep read_sweep(const std::string& path, std::vector<KeyDoc>* keys = nullptr);

}  // namespace npusim::sim
