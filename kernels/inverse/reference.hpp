#pragma once
/// The exact inverse T = (I + A)^-1 in double precision, and the accuracy of a computed T.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "kernels/gdn_inputs.hpp"

namespace npusim::kernels {

/// (I + A)^-1 for every strictly lower-triangular A of the batch (forward substitution, fp64).
/// `progress`, when set, is called with the fraction of chunks done.
MatrixBatch exact_inverse(const MatrixBatch& a, const std::function<void(double)>& progress = {});

/// Accuracy of `t` against `exact`, per the definitions in README.md (accuracy.*).
struct Accuracy {
  /// ||T - T_exact||_F / ||T_exact||_F: the worst and the mean over the batch.
  /// nullopt when a result is not finite.
  std::optional<double> rel_fro_error_worst, rel_fro_error_mean;
  std::optional<double> max_abs_error;
  /// 10 log10(||T_exact||^2 / ||T - T_exact||^2) per chunk: mean and worst (lowest) over the
  /// batch. nullopt when infinite (an exact result) or undefined (a non-finite result).
  std::optional<double> snr_db_mean, snr_db_worst;
  std::uint64_t nonfinite = 0;  ///< entries of T that are inf or NaN
  bool exact = false;            ///< every entry equals the reference
  /// Why the error figures are null when they are: T is not finite, or the fp64 reference (or
  /// its norm) is not; empty when they are defined.
  std::string undefined_reason;
};

Accuracy measure_accuracy(const MatrixBatch& t, const MatrixBatch& exact);

}  // namespace npusim::kernels
