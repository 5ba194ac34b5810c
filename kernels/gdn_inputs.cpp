#include "kernels/gdn_inputs.hpp"

#include <cmath>
#include <random>

namespace npusim::kernels {
double Normal::operator()() {
  if (m_has_spare) {
    m_has_spare = false;
    return m_spare;
  }
  double u = 0, v = 0;
  do {
    u = double(m_rng() >> 11) * 0x1.0p-53;
  } while (u <= 0.0);
  v = double(m_rng() >> 11) * 0x1.0p-53;
  const double r = std::sqrt(-2.0 * std::log(u)), theta = 2.0 * M_PI * v;
  m_spare = r * std::sin(theta);
  m_has_spare = true;
  return r * std::cos(theta);
}

MatrixBatch generate_gdn_inputs(const GdnInputParams& p, const std::function<void(double)>& progress) {
  MatrixBatch out;
  out.batch = p.batch;
  out.n = p.chunk;
  out.values.assign(std::size_t{p.batch} * p.chunk * p.chunk, 0.0);
  Normal normal(p.seed);
  const std::uint32_t c = p.chunk, d = p.head_dim;
  const double own = std::sqrt(1.0 - p.correlation), shared = std::sqrt(p.correlation);
  std::vector<double> keys(std::size_t{c} * d), common(d), beta(c), cum(c);
  for (std::uint32_t b = 0; b < p.batch; ++b) {
    if (progress) progress(double(b) / p.batch);
    for (auto& x : common) x = normal();
    for (std::uint32_t i = 0; i < c; ++i) {
      double norm = 0;
      for (std::uint32_t t = 0; t < d; ++t) {
        double& k = keys[std::size_t{i} * d + t];
        k = own * normal() + shared * common[t];
        norm += k * k;
      }
      norm = std::sqrt(norm);
      for (std::uint32_t t = 0; t < d; ++t) keys[std::size_t{i} * d + t] /= norm;
    }
    double g = 0;
    for (std::uint32_t i = 0; i < c; ++i) {
      beta[i] = 1.0 / (1.0 + std::exp(-(p.beta_mean + p.beta_std * normal())));
      g -= std::exp(p.log_decay_mean + p.log_decay_std * normal());
      cum[i] = g;
    }
    for (std::uint32_t i = 0; i < c; ++i) {
      for (std::uint32_t j = 0; j < i; ++j) {
        double dot = 0;
        for (std::uint32_t t = 0; t < d; ++t) dot += keys[std::size_t{i} * d + t] * keys[std::size_t{j} * d + t];
        out.at(b, i, j) = beta[i] * dot * std::exp(cum[i] - cum[j]);
      }
    }
  }
  return out;
}

}  // namespace npusim::kernels
