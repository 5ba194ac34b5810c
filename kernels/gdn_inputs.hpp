#pragma once
/// Seeded generator of GDN-like chunk matrices (../shared/PAPER.md section 1):
///   k_i  = normalise(sqrt(1 - rho) z_i + sqrt(rho) z_shared), z ~ N(0, I_d)   (rho: correlation)
///   beta_i = sigmoid(N(beta_mean, beta_std))
///   g_i  = -exp(N(log_decay_mean, log_decay_std)),  G = cumulative sum of g within the chunk
///   A[i, j] = beta_i (k_i . k_j) exp(G_i - G_j) for i > j, else 0
/// rho = 0 gives near-orthogonal keys (|k_i . k_j| ~ 1/sqrt(d)); rho = 1 repeats one key.
/// Every chunk draws its own keys, shared direction, betas and decays.
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace npusim::kernels {

struct GdnInputParams {
  std::uint32_t chunk = 64;        ///< C
  std::uint32_t batch = 1;         ///< chunk matrices (heads x chunks)
  std::uint64_t seed = 1;
  double correlation = 0.5;        ///< rho in [0, 1]
  std::uint32_t head_dim = 128;    ///< d
  double beta_mean = 0.0;          ///< beta = sigmoid(N(mean, std))
  double beta_std = 1.0;
  double log_decay_mean = -3.0;    ///< per-token decay exp(g), g = -exp(N(mean, std)): ~0.95 by default
  double log_decay_std = 1.0;
};

/// A batch of C x C matrices, row-major, batch-major: element (b, i, j) at (b*C + i)*C + j.
struct MatrixBatch {
  std::uint32_t batch = 0;
  std::uint32_t n = 0;  ///< C
  std::vector<double> values;

  double at(std::uint32_t b, std::uint32_t i, std::uint32_t j) const {
    return values[(std::size_t{b} * n + i) * n + j];
  }
  double& at(std::uint32_t b, std::uint32_t i, std::uint32_t j) { return values[(std::size_t{b} * n + i) * n + j]; }
};

/// `progress`, when set, is called with the fraction of chunks generated.
MatrixBatch generate_gdn_inputs(const GdnInputParams& p, const std::function<void(double)>& progress = {});

/// Standard normal draws from a 64-bit Mersenne Twister with our own Box-Muller transform, so
/// the numbers are the same with every standard library.
class Normal {
 public:
  explicit Normal(std::uint64_t seed) : m_rng(seed) {}
  double operator()();

 private:
  std::mt19937_64 m_rng;
  double m_spare = 0;
  bool m_has_spare = false;
};

}  // namespace npusim::kernels
