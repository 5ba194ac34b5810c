#pragma once
/// Pareto fronts of accuracy against cycles: which settings no other setting beats on both.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "sim/report/plot.hpp"

namespace npusim::sim {

struct ParetoPoint {
  std::string label;                 ///< the setting, such as "neumann N=3 S=8"
  double cycles = 0;
  std::optional<double> snr_db;      ///< worst-chunk SNR; none when the result was not finite
  std::optional<double> rel_error;   ///< worst-chunk relative Frobenius error
  bool is_default = false;           ///< the publication's default setting
  bool is_baseline = false;          ///< the baseline kernel of the sweep
};

struct ParetoResult {
  std::vector<std::size_t> front;      ///< the non-dominated points, by cycles (then SNR) ascending
  std::vector<bool> dominated;         ///< per point (points without an SNR count as dominated)
  std::vector<std::size_t> dominator;  ///< per dominated point: a front point that dominates it
  std::optional<std::size_t> knee;     ///< the front point farthest above the chord of the front
  std::size_t without_accuracy = 0;    ///< points with no finite SNR (left off the front)
};

/// A point dominates another when it takes no more cycles and has no lower SNR, and is strictly
/// better in one of them; equal points dominate neither. The knee: with the front's cycles and
/// SNR each scaled to [0, 1] (fastest 0, most accurate 1), the front point with the largest
/// scaled SNR minus scaled cycles, i.e. farthest above the straight line joining the front's two
/// ends (the "Kneedle" criterion, Satopaa et al., ICDCS workshops 2011); none for fronts of fewer
/// than three points.
ParetoResult pareto(const std::vector<ParetoPoint>& points);

/// Cycles (log scale when they span more than 10x) against worst-chunk SNR, with the relative
/// error on the right axis: dominated points, the front, the default, the baseline and the knee.
Plot pareto_plot(const std::vector<ParetoPoint>& points, const ParetoResult& r, std::optional<double> snr_floor);

}  // namespace npusim::sim
