#pragma once
/// One run's figures as the reports read them: the stats object flattened with dots
/// ("units.matrix.busy_cycles"), as the sweep store holds them, so that a report reads a run's
/// stats.json, a comparison and a sweep's rows the same way.
#include <boost/json.hpp>
#include <string>

namespace npusim::sim {

struct Entry {
  std::string label;        ///< the kernel, or the setting
  boost::json::object fig;  ///< flattened figures
  std::string explanation;  ///< the run's generated explanation, when known
};

/// `stats` flattened: nested objects become dotted keys; nulls and arrays are left out.
boost::json::object flatten_figures(const boost::json::object& stats);

/// A figure as a number; NaN when absent or not a number.
double fig_number(const boost::json::object& fig, const std::string& key);
/// A figure as text; "" when absent or not text.
std::string fig_text(const boost::json::object& fig, const std::string& key);

/// A count of cycles (or anything) with grouped digits, "23,463"; "n/a" when `c` is not a
/// count (NaN, negative, beyond 2^64, as a hand-edited file may hold).
std::string cycles_text(double c);

}  // namespace npusim::sim
