#pragma once
/// Crossover maps: over two axes of a sweep, which of two kernels wins and by how much, and the
/// contour where the speedup is 1.
#include <optional>
#include <string>
#include <vector>

#include "sim/report/plot.hpp"

namespace npusim::sim {

struct CrossoverGrid {
  std::string title;
  std::string x_name, y_name;                 ///< axis names
  std::vector<std::string> x_values, y_values;  ///< in axis order
  std::string baseline, kernel;               ///< speedup = baseline cycles / kernel cycles
  std::vector<std::vector<double>> speedup;   ///< [y][x]; NaN where the point is missing or failed
};

/// A piece of the speedup-1 contour, in index coordinates (cell (i, j) is centred at x = i, y = j).
struct ContourSegment {
  double x0, y0, x1, y1;
};

/// Where the winner changes between two neighbouring cells along one axis.
struct Crossing {
  std::string axis;        ///< the axis along which it changes
  std::string at;          ///< the other axis's name and value ("chunk = 64")
  std::string from, to;    ///< the two neighbouring values of `axis`
  double index = 0;        ///< where the speedup crosses 1, interpolated in log(speedup), in index units
  std::optional<double> value;  ///< the same in `axis`'s values, when both are numbers
  bool kernel_wins_after = false;  ///< the kernel wins at `to`
};

struct CrossoverResult {
  std::vector<ContourSegment> contour;
  std::vector<Crossing> crossings;
  std::size_t wins = 0, losses = 0, ties = 0, missing = 0;  ///< cells: speedup > 1, < 1, = 1, NaN
  std::optional<std::pair<std::size_t, std::size_t>> best, worst;  ///< (x, y) of the largest / smallest speedup
};

/// The contour of speedup = 1 by marching squares over log(speedup), linear between cell centres
/// (ambiguous saddles are resolved by the cell's mean); squares with a missing corner have none.
CrossoverResult crossover(const CrossoverGrid& g);

/// A number from an axis value: "64", "0.5", "1/8"; nullopt for anything else.
std::optional<double> axis_number(const std::string& value);

/// The map: log2(speedup) as a diverging heatmap (`with image pixels`), each cell labelled with
/// its speedup when the grid is small enough, missing cells hatched, and the contour.
Plot crossover_plot(const CrossoverGrid& g, const CrossoverResult& r);

}  // namespace npusim::sim
