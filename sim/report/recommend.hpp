#pragma once
/// Generated recommendations: one or two sentences a report leads with, built only from the
/// figures (no canned conclusions).
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/report/figures.hpp"

namespace npusim::sim {

/// A single run: what bounds it and what would therefore make it faster.
std::string recommend_run(const std::string& label, const boost::json::object& fig);

/// Kernels on the same inputs (the first is the baseline): the fastest one whose worst-chunk SNR
/// reaches `min_snr_db` (every kernel when accuracy was not measured), against the baseline.
std::string recommend_compare(const std::vector<Entry>& kernels, double min_snr_db);

/// An experiment row: the speedup of the last kernel over the first at one chunk and dtype.
struct ExperimentPoint {
  std::string dtype;
  std::uint64_t chunk = 0;
  double speedup = 0;
  std::optional<double> reported;
};

/// Where the last kernel wins, by how much, and how far the model is from the reported figures.
std::string recommend_experiment(const std::string& kernel, const std::string& baseline,
                                 const std::vector<ExperimentPoint>& points);

}  // namespace npusim::sim
