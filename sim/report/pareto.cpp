#include "sim/report/pareto.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>

namespace npusim::sim {

ParetoResult pareto(const std::vector<ParetoPoint>& p) {
  ParetoResult r;
  const std::size_t n = p.size();
  r.dominated.assign(n, false);
  r.dominator.assign(n, n);
  auto dominates = [&](std::size_t a, std::size_t b) {
    const double sa = *p[a].snr_db, sb = *p[b].snr_db;
    return p[a].cycles <= p[b].cycles && sa >= sb && (p[a].cycles < p[b].cycles || sa > sb);
  };
  for (std::size_t b = 0; b < n; ++b) {
    if (!p[b].snr_db) {
      r.dominated[b] = true;
      ++r.without_accuracy;
      continue;
    }
    for (std::size_t a = 0; a < n && !r.dominated[b]; ++a) {
      if (a != b && p[a].snr_db && dominates(a, b)) r.dominated[b] = true;
    }
    if (!r.dominated[b]) r.front.push_back(b);
  }
  std::sort(r.front.begin(), r.front.end(), [&](std::size_t a, std::size_t b) {
    return p[a].cycles != p[b].cycles ? p[a].cycles < p[b].cycles : *p[a].snr_db < *p[b].snr_db;
  });
  // Each dominated point's dominator on the front: the fastest front point that dominates it.
  for (std::size_t b = 0; b < n; ++b) {
    if (!r.dominated[b] || !p[b].snr_db) continue;
    for (std::size_t f : r.front) {
      if (dominates(f, b)) {
        r.dominator[b] = f;
        break;
      }
    }
  }
  if (r.front.size() >= 3) {
    const auto& first = p[r.front.front()];
    const auto& last = p[r.front.back()];
    const double dc = last.cycles - first.cycles, ds = *last.snr_db - *first.snr_db;
    if (dc > 0 && ds > 0) {
      double best = 0;
      for (std::size_t f : r.front) {
        const double gain = (*p[f].snr_db - *first.snr_db) / ds - (p[f].cycles - first.cycles) / dc;
        if (gain > best + 1e-12) best = gain, r.knee = f;
      }
    }
  }
  return r;
}

Plot pareto_plot(const std::vector<ParetoPoint>& p, const ParetoResult& r, std::optional<double> snr_floor) {
  Plot plot(860, 440);
  double lo = INFINITY, hi = 0, snr_lo = INFINITY, snr_hi = -INFINITY;
  for (const auto& q : p) {
    lo = std::min(lo, q.cycles), hi = std::max(hi, q.cycles);
    if (q.snr_db) snr_lo = std::min(snr_lo, *q.snr_db), snr_hi = std::max(snr_hi, *q.snr_db);
  }
  plot.cmd("set xlabel 'cycles (lower is better)'");
  plot.cmd("set ylabel 'worst-chunk SNR (dB, higher is better)'");
  if (hi > 10 * lo) plot.cmd("set logscale x");
  plot.cmd("set grid lc rgb '#dddddd'");
  plot.cmd("set key outside top center horizontal");
  // The relative error on the right: SNR = -20 log10(relative error) chunk by chunk, so the
  // worst chunk's SNR and relative error are one scale.
  if (std::isfinite(snr_lo)) {
    const double pad = std::max(2.0, 0.06 * (snr_hi - snr_lo));
    plot.cmd(fmt::format("set yrange [{}:{}]", snr_lo - pad, snr_hi + pad));
    plot.cmd("set y2label 'worst-chunk relative error'");
    plot.cmd("set link y2 via 10**(-y/20) inverse -20*log10(y)");
    plot.cmd("set y2tics format '%.0e'");
    plot.cmd("set ytics nomirror");
  }
  const auto& c = palette();
  std::vector<std::vector<double>> dominated, front, defaults, baseline, knee;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!p[i].snr_db) continue;
    const std::vector<double> row{p[i].cycles, *p[i].snr_db};
    (r.dominated[i] ? dominated : front).push_back(row);
    if (p[i].is_default) defaults.push_back(row);
    if (p[i].is_baseline) baseline.push_back(row);
    if (r.knee && *r.knee == i) knee.push_back(row);
  }
  std::vector<std::vector<double>> front_line;
  for (std::size_t f : r.front) front_line.push_back({p[f].cycles, *p[f].snr_db});
  if (snr_floor && std::isfinite(snr_lo)) {
    plot.add(fmt::format("{} with lines dt 2 lc rgb '#555555' title {}", plot.data({{lo, *snr_floor}, {hi, *snr_floor}}),
                         gp_quote(fmt::format("{:g} dB floor", *snr_floor))));
  }
  if (!dominated.empty()) {
    plot.add(fmt::format("{} with points pt 6 ps 0.8 lc rgb '#999999' title 'dominated'", plot.data(dominated)));
  }
  if (!front_line.empty()) {
    plot.add(fmt::format("{} with linespoints pt 7 ps 1.0 lw 1.5 lc rgb '{}' title 'Pareto front'",
                         plot.data(front_line), c[0]));
  }
  if (!baseline.empty()) {
    plot.add(fmt::format("{} with points pt 9 ps 1.8 lc rgb '{}' title 'baseline kernel'", plot.data(baseline), c[3]));
  }
  if (!defaults.empty()) {
    plot.add(fmt::format("{} with points pt 13 ps 2.0 lc rgb '{}' title {}", plot.data(defaults), c[1],
                         gp_quote("publication's default")));
  }
  if (!knee.empty()) {
    plot.add(fmt::format("{} with points pt 4 ps 2.6 lw 2 lc rgb '{}' title 'knee'", plot.data(knee), c[2]));
  }
  // Labels for the points a reader looks for (the table lists the whole front): the ends of the
  // front, the knee and the default; every front point when there are few.
  int label = 1;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!p[i].snr_db || r.dominated[i]) continue;
    const bool named = r.front.size() <= 6 || i == r.front.front() || i == r.front.back() || (r.knee && *r.knee == i) ||
                       p[i].is_default;
    if (!named) continue;
    plot.cmd(fmt::format("set label {} {} at {},{} left offset 0.8,-0.6 font ',9' tc rgb '#333333' front", label++,
                         gp_quote(p[i].label), p[i].cycles, *p[i].snr_db));
  }
  if (plot.empty()) {  // nothing finite to draw: gnuplot cannot autoscale empty axes
    plot.cmd("set xrange [0:1]");
    plot.cmd("set yrange [0:1]");
    plot.add("NaN notitle");
  }
  return plot;
}

}  // namespace npusim::sim
