// Calibration of the integer variants' power-of-two scales (README.md, "Integer scaling").
#include <algorithm>
#include <cmath>

#include "kernels/inverse/inverse.hpp"
#include "npu/numerics/dtype.hpp"

namespace npusim::kernels {
int scale_for(double m, double qmax, double headroom) {
  if (!std::isfinite(m)) return 0;  // an overflowed reference: the most headroom there is
  if (!(m > 0)) return 14;
  const int s = static_cast<int>(std::floor(std::log2(qmax / (m * headroom))));
  return std::clamp(s, 0, 30);
}

namespace {
/// The larger of `acc` and |v|; +inf once any value is not finite (a reference that overflowed fp64).
double max_magnitude(double acc, double v) { return std::isfinite(v) ? std::max(acc, std::fabs(v)) : HUGE_VAL; }
}  // namespace

IntScales calibrate_int_scales(const MatrixBatch& a, const MatrixBatch& exact, npu::DType dtype, std::uint32_t order) {
  const double qmax = double(npu::int_max(dtype));
  const std::uint32_t n = a.n;
  double max_a = 0, max_t = 0, max_e = 0;
  for (double v : a.values) max_a = max_magnitude(max_a, v);
  for (double v : exact.values) max_t = max_magnitude(max_t, v);
  // E = I - (I + A) band_N(T) = -(A band_N(T))_{i-j > N} + (what the band leaves out), computed
  // block by block with the block size the kernel uses (64 for C = 128).
  const std::uint32_t cb = n == 128 ? 64 : n;
  for (std::uint32_t b = 0; b < a.batch; ++b) {
    for (std::uint32_t o = 0; o < n; o += cb) {
      for (std::uint32_t i = 0; i < cb; ++i) {
        for (std::uint32_t j = 0; j < i; ++j) {
          double e = 0;  // -(row i of (I + A)) . (column j of T0), both within the diagonal block
          for (std::uint32_t k = j; k <= i && k - j <= order; ++k) {
            const double m = k == i ? 1.0 : a.at(b, o + i, o + k);
            e -= m * exact.at(b, o + k, o + j);
          }
          max_e = max_magnitude(max_e, e);
        }
      }
    }
  }
  IntScales s;
  // -(I + A) is stored at A's scale, and E is computed from the identity at E's scale: both
  // unit diagonals must fit, 2^s <= qmax.
  const int unit_fits = static_cast<int>(std::floor(std::log2(qmax)));
  s.a = std::min(scale_for(max_a, qmax, 1.0), unit_fits);
  s.t = scale_for(max_t, qmax, 2.0);
  s.e = std::min(scale_for(max_e, qmax, 2.0), unit_fits);
  s.p = scale_for(1.0 + max_e, qmax, 2.0);
  // The identity at the product's scale must fit the int32 accumulator.
  s.a = std::min(s.a, 30 - s.t);
  s.p = std::min(s.p, 30 - s.e);
  // E = I - (I + A) T0 is written back with shift a + t - e, which must not be negative.
  s.e = std::min(s.e, s.a + s.t);
  return s;
}

}  // namespace npusim::kernels
