#include "sim/report/recommend.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "npu/common/text.hpp"

namespace npusim::sim {
namespace json = boost::json;

namespace {

bool has_accuracy(const json::object& fig) { return fig.contains("accuracy.nonfinite"); }

/// The worst-chunk SNR, or -inf when the result was not finite.
double worst_snr(const json::object& fig) {
  if (fig_number(fig, "accuracy.nonfinite") > 0) return -INFINITY;
  const double s = fig_number(fig, "accuracy.snr_db.worst");
  return std::isfinite(s) ? s : -INFINITY;
}

std::string snr_text(const json::object& fig) {
  if (fig_number(fig, "accuracy.nonfinite") > 0) {
    return fmt::format("non-finite results ({} values)", cycles_text(fig_number(fig, "accuracy.nonfinite")));
  }
  const double s = fig_number(fig, "accuracy.snr_db.worst");
  return std::isfinite(s) ? fmt::format("a worst-chunk SNR of {:.1f} dB", s) : "no measured accuracy";
}

}  // namespace

std::string recommend_run(const std::string& label, const json::object& fig) {
  const std::string binding = fig_text(fig, "bounds.binding");
  const double fraction = fig_number(fig, "bounds.binding_fraction");
  const double bound = fig_number(fig, "bounds.binding_cycles");
  std::string o = fmt::format("{} takes {} cycles; its tightest lower bound is {} at {} cycles ({:.0f}% of the run). ",
                              label, cycles_text(fig_number(fig, "cycles")), binding.empty() ? "unknown" : binding,
                              cycles_text(bound), 100 * fraction);
  if (!(fraction >= 0.5)) {
    return o + "The run is far from every bound: it is limited by latencies and dependencies between units, so "
               "overlapping more work (more chunks in flight, --interleave) pays before any faster unit does.";
  }
  if (binding == "vector") {
    return o + fmt::format("It is vector-bound (vector unit busy {:.0f}%, matrix unit {:.0f}%): fewer or wider vector "
                           "instructions, or a wider vector unit, would shorten it; matrix throughput would not.",
                           100 * fig_number(fig, "units.vector.utilization"),
                           100 * fig_number(fig, "units.matrix.utilization"));
  }
  if (binding == "matrix") {
    return o + fmt::format("It is matrix-bound at {:.1f}% MAC utilization: more matrix throughput for the dtype, or "
                           "fewer and larger matmuls, would shorten it.",
                           100 * fig_number(fig, "units.matrix.mac_utilization"));
  }
  if (binding == "memory") {
    return o + fmt::format("It is memory-bound ({:.0f}% of peak DRAM bandwidth): more bandwidth or less traffic "
                           "(reuse in the scratchpad) would shorten it.",
                           100 * fig_number(fig, "traffic.dram_bandwidth_utilization"));
  }
  if (binding == "dependency") {
    return o + "Its longest chain of dependent instructions sets the pace: lower latencies on that chain (hand-offs, "
               "pipeline latencies) or more independent work in flight would shorten it.";
  }
  if (binding == "issue") return o + "It is issue-bound: fewer, larger instructions would shorten it.";
  return o;
}

std::string recommend_compare(const std::vector<Entry>& k, double min_snr_db) {
  if (k.empty()) return "";
  const bool accuracy = std::all_of(k.begin(), k.end(), [](const Entry& e) { return has_accuracy(e.fig); });
  const Entry& base = k.front();
  const double base_cycles = fig_number(base.fig, "cycles");
  const Entry* best = nullptr;
  const Entry* fastest = nullptr;
  for (const auto& e : k) {
    const double c = fig_number(e.fig, "cycles");
    if (!fastest || c < fig_number(fastest->fig, "cycles")) fastest = &e;
    if (accuracy && worst_snr(e.fig) < min_snr_db) continue;
    if (!best || c < fig_number(best->fig, "cycles")) best = &e;
  }
  if (!best) {
    const auto most = std::max_element(k.begin(), k.end(), [](const Entry& a, const Entry& b) {
      return worst_snr(a.fig) < worst_snr(b.fig);
    });
    return fmt::format("No kernel reaches {:g} dB worst-chunk SNR; the most accurate is {} with {} ({} cycles).",
                       min_snr_db, most->label, snr_text(most->fig), cycles_text(fig_number(most->fig, "cycles")));
  }
  const double c = fig_number(best->fig, "cycles");
  std::string o;
  if (best == &base) {
    o = fmt::format("Keep {}: no other kernel is faster", base.label);
    o += accuracy ? fmt::format(" at {:g} dB worst-chunk SNR or better", min_snr_db) : "";
    o += fmt::format(" ({} cycles).", cycles_text(c));
  } else {
    o = fmt::format("Use {}: {:.2f}x faster than {} ({} vs {} cycles)", best->label, base_cycles / c, base.label,
                    cycles_text(c), cycles_text(base_cycles));
    o += accuracy ? fmt::format(", with {} (floor {:g} dB).", snr_text(best->fig), min_snr_db)
                  : "; accuracy was not measured (timing-only), so check it before relying on the result.";
  }
  if (fastest != best) {
    o += fmt::format(" {} is faster still ({} cycles) but has {}.", fastest->label,
                     cycles_text(fig_number(fastest->fig, "cycles")), snr_text(fastest->fig));
  }
  return o;
}

std::string recommend_experiment(const std::string& kernel, const std::string& baseline,
                                 const std::vector<ExperimentPoint>& p) {
  if (p.empty()) return "";
  std::vector<std::string> wins, losses;
  double lo = INFINITY, hi = 0;
  for (const auto& x : p) {
    (x.speedup > 1 ? wins : losses).push_back(fmt::format("{} C = {}", x.dtype, x.chunk));
    lo = std::min(lo, x.speedup), hi = std::max(hi, x.speedup);
  }
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i == 0 ? "" : i + 1 == v.size() ? " and " : ", ") + v[i];
    return s;
  };
  std::string o;
  if (losses.empty()) {
    o = fmt::format("{} beats {} at every point ({:.2f}x to {:.2f}x): use it.", kernel, baseline, lo, hi);
  } else if (wins.empty()) {
    o = fmt::format("{} loses to {} at every point ({:.2f}x to {:.2f}x): keep {}.", kernel, baseline, lo, hi, baseline);
  } else {
    o = fmt::format("{} beats {} at {} but not at {} ({:.2f}x to {:.2f}x): choose by chunk size and dtype.", kernel,
                    baseline, list(wins), list(losses), lo, hi);
  }
  double worst = 0;
  const ExperimentPoint* far = nullptr;
  std::size_t reported = 0;
  for (const auto& x : p) {
    if (!x.reported) continue;
    ++reported;
    const double off = std::fabs(std::log(x.speedup / *x.reported));
    if (off > worst) worst = off, far = &x;
  }
  if (far) {
    o += fmt::format(" Against the {} reported speedups the model is furthest off at {} C = {}: {:.2f}x simulated, "
                     "{:.2g}x reported.",
                     reported, far->dtype, far->chunk, far->speedup, *far->reported);
  }
  return o;
}

}  // namespace npusim::sim
