#include "kernels/gemm.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/isa/builder.hpp"

namespace npusim::kernels {
using namespace npu;

namespace {

std::uint32_t pick(std::uint32_t requested, std::uint32_t dim, std::uint32_t cap) {
  if (requested) return std::min(requested, dim);
  std::uint32_t t = 1;
  while (t * 2 <= std::min(dim, cap)) t *= 2;
  return t;
}

}  // namespace

Program build_gemm(const NpuConfig& hw, const GemmParams& g) {
  const DType acc = is_float(g.dtype) ? DType::fp32 : DType::int32;
  const std::uint64_t eb = dtype_bytes(g.dtype), ab = dtype_bytes(acc);
  std::uint32_t cap = 128;
  std::uint32_t tm = 0, tk = 0, tn = 0;
  for (;; cap /= 2) {
    tm = pick(g.tile_m, g.m, cap);
    tk = pick(g.tile_k, g.k, cap);
    tn = pick(g.tile_n, g.n, cap);
    const std::uint64_t need = 2 * (std::uint64_t{tm} * tk + std::uint64_t{tk} * tn) * eb + std::uint64_t{tm} * tn * ab;
    if (need * 2 <= hw.core.scratchpad.size_bytes || cap == 1) break;
  }
  if (g.m % tm || g.k % tk || g.n % tn) {
    throw InputError(fmt::format("gemm: {}x{}x{} is not a multiple of the tile {}x{}x{}", g.m, g.k, g.n, tm, tk, tn));
  }

  ProgramBuilder b("gemm");
  b.comment(fmt::format("C[{}x{}] = A[{}x{}] x B[{}x{}], {} operands, {}x{}x{} tiles", g.m, g.n, g.m, g.k, g.k, g.n,
                        dtype_name(g.dtype), tm, tk, tn));
  const TensorRef A = b.dram("A", g.dtype, {g.m, g.k}, TensorInit::random(g.seed));
  const TensorRef B = b.dram("B", g.dtype, {g.k, g.n}, TensorInit::random(g.seed + 1));
  const TensorRef C = b.dram("C", acc, {g.m, g.n}, {}, true);
  const BufferRef a[2] = {b.buffer("a0", g.dtype, tm, tk), b.buffer("a1", g.dtype, tm, tk)};
  const BufferRef bb[2] = {b.buffer("b0", g.dtype, tk, tn), b.buffer("b1", g.dtype, tk, tn)};
  const BufferRef c = b.buffer("c", acc, tm, tn);
  const std::uint8_t qa = 0, qb = static_cast<std::uint8_t>(hw.core.dma.queues > 1 ? 1 : 0);
  std::uint32_t slot = 0;
  const std::uint64_t tiles = std::uint64_t{g.m / tm} * (g.n / tn);
  b.reserve(tiles * (3 * (g.k / tk) + 1));  // per output tile: two loads and a matmul per k step, a store
  for (std::uint32_t i = 0; i < g.m; i += tm) {
    for (std::uint32_t j = 0; j < g.n; j += tn) {
      for (std::uint32_t kk = 0; kk < g.k; kk += tk, slot ^= 1) {
        b.dma_load(a[slot].all(), A.view(0, i, tm, kk, tk), qa);
        b.dma_load(bb[slot].all(), B.view(0, kk, tk, j, tn), qb);
        b.matmul(c.all(), a[slot].all(), bb[slot].all(), kk > 0);
      }
      b.dma_store(C.view(0, i, tm, j, tn), c.all(), qa);
    }
  }
  return b.finish();
}

}  // namespace npusim::kernels
