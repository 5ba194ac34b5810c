#pragma once
/// Tiled GEMM, C = A x B, as a program: A and B tiles are double-buffered by two DMA queues while
/// the matrix unit accumulates each C tile in fp32 (int32 for integer operands).
#include "npu/config.hpp"
#include "npu/isa/program.hpp"

namespace npusim::kernels {

struct GemmParams {
  std::uint32_t m = 256, k = 256, n = 256;
  npu::DType dtype = npu::DType::fp16;  ///< operand dtype
  /// Tile sizes; 0 picks the largest power of two up to 128 that fits the scratchpad.
  std::uint32_t tile_m = 0, tile_k = 0, tile_n = 0;
  std::uint64_t seed = 1;
};

/// Builds the GEMM program for `hw` (tile sizes adapt to its scratchpad and DMA queues).
npu::Program build_gemm(const npu::NpuConfig& hw, const GemmParams& params);

}  // namespace npusim::kernels
