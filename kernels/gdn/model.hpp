#pragma once
/// The shapes of one Gated DeltaNet layer (Qwen3-Next / Qwen3.5 linear-attention layers), as the
/// public model configurations give them (configs/models/*.yaml, read by sim/config/model_config).
#include <cstdint>
#include <string>

namespace npusim::kernels {

/// How the input projections are laid out: Qwen3-Next fuses them into in_proj_qkvz and
/// in_proj_ba (two GEMMs); Qwen3.5 has in_proj_qkv, in_proj_z, in_proj_b and in_proj_a (four).
enum class ProjectionLayout : std::uint8_t { fused, split };

struct GdnModel {
  std::string name;
  std::string description;
  std::uint32_t hidden_size = 2048;
  std::uint32_t key_heads = 16;      ///< linear_num_key_heads
  std::uint32_t value_heads = 32;    ///< linear_num_value_heads: one inverse per value head and chunk
  std::uint32_t key_head_dim = 128;  ///< dk
  std::uint32_t value_head_dim = 128;  ///< dv
  std::uint32_t conv_kernel = 4;     ///< causal depthwise conv1d kernel over the q, k, v channels
  double rms_norm_eps = 1e-6;        ///< gated RMSNorm epsilon
  ProjectionLayout projections = ProjectionLayout::fused;

  std::uint32_t key_dim() const { return key_heads * key_head_dim; }
  std::uint32_t value_dim() const { return value_heads * value_head_dim; }
  /// Channels of the causal conv: q, k and v.
  std::uint32_t conv_dim() const { return 2 * key_dim() + value_dim(); }
  /// Value heads per key head: value head h reads key head h / group().
  std::uint32_t group() const { return value_heads / key_heads; }
};

}  // namespace npusim::kernels
