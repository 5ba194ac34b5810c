#pragma once
/// The GDN layer in double precision, the same math as the stage programs (layer.hpp), and the
/// seeded synthetic parameters and inputs npusim runs it on. The reference keeps every
/// intermediate tensor under the name its stage program gives it, so the runner can compare
/// any of them and can choose integer scales from their ranges.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kernels/gdn/layer.hpp"

namespace npusim::kernels {

/// A row-major matrix of doubles (batches of matrices are stacked: [batch x rows, cols]).
struct Mat {
  std::uint32_t rows = 0, cols = 0;
  std::vector<double> v;

  Mat() = default;
  Mat(std::uint32_t r, std::uint32_t c) : rows(r), cols(c), v(std::size_t{r} * c, 0.0) {}
  double& at(std::uint32_t r, std::uint32_t c) { return v[std::size_t{r} * cols + c]; }
  double at(std::uint32_t r, std::uint32_t c) const { return v[std::size_t{r} * cols + c]; }
  double max_abs() const;
};

/// One projection weight [k, n] as the hardware uses it: `w` holds the values the stored format
/// represents (fp16-rounded, or code x group scale); int8/int4 keep their codes and scales.
struct Weight {
  Mat w;
  std::vector<std::int8_t> codes;  ///< int8 / int4: one code per element of w, row-major
  Mat scales;                      ///< int8 / int4: [ceil(k / 128), n] group scales
};

/// The layer's parameters. Projections are kept per output (q k v | z | b | a); the fused and
/// split layouts only differ in how their columns are grouped into DRAM tensors.
struct LayerWeights {
  Weight w_qkv, w_z, w_b, w_a, w_out;
  Mat conv_w;                 ///< [K, conv_dim]
  Mat neg_a, dt_bias, norm_w; ///< rows [1, hv], [1, hv], [1, dv]; neg_a = -exp(A_log)
};

/// Parameters drawn from `seed`: projection weights N(0, 1/sqrt(fan-in)) in the storage format
/// (int8/int4: symmetric per group of 128 rows and column; group scales rounded to `scale_dtype`),
/// conv taps N(0, 0.5), A_log ~ N(-3, 0.5) and dt_bias ~ N(0, 0.5) (per-token decay about 0.95,
/// as the inverse kernels' input generator), norm weights N(1, 0.1).
LayerWeights generate_weights(const LayerShape& s, WeightFormat format, npu::DType scale_dtype, std::uint64_t seed);
/// The layer input x [tokens, hidden] ~ N(0, 1), rows from `seq` on zero (padding).
Mat generate_input(const LayerShape& s, std::uint64_t seed);

/// Every tensor of the layer by stage-tensor name (x, qkv, z, b, a, qc, kc, v, q, k, g, beta, gc,
/// A, T, w (= -W), u, h, vn, o, on, y), and the largest magnitudes of the internal products the
/// stages keep in the layer dtype (ek, ev, kb, vb, ed, eh, kd, eq, qg, p).
struct LayerTensors {
  std::map<std::string, Mat> t;
  std::map<std::string, double> internal_max;
};

/// The whole layer from x.
LayerTensors reference_layer(const LayerShape& s, const GdnModel& m, const LayerWeights& w, const Mat& x);
/// The chunk_gated_delta_rule core from q, k [tokens, key_dim], v [tokens, value_dim], g and beta
/// [tokens, hv] (given in `t`, which receives gc, A, T, w, u, h, vn and o).
void reference_core(const LayerShape& s, LayerTensors& t);

/// Power-of-two scales for an integer dtype from the reference's ranges: s = floor(log2(q_max /
/// (2 max|x|))) per tensor (one bit of headroom), the inverse's roles by calibrate_int_scales,
/// and the matmul write-back shifts kept in [0, 31].
LayerScales calibrate_layer_scales(const LayerShape& s, const LayerTensors& ref, npu::DType dtype,
                                   const InverseParams& inverse);

/// Error of a computed tensor against its reference, over the first `rows` rows.
struct TensorAccuracy {
  double snr_db = 0;         ///< 10 log10(sum ref^2 / sum err^2); +inf when exact
  double rel_fro_error = 0;  ///< ||err||_F / ||ref||_F
  double max_abs_error = 0;
  std::uint64_t nonfinite = 0;
};
TensorAccuracy tensor_accuracy(const Mat& got, const Mat& ref, std::uint32_t rows);

}  // namespace npusim::kernels
