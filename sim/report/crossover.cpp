#include "sim/report/crossover.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

namespace npusim::sim {

std::optional<double> axis_number(const std::string& value) {
  auto number = [](const std::string& s) -> std::optional<double> {
    if (s.empty() || s.find_first_not_of("0123456789.+-eE") != std::string::npos) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
  };
  const auto slash = value.find('/');
  if (slash == std::string::npos) return number(value);
  const auto a = number(value.substr(0, slash)), b = number(value.substr(slash + 1));
  if (!a || !b || *b == 0) return std::nullopt;
  return *a / *b;
}

CrossoverResult crossover(const CrossoverGrid& g) {
  CrossoverResult r;
  const std::size_t ny = g.y_values.size(), nx = g.x_values.size();
  auto f = [&](std::size_t x, std::size_t y) {
    const double s = g.speedup[y][x];
    return std::isfinite(s) && s > 0 ? std::log(s) : NAN;
  };
  double best = -INFINITY, worst = INFINITY;
  for (std::size_t y = 0; y < ny; ++y) {
    for (std::size_t x = 0; x < nx; ++x) {
      const double v = f(x, y);
      if (!std::isfinite(v)) {
        ++r.missing;
        continue;
      }
      (v > 0 ? r.wins : v < 0 ? r.losses : r.ties)++;
      if (v > best) best = v, r.best = std::make_pair(x, y);
      if (v < worst) worst = v, r.worst = std::make_pair(x, y);
    }
  }
  // Crossings between neighbours, along each axis.
  auto crossing = [&](bool along_x, std::size_t i, std::size_t j) {
    // Cells (i, j) and (i + 1, j) along x; (j, i) and (j, i + 1) along y.
    const double a = along_x ? f(i, j) : f(j, i), b = along_x ? f(i + 1, j) : f(j, i + 1);
    if (!std::isfinite(a) || !std::isfinite(b) || (a > 0) == (b > 0) || (a == 0 && b == 0)) return;
    const auto& values = along_x ? g.x_values : g.y_values;
    Crossing c;
    c.axis = along_x ? g.x_name : g.y_name;
    c.at = along_x ? fmt::format("{} = {}", g.y_name, g.y_values[j]) : fmt::format("{} = {}", g.x_name, g.x_values[j]);
    c.from = values[i], c.to = values[i + 1];
    const double t = a / (a - b);
    c.index = double(i) + t;
    const auto v0 = axis_number(values[i]), v1 = axis_number(values[i + 1]);
    if (v0 && v1) c.value = *v0 + t * (*v1 - *v0);
    c.kernel_wins_after = b > 0;
    r.crossings.push_back(c);
  };
  for (std::size_t j = 0; j < ny; ++j) {
    for (std::size_t i = 0; i + 1 < nx; ++i) crossing(true, i, j);
  }
  for (std::size_t j = 0; j < nx; ++j) {
    for (std::size_t i = 0; i + 1 < ny; ++i) crossing(false, i, j);
  }
  // Marching squares.
  for (std::size_t y = 0; y + 1 < ny; ++y) {
    for (std::size_t x = 0; x + 1 < nx; ++x) {
      const double bl = f(x, y), br = f(x + 1, y), tr = f(x + 1, y + 1), tl = f(x, y + 1);
      if (!std::isfinite(bl) || !std::isfinite(br) || !std::isfinite(tr) || !std::isfinite(tl)) continue;
      const double X = double(x), Y = double(y);
      // Edge crossings in the order bottom, right, top, left; NaN where the edge has none.
      struct P {
        double x, y;
        bool ok;
      };
      auto edge = [](double a, double b, double ax, double ay, double bx, double by) {
        if ((a > 0) == (b > 0)) return P{0, 0, false};
        const double t = a / (a - b);
        return P{ax + t * (bx - ax), ay + t * (by - ay), true};
      };
      const P e[4] = {edge(bl, br, X, Y, X + 1, Y), edge(br, tr, X + 1, Y, X + 1, Y + 1),
                      edge(tl, tr, X, Y + 1, X + 1, Y + 1), edge(bl, tl, X, Y, X, Y + 1)};
      std::vector<int> on;
      for (int k = 0; k < 4; ++k) {
        if (e[k].ok) on.push_back(k);
      }
      auto seg = [&](int a, int b) { r.contour.push_back({e[a].x, e[a].y, e[b].x, e[b].y}); };
      if (on.size() == 2) {
        seg(on[0], on[1]);
      } else if (on.size() == 4) {
        const bool centre = (bl + br + tr + tl) / 4 > 0;
        if (centre == (bl > 0)) {
          seg(0, 1), seg(2, 3);  // bl and tr joined through the centre: cut off br and tl
        } else {
          seg(3, 0), seg(1, 2);  // cut off bl and tr
        }
      }
    }
  }
  return r;
}

Plot crossover_plot(const CrossoverGrid& g, const CrossoverResult& r) {
  const std::size_t ny = g.y_values.size(), nx = g.x_values.size();
  Plot p(860, int(std::clamp<std::size_t>(150 + 34 * ny, 260, 560)));
  double m = 1;
  std::vector<std::vector<double>> cells;
  for (std::size_t y = 0; y < ny; ++y) {
    for (std::size_t x = 0; x < nx; ++x) {
      const double s = g.speedup[y][x];
      const double l = std::isfinite(s) && s > 0 ? std::log2(s) : NAN;
      if (std::isfinite(l)) m = std::max(m, std::ceil(std::fabs(l)));
      cells.push_back({double(x), double(y), l});
    }
  }
  p.cmd("set title " + gp_quote(g.title));
  std::string xt, yt;
  for (std::size_t i = 0; i < nx; ++i) xt += fmt::format("{}{} {}", i ? ", " : "", gp_quote(g.x_values[i]), i);
  for (std::size_t i = 0; i < ny; ++i) yt += fmt::format("{}{} {}", i ? ", " : "", gp_quote(g.y_values[i]), i);
  p.cmd(fmt::format("set xtics ({}) scale 0", xt));
  p.cmd(fmt::format("set ytics ({}) scale 0", yt));
  if (nx > 10) p.cmd("set xtics rotate by -45");
  p.cmd("set xlabel " + gp_quote(g.x_name));
  p.cmd("set ylabel " + gp_quote(g.y_name));
  p.cmd(fmt::format("set xrange [-0.5:{}]", double(nx) - 0.5));
  p.cmd(fmt::format("set yrange [-0.5:{}]", double(ny) - 0.5));
  // ColorBrewer PuOr (colour-blind safe): orange where the baseline wins, purple where the kernel does.
  p.cmd("set palette defined (-1 '#B35806', -0.5 '#F1A340', -0.15 '#FEE0B6', 0 '#F7F7F7', 0.15 '#D8DAEB', "
        "0.5 '#998EC3', 1 '#542788')");
  p.cmd(fmt::format("set cbrange [{}:{}]", -m, m));
  std::string cbt;
  for (int k = -int(m); k <= int(m); ++k) {
    cbt += fmt::format("{}{} {}", cbt.empty() ? "" : ", ", gp_quote(k >= 0 ? fmt::format("{:g}x", std::exp2(k))
                                                                          : fmt::format("1/{:g}x", std::exp2(-k))),
                       k);
  }
  p.cmd(fmt::format("set cbtics ({})", cbt));
  p.cmd("set cblabel " + gp_quote(fmt::format("speedup of {} over {} (log scale)", g.kernel, g.baseline)));
  p.cmd("set key outside bottom center horizontal");
  if (r.missing) {
    p.cmd(fmt::format("set object 1 rectangle from -0.5,-0.5 to {},{} behind fc rgb '#bbbbbb' fs pattern 4 noborder",
                      double(nx) - 0.5, double(ny) - 0.5));
  }
  p.add(fmt::format("{} using 1:2:3 with image pixels notitle", p.data(cells)));
  if (nx * ny <= 160) {
    int id = 1;
    for (std::size_t y = 0; y < ny; ++y) {
      for (std::size_t x = 0; x < nx; ++x) {
        const double s = g.speedup[y][x];
        if (!(std::isfinite(s) && s > 0)) continue;
        const bool dark = std::fabs(std::log2(s)) > 0.6 * m;
        p.cmd(fmt::format("set label {} {} at {},{} center font ',{}' tc rgb '{}' front", id++,
                          gp_quote(fmt::format("{:.2f}x", s)), x, y, nx > 10 ? 8 : 10, dark ? "#ffffff" : "#000000"));
      }
    }
  }
  std::vector<std::vector<double>> lines;
  for (const auto& s : r.contour) {
    lines.push_back({s.x0, s.y0});
    lines.push_back({s.x1, s.y1});
    lines.push_back({});
  }
  if (!lines.empty()) p.add(fmt::format("{} with lines lw 3 lc rgb '#000000' title 'speedup = 1'", p.data(lines)));
  if (r.missing) p.add("NaN with boxes fs pattern 4 lc rgb '#888888' title 'missing or failed'");
  return p;
}

}  // namespace npusim::sim
