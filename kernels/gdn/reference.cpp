#include "kernels/gdn/reference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/gdn_inputs.hpp"
#include "kernels/inverse/reference.hpp"
#include "npu/numerics/execute.hpp"

namespace npusim::kernels {
using npu::DType;

double Mat::max_abs() const {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

namespace {

/// `v` rounded to `t` as the hardware stores it.
double round_to(DType t, double v) {
  std::uint8_t bytes[4];
  npu::store_element(bytes, t, 0, v);
  return npu::load_element(bytes, t, 0);
}

Weight make_weight(std::uint32_t k, std::uint32_t n, WeightFormat f, DType scale_dtype, Normal& normal) {
  Weight w;
  w.w = Mat(k, n);
  const double sd = 1.0 / std::sqrt(double(k));
  for (double& x : w.w.v) x = normal() * sd;
  if (is_float_weights(f)) {
    for (double& x : w.w.v) x = round_to(weight_storage_dtype(f), x);
    return w;
  }
  const double qmax = f == WeightFormat::int8 ? 127 : 7, qmin = f == WeightFormat::int8 ? -128 : -8;
  const std::uint32_t groups = (k + kWeightGroup - 1) / kWeightGroup;
  w.scales = Mat(groups, n);
  w.codes.resize(w.w.v.size());
  for (std::uint32_t g = 0; g < groups; ++g) {
    const std::uint32_t r0 = g * kWeightGroup, r1 = std::min(k, r0 + kWeightGroup);
    for (std::uint32_t c = 0; c < n; ++c) {
      double m = 0;
      for (std::uint32_t r = r0; r < r1; ++r) m = std::max(m, std::fabs(w.w.at(r, c)));
      const double scale = round_to(scale_dtype, m > 0 ? m / qmax : 1.0);
      w.scales.at(g, c) = scale;
      for (std::uint32_t r = r0; r < r1; ++r) {
        const double q = std::clamp(std::nearbyint(w.w.at(r, c) / scale), qmin, qmax);
        w.codes[std::size_t{r} * n + c] = static_cast<std::int8_t>(q);
        w.w.at(r, c) = q * scale;
      }
    }
  }
  return w;
}

Mat matmul(const Mat& a, const Mat& b) {
  Mat c(a.rows, b.cols);
  for (std::uint32_t i = 0; i < a.rows; ++i) {
    double* out = &c.v[std::size_t{i} * c.cols];
    for (std::uint32_t k = 0; k < a.cols; ++k) {
      const double x = a.at(i, k);
      if (x == 0) continue;
      const double* row = &b.v[std::size_t{k} * b.cols];
      for (std::uint32_t j = 0; j < b.cols; ++j) out[j] += x * row[j];
    }
  }
  return c;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }

void track(std::map<std::string, double>& m, const std::string& name, double v) {
  m[name] = std::max(m[name], std::fabs(v));
}

}  // namespace

LayerWeights generate_weights(const LayerShape& s, WeightFormat format, DType scale_dtype, std::uint64_t seed) {
  Normal normal(seed);
  LayerWeights w;
  w.w_qkv = make_weight(s.hidden, s.conv_dim(), format, scale_dtype, normal);
  w.w_z = make_weight(s.hidden, s.value_dim(), format, scale_dtype, normal);
  w.w_b = make_weight(s.hidden, s.hv, format, scale_dtype, normal);
  w.w_a = make_weight(s.hidden, s.hv, format, scale_dtype, normal);
  w.w_out = make_weight(s.value_dim(), s.hidden, format, scale_dtype, normal);
  w.conv_w = Mat(s.conv_kernel, s.conv_dim());
  for (double& x : w.conv_w.v) x = round_to(DType::fp32, normal() * 0.5);
  w.neg_a = Mat(1, s.hv);
  w.dt_bias = Mat(1, s.hv);
  for (double& x : w.neg_a.v) x = round_to(DType::fp32, -std::exp(-3.0 + 0.5 * normal()));
  for (double& x : w.dt_bias.v) x = round_to(DType::fp32, 0.5 * normal());
  w.norm_w = Mat(1, s.dv);
  for (double& x : w.norm_w.v) x = round_to(DType::fp32, 1.0 + 0.1 * normal());
  return w;
}

Mat generate_input(const LayerShape& s, std::uint64_t seed) {
  Normal normal(seed ^ 0x9e3779b97f4a7c15ULL);
  Mat x(s.tokens, s.hidden);
  for (std::uint32_t t = 0; t < s.seq; ++t)
    for (std::uint32_t c = 0; c < s.hidden; ++c) x.at(t, c) = normal();
  return x;
}

void reference_core(const LayerShape& s, LayerTensors& lt) {
  auto& t = lt.t;
  auto& mx = lt.internal_max;
  const Mat &q = t.at("q"), &k = t.at("k"), &v = t.at("v"), &g = t.at("g"), &beta = t.at("beta");
  const std::uint32_t C = s.chunk, dk = s.dk, dv = s.dv;
  const double scale = 1.0 / std::sqrt(double(dk));
  Mat gc(s.tokens, s.hv);
  for (std::uint32_t c = 0; c < s.chunks; ++c) {
    for (std::uint32_t h = 0; h < s.hv; ++h) {
      double acc = 0;
      for (std::uint32_t i = 0; i < C; ++i) gc.at(c * C + i, h) = acc += g.at(c * C + i, h);
    }
  }
  Mat A(s.hv * s.chunks * C, C), T(s.hv * s.chunks * C, C), w(s.tokens, s.hv * dk), u(s.tokens, s.value_dim());
  Mat hs(s.chunks * s.hv * dk, dv), vn(s.tokens, s.value_dim()), o(s.tokens, s.value_dim());
  std::vector<double> H(std::size_t{dk} * dv), W(std::size_t{C} * dk), U(std::size_t{C} * dv), Vp(std::size_t{C} * dv);
  for (std::uint32_t h = 0; h < s.hv; ++h) {
    const std::uint32_t kc = h / s.group * dk, vc = h * dv;
    std::fill(H.begin(), H.end(), 0.0);
    for (std::uint32_t c = 0; c < s.chunks; ++c) {
      const std::uint32_t t0 = c * C, m = c * s.hv + h;
      auto G = [&](std::uint32_t i) { return gc.at(t0 + i, h); };
      // A and T = (I + A)^-1
      MatrixBatch a;
      a.batch = 1;
      a.n = C;
      a.values.assign(std::size_t{C} * C, 0.0);
      for (std::uint32_t i = 0; i < C; ++i) {
        for (std::uint32_t j = 0; j < i; ++j) {
          double dot = 0;
          for (std::uint32_t d = 0; d < dk; ++d) dot += k.at(t0 + i, kc + d) * k.at(t0 + j, kc + d);
          const double val = beta.at(t0 + i, h) * dot * std::exp(G(i) - G(j));
          a.at(0, i, j) = val;
          A.at(m * C + i, j) = val;
        }
      }
      const MatrixBatch tinv = exact_inverse(a);
      for (std::uint32_t i = 0; i < C; ++i)
        for (std::uint32_t j = 0; j < C; ++j) T.at(m * C + i, j) = tinv.at(0, i, j);
      // W = T (K beta e^G), U = T (V beta)
      for (std::uint32_t i = 0; i < C; ++i) {
        for (std::uint32_t d = 0; d < dk; ++d) {
          double acc = 0;
          for (std::uint32_t j = 0; j <= i; ++j) {
            const double f = beta.at(t0 + j, h) * std::exp(G(j));
            acc += tinv.at(0, i, j) * k.at(t0 + j, kc + d) * f;
          }
          W[std::size_t{i} * dk + d] = acc;
          w.at(t0 + i, h * dk + d) = -acc;
        }
        for (std::uint32_t d = 0; d < dv; ++d) {
          double acc = 0;
          for (std::uint32_t j = 0; j <= i; ++j) acc += tinv.at(0, i, j) * v.at(t0 + j, vc + d) * beta.at(t0 + j, h);
          U[std::size_t{i} * dv + d] = acc;
          u.at(t0 + i, vc + d) = acc;
        }
        const double f = beta.at(t0 + i, h) * std::exp(G(i));
        track(mx, "ek", f);
        track(mx, "ev", beta.at(t0 + i, h));
        track(mx, "ed", std::exp(G(C - 1) - G(i)));
        track(mx, "eq", scale * std::exp(G(i)));
        for (std::uint32_t d = 0; d < dk; ++d) {
          track(mx, "kb", k.at(t0 + i, kc + d) * f);
          track(mx, "kd", k.at(t0 + i, kc + d) * std::exp(G(C - 1) - G(i)));
          track(mx, "qg", q.at(t0 + i, kc + d) * scale * std::exp(G(i)));
        }
        for (std::uint32_t d = 0; d < dv; ++d) track(mx, "vb", v.at(t0 + i, vc + d) * beta.at(t0 + i, h));
      }
      track(mx, "eh", std::exp(G(C - 1)));
      // h_c = H; V' = U - W H; O = scale (Q e^G) H + scale tril(Q K^T decay) V'
      for (std::uint32_t r = 0; r < dk; ++r)
        for (std::uint32_t d = 0; d < dv; ++d) hs.at(m * dk + r, d) = H[std::size_t{r} * dv + d];
      for (std::uint32_t i = 0; i < C; ++i) {
        for (std::uint32_t d = 0; d < dv; ++d) {
          double acc = U[std::size_t{i} * dv + d];
          for (std::uint32_t r = 0; r < dk; ++r) acc -= W[std::size_t{i} * dk + r] * H[std::size_t{r} * dv + d];
          Vp[std::size_t{i} * dv + d] = acc;
          vn.at(t0 + i, vc + d) = acc;
        }
      }
      for (std::uint32_t i = 0; i < C; ++i) {
        std::vector<double> p(i + 1);
        for (std::uint32_t j = 0; j <= i; ++j) {
          double dot = 0;
          for (std::uint32_t d = 0; d < dk; ++d) dot += q.at(t0 + i, kc + d) * k.at(t0 + j, kc + d);
          p[j] = scale * dot * std::exp(G(i) - G(j));
          track(mx, "p", p[j]);
        }
        for (std::uint32_t d = 0; d < dv; ++d) {
          double acc = 0;
          for (std::uint32_t r = 0; r < dk; ++r) acc += q.at(t0 + i, kc + r) * H[std::size_t{r} * dv + d];
          acc *= scale * std::exp(G(i));
          for (std::uint32_t j = 0; j <= i; ++j) acc += p[j] * Vp[std::size_t{j} * dv + d];
          o.at(t0 + i, vc + d) = acc;
        }
      }
      // H = e^{G_last} H + (K e^{G_last - G})^T V'
      const double decay = std::exp(G(C - 1));
      for (double& x : H) x *= decay;
      for (std::uint32_t i = 0; i < C; ++i) {
        const double f = std::exp(G(C - 1) - G(i));
        for (std::uint32_t r = 0; r < dk; ++r) {
          const double kr = k.at(t0 + i, kc + r) * f;
          for (std::uint32_t d = 0; d < dv; ++d) H[std::size_t{r} * dv + d] += kr * Vp[std::size_t{i} * dv + d];
        }
      }
    }
  }
  t["gc"] = std::move(gc);
  t["A"] = std::move(A);
  t["T"] = std::move(T);
  t["w"] = std::move(w);
  t["u"] = std::move(u);
  t["h"] = std::move(hs);
  t["vn"] = std::move(vn);
  t["o"] = std::move(o);
}

LayerTensors reference_layer(const LayerShape& s, const GdnModel& m, const LayerWeights& w, const Mat& x) {
  LayerTensors lt;
  auto& t = lt.t;
  t["x"] = x;
  t["qkv"] = matmul(x, w.w_qkv.w);
  t["z"] = matmul(x, w.w_z.w);
  t["b"] = matmul(x, w.w_b.w);
  t["a"] = matmul(x, w.w_a.w);
  // causal depthwise conv and SiLU
  const Mat& qkv = t["qkv"];
  const std::uint32_t K = s.conv_kernel, D = s.key_dim();
  Mat qc(s.tokens, D), kc(s.tokens, D), v(s.tokens, s.value_dim());
  for (std::uint32_t r = 0; r < s.tokens; ++r) {
    for (std::uint32_t ch = 0; ch < s.conv_dim(); ++ch) {
      double y = 0;
      for (std::uint32_t i = 0; i < K; ++i) {
        const std::int64_t src = std::int64_t{r} - (K - 1) + i;
        if (src >= 0) y += w.conv_w.at(i, ch) * qkv.at(std::uint32_t(src), ch);
      }
      y *= sigmoid(y);
      if (ch < D) {
        qc.at(r, ch) = y;
      } else if (ch < 2 * D) {
        kc.at(r, ch - D) = y;
      } else {
        v.at(r, ch - 2 * D) = y;
      }
    }
  }
  // L2 norm of q and k per key head
  Mat q(s.tokens, D), k(s.tokens, D);
  for (std::uint32_t r = 0; r < s.tokens; ++r) {
    for (std::uint32_t h = 0; h < s.hk; ++h) {
      double sq = 0, sk = 0;
      for (std::uint32_t d = 0; d < s.dk; ++d) {
        sq += qc.at(r, h * s.dk + d) * qc.at(r, h * s.dk + d);
        sk += kc.at(r, h * s.dk + d) * kc.at(r, h * s.dk + d);
      }
      const double iq = 1.0 / std::sqrt(sq + 1e-6), ik = 1.0 / std::sqrt(sk + 1e-6);
      for (std::uint32_t d = 0; d < s.dk; ++d) {
        q.at(r, h * s.dk + d) = qc.at(r, h * s.dk + d) * iq;
        k.at(r, h * s.dk + d) = kc.at(r, h * s.dk + d) * ik;
      }
    }
  }
  // gates
  Mat g(s.tokens, s.hv), beta(s.tokens, s.hv);
  for (std::uint32_t r = 0; r < s.tokens; ++r) {
    for (std::uint32_t h = 0; h < s.hv; ++h) {
      beta.at(r, h) = sigmoid(t["b"].at(r, h));
      g.at(r, h) = w.neg_a.at(0, h) * softplus(t["a"].at(r, h) + w.dt_bias.at(0, h));
    }
  }
  t["qc"] = std::move(qc);
  t["kc"] = std::move(kc);
  t["v"] = std::move(v);
  t["q"] = std::move(q);
  t["k"] = std::move(k);
  t["g"] = std::move(g);
  t["beta"] = std::move(beta);
  reference_core(s, lt);
  // gated RMSNorm per value head, then out_proj
  const Mat &o = t["o"], &z = t["z"];
  Mat on(s.tokens, s.value_dim());
  for (std::uint32_t r = 0; r < s.tokens; ++r) {
    for (std::uint32_t h = 0; h < s.hv; ++h) {
      double ms = 0;
      for (std::uint32_t d = 0; d < s.dv; ++d) ms += o.at(r, h * s.dv + d) * o.at(r, h * s.dv + d);
      const double inv = 1.0 / std::sqrt(ms / s.dv + m.rms_norm_eps);
      for (std::uint32_t d = 0; d < s.dv; ++d) {
        const double zz = z.at(r, h * s.dv + d);
        on.at(r, h * s.dv + d) = o.at(r, h * s.dv + d) * inv * w.norm_w.at(0, d) * zz * sigmoid(zz);
      }
    }
  }
  t["on"] = std::move(on);
  t["y"] = matmul(t["on"], w.w_out.w);
  return lt;
}

LayerScales calibrate_layer_scales(const LayerShape& s, const LayerTensors& ref, DType dtype,
                                   const InverseParams& inverse) {
  LayerScales sc;
  const double qmax = double(npu::int_max(dtype));
  for (const auto& [name, m] : ref.t) sc.scale[name] = scale_for(m.max_abs(), qmax, 2.0);
  for (const auto& [name, m] : ref.internal_max) sc.scale[name] = scale_for(m, qmax, 2.0);
  // The inverse's own roles, from A and its exact inverse.
  MatrixBatch a, t;
  a.batch = t.batch = s.hv * s.chunks;
  a.n = t.n = s.chunk;
  a.values = ref.t.at("A").v;
  t.values = ref.t.at("T").v;
  const std::uint32_t order = inverse.order.value_or(neumann_defaults(s.chunk).first);
  sc.inverse = calibrate_int_scales(a, t, dtype, order);
  // Matmuls written back in the dtype need shift = product scale - destination scale in [0, 31].
  auto fit = [&](const std::string& dst, int product) { sc.scale[dst] = std::clamp(sc.scale[dst], product - 31, product); };
  fit("w", sc.inverse.t + sc.of("kb"));
  fit("u", sc.inverse.t + sc.of("vb"));
  return sc;
}

TensorAccuracy tensor_accuracy(const Mat& got, const Mat& ref, std::uint32_t rows) {
  TensorAccuracy a;
  double sig = 0, err = 0;
  for (std::uint32_t r = 0; r < rows; ++r) {
    for (std::uint32_t c = 0; c < ref.cols; ++c) {
      const double x = got.at(r, c), y = ref.at(r, c);
      if (!std::isfinite(x)) {
        ++a.nonfinite;
        continue;
      }
      sig += y * y;
      err += (x - y) * (x - y);
      a.max_abs_error = std::max(a.max_abs_error, std::fabs(x - y));
    }
  }
  a.snr_db = err > 0 ? 10 * std::log10(sig / err) : std::numeric_limits<double>::infinity();
  a.rel_fro_error = sig > 0 ? std::sqrt(err / sig) : std::sqrt(err);
  return a;
}

}  // namespace npusim::kernels
