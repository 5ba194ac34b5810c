#pragma once
/// The layer's projections (in_proj_*, out_proj) as tiled GEMMs Y[T, N] = X[T, K] W[K, N] with
/// the weights streamed from DRAM in their storage format and converted on chip (the
/// dequantisation is modelled as the vector instructions that do it). A block of X rows stays
/// in the scratchpad while every weight tile streams past it; the largest block that fits is
/// used, so that the weights are re-read as few times as the scratchpad allows.
/// With several hardware threads per core, the output tiles of a row block go round-robin to
/// the threads (each with its weight and output buffers; as many threads as fit beside the
/// largest block), thread 0 loads the core's X block for all of them (flags in both
/// directions), and each run of matmuls holds the core's matrix unit.
///
/// Weight tiles are kWeightGroup (128) input rows deep, so a tile has one group scale per column.
///   fp16   the tile as stored (a cast for other float dtypes)
///   int8   cast to the layer dtype, then times the group-scale row
///   int4   two nibbles per byte, columns c and c + w/2 of a w-wide tile in byte c (offset
///          binary: byte = 16 hi + lo + 8 with signed nibbles hi, lo). Unpacked by three
///          integer instructions (hi = floor(byte / 16); lo = byte - 16 hi - 8), then as int8
/// Integer layer dtypes multiply integer operands (int4/int8 codes widened to the dtype) into
/// int32 and scale each K tile's partial product in fp32 by its group-scale row (which also
/// holds 2^-scale of X); fp16 weights with an integer dtype are quantised per tile.
#include <string>
#include <vector>

#include "kernels/gdn/layer.hpp"
#include "npu/isa/builder.hpp"

namespace npusim::kernels {

/// One output of a projection: columns [col, col + width) of the product go to `tensor`.
struct ProjectionOutput {
  npu::TensorRef tensor;
  std::string name;  ///< its scale's name
  std::uint32_t col = 0, width = 0;
};

/// One weight matrix [k, n] and where its product goes.
struct ProjectionSpec {
  std::string weight;  ///< w_qkvz, w_ba, w_qkv, w_z, w_b, w_a or w_out
  std::uint32_t n = 0;
  std::vector<ProjectionOutput> outputs;
};

/// Emits Y = X W for every spec, sharing one X row block per pass over the weights. `x` is
/// [tokens, k] in the layer dtype at scale `x_scale`. Returns the weight layouts; `summary`
/// gets the tiling.
std::vector<WeightLayout> emit_projections(npu::ProgramBuilder& b, const npu::NpuConfig& hw, const LayerParams& p,
                                           const LayerScales& scales, const npu::TensorRef& x, int x_scale,
                                           std::uint32_t tokens, std::uint32_t k,
                                           const std::vector<ProjectionSpec>& specs, std::string& summary);

}  // namespace npusim::kernels
