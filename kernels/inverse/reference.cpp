#include "kernels/inverse/reference.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace npusim::kernels {

MatrixBatch exact_inverse(const MatrixBatch& a, const std::function<void(double)>& progress) {
  MatrixBatch t = a;
  const std::uint32_t n = a.n;
  for (std::uint32_t b = 0; b < a.batch; ++b) {
    if (progress) progress(double(b) / a.batch);
    // Row i of T: T[i, :] = e_i - sum_{k<i} A[i, k] T[k, :]   (from (I + A) T = I)
    for (std::uint32_t i = 0; i < n; ++i) {
      for (std::uint32_t j = 0; j < n; ++j) {
        double v = i == j ? 1.0 : 0.0;
        for (std::uint32_t k = j; k < i; ++k) v -= a.at(b, i, k) * t.at(b, k, j);
        t.at(b, i, j) = j <= i ? v : 0.0;
      }
    }
  }
  return t;
}

Accuracy measure_accuracy(const MatrixBatch& t, const MatrixBatch& exact) {
  Accuracy acc;
  std::uint64_t reference_nonfinite = 0;
  for (const double r : exact.values) reference_nonfinite += !std::isfinite(r);
  if (reference_nonfinite) {  // A too large for fp64: no figure would mean anything
    for (const double v : t.values) acc.nonfinite += !std::isfinite(v);
    acc.undefined_reason = fmt::format("the fp64 reference inverse has {} non-finite entries (A is too large to "
                                       "invert in fp64)",
                                       reference_nonfinite);
    return acc;
  }
  double worst_rel = 0, sum_rel = 0, max_abs = 0, sum_snr = 0, worst_snr = INFINITY;
  bool finite = true, any_infinite_snr = false, overflow = false;
  acc.exact = true;
  for (std::uint32_t b = 0; b < t.batch; ++b) {
    double ref2 = 0, err2 = 0;
    for (std::uint32_t i = 0; i < t.n; ++i) {
      for (std::uint32_t j = 0; j < t.n; ++j) {
        const double v = t.at(b, i, j), r = exact.at(b, i, j);
        if (!std::isfinite(v)) {
          ++acc.nonfinite;
          finite = false;
          continue;
        }
        const double e = v - r;
        if (e != 0) acc.exact = false;
        ref2 += r * r;
        err2 += e * e;
        max_abs = std::max(max_abs, std::fabs(e));
      }
    }
    overflow |= !std::isfinite(ref2) || !std::isfinite(err2);
    const double rel = std::sqrt(err2 / ref2);
    worst_rel = std::max(worst_rel, rel);
    sum_rel += rel;
    if (err2 == 0) {
      any_infinite_snr = true;
    } else {
      const double snr = 10.0 * std::log10(ref2 / err2);
      sum_snr += snr;
      worst_snr = std::min(worst_snr, snr);
    }
  }
  if (!finite) {
    acc.exact = false;
    acc.undefined_reason = fmt::format("T has {} non-finite entries", acc.nonfinite);
    return acc;  // errors of a non-finite result are undefined: the nonfinite count tells
  }
  if (overflow) {
    acc.exact = false;
    acc.undefined_reason = "the error norms overflow fp64";
    return acc;
  }
  acc.rel_fro_error_worst = worst_rel;
  acc.rel_fro_error_mean = sum_rel / t.batch;
  acc.max_abs_error = max_abs;
  if (!any_infinite_snr) {
    acc.snr_db_mean = sum_snr / t.batch;
    acc.snr_db_worst = worst_snr;
  } else if (worst_snr != INFINITY) {
    acc.snr_db_worst = worst_snr;  // some chunks exact: the mean is infinite, the worst is not
  }
  return acc;
}

}  // namespace npusim::kernels
