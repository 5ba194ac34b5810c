#pragma once
/// The Gated DeltaNet layer as kernel programs, one per stage, mapped as flash-linear-attention's
/// chunk_gated_delta_rule forward (and the projections, conv, norms and gating around it) maps
/// it: each stage is a kernel that reads its inputs from DRAM and writes its outputs there, and
/// the stages run one after another. Per value head h (key head h / group) and chunk c of C
/// tokens (../shared/PAPER.md s.1; G = chunk-local cumulative sum of g):
///   in_proj   [q k v z] = x W_qkvz, [b a] = x W_ba                  (GEMMs, weights streamed)
///   conv      q, k, v = SiLU(causal depthwise conv1d_K(q, k, v))
///   l2norm    q, k = x / sqrt(sum x^2 + 1e-6) per head
///   gates     g = -exp(A_log) softplus(a + dt_bias), beta = sigmoid(b)
///   cumsum    G = cumulative sum of g within each chunk
///   kkt       A = strict_tril(beta_i k_i . k_j exp(G_i - G_j))
///   inverse   T = (I + A)^-1, any inverse kernel (kernels/inverse)
///   wu        W = T (K beta e^G), U = T (V beta)
///   state     per head, across chunks: V' = U - W H, H = e^{G_last} H + (K e^{G_last - G})^T V'
///   output    O = scale (Q e^G) H + scale tril(Q K^T exp(G_i - G_j)) V',  scale = 1/sqrt(dk)
///   norm      o = RMSNorm(O) w_norm * SiLU(z) per head
///   out_proj  y = o W_out
/// kernels/gdn/stages.cpp describes how each stage maps onto the ISA.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kernels/gdn/model.hpp"
#include "kernels/inverse/inverse.hpp"
#include "npu/config.hpp"
#include "npu/isa/program.hpp"

namespace npusim::kernels {

enum class Stage : std::uint8_t {
  in_proj, conv, l2norm, gates, cumsum, kkt, inverse, wu, state, output, norm, out_proj,
};
inline constexpr int kStageCount = 12;
std::string stage_name(Stage s);
/// The stages in run order; `core_only` keeps the chunk_gated_delta_rule core (cumsum to output).
std::vector<Stage> layer_stages(bool core_only);

/// How the projection weights are stored in DRAM. int8 and int4 carry one scale per group of
/// kWeightGroup input rows and output column (as GPTQ/AWQ-style W8A16 / W4A16 formats do).
enum class WeightFormat : std::uint8_t { fp16, bf16, int8, int4 };
inline constexpr std::uint32_t kWeightGroup = 128;
std::string weight_format_name(WeightFormat w);
std::optional<WeightFormat> parse_weight_format(const std::string& name);
/// fp16 and bf16 weights are stored as they are used; int8 and int4 are codes with group scales.
inline bool is_float_weights(WeightFormat w) { return w == WeightFormat::fp16 || w == WeightFormat::bf16; }
/// The DRAM element type of the weights (int4: int8 bytes holding two codes).
npu::DType weight_storage_dtype(WeightFormat w);
/// The weights a layer dtype runs with by default: fp16 for fp16 and fp32, bf16 for bf16, int8
/// for the integer dtypes.
WeightFormat default_weights(npu::DType dtype);

/// Everything a layer run is built from.
struct LayerParams {
  GdnModel model;
  std::uint32_t seq = 4096;     ///< tokens as given
  std::uint32_t chunk = 64;     ///< C
  npu::DType dtype = npu::DType::fp16;  ///< activations and matmul operands of every stage, the inverse included
  WeightFormat weights = WeightFormat::fp16;
  std::string inverse = "fla_blocked";  ///< inverse kernel (kernels/inverse)
  InverseParams inverse_params;         ///< its options (chunk, dtype, batch and scales are filled in)
};

/// Shapes derived from the parameters.
struct LayerShape {
  explicit LayerShape(const LayerParams& p);
  std::uint32_t seq, tokens, chunk, chunks;  ///< tokens: seq padded to whole chunks
  std::uint32_t hidden, hk, hv, dk, dv, group, conv_kernel;
  std::uint32_t key_dim() const { return hk * dk; }
  std::uint32_t value_dim() const { return hv * dv; }
  std::uint32_t conv_dim() const { return 2 * key_dim() + value_dim(); }
};

/// Power-of-two scales of integer dtypes, per tensor: a value v is stored as round(v 2^s).
/// Names are the stage tensors' names (and a few internal roles); floats ignore them.
struct LayerScales {
  std::map<std::string, int> scale;
  IntScales inverse;  ///< the inverse kernel's own roles (A at `a`, T at `t`)
  int of(const std::string& name) const;
};

/// How a weight tensor of a projection is laid out in DRAM, so that the runner can fill it.
struct WeightLayout {
  std::string name;       ///< the logical weight: w_qkvz, w_ba, w_qkv, w_z, w_b, w_a, w_out
  std::string tensor;     ///< its DRAM tensor (int4: packed nibbles)
  std::string scales;     ///< its group-scale tensor ("" for fp16)
  std::uint32_t k = 0, n = 0;
  /// The column tiles (first column, width) the program streams; int4 pairs columns c and
  /// c + width/2 of each tile in byte (first column)/2 + c of the packed row.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> tiles;
};

/// One stage's program and its interface.
struct StageProgram {
  Stage stage = Stage::in_proj;
  npu::Program program;
  std::vector<std::string> inputs;   ///< DRAM tensors the runner fills (stage tensors or parameters)
  std::vector<std::string> outputs;  ///< DRAM tensors the stage writes
  std::vector<WeightLayout> weights; ///< projection weights among the inputs
  std::string summary;               ///< what it computes and how it was mapped (tiles, items per unit)
  InverseProgram inverse;            ///< the inverse stage: the kernel's own description
};

/// Builds one stage for `hw`. Throws InputError when the hardware cannot run it (a dtype it
/// lacks, a scratchpad too small for one item).
StageProgram build_stage(Stage s, const npu::NpuConfig& hw, const LayerParams& p, const LayerScales& scales);

}  // namespace npusim::kernels
