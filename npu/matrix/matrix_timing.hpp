#pragma once
/// Matrix unit timing. Two models, chosen by `matrix.model`:
///
/// cube: the unit completes one m0 x k0 x n0 tile per cycle (scaled by the dtype's rate), so an
///   M x K x N matmul takes ceil(ceil(M/m0) ceil(K/k0) ceil(N/n0) / rate) cycles.
///
/// systolic: an R x C array reproducing SCALE-Sim v2's compute cycles (Samajdar et al., "A
///   Systematic Methodology for Characterizing Scalability of DNN Accelerators using SCALE-Sim",
///   ISPASS 2020; scalesim/compute/systolic_compute_{os,ws,is}.py). The dataflow maps the GEMM
///   onto spatial dimensions S_R x S_C and a temporal dimension T (OS: S_R = M, S_C = N, T = K;
///   WS: S_R = K, S_C = N, T = M; IS: S_R = K, S_C = M, T = N). The work splits into
///   ceil(S_R/R) x ceil(S_C/C) folds, and every fold, partial or not, takes R + C + T - 2 cycles
///   (OS) or 2R + C + T - 2 (WS, IS: the stationary operand is loaded first), as SCALE-Sim's
///   demand matrices have that many lines per fold. SCALE-Sim reports folds x per-fold - 1, the
///   index of its last cycle counted from 0; npusim counts cycles, so its figure is one more.
///   The dtype rate divides T (an npusim extension). With several arrays, folds are dealt
///   round-robin and the busiest array decides.
///
/// On top of that, operands stream through the unit's scratchpad port (bank_model.hpp):
/// busy = startup + max(compute, reads, writes), and results are ready pipeline_latency later.
#include "npu/core/instruction_cost.hpp"
#include "npu/isa/access.hpp"
#include "npu/isa/program.hpp"

namespace npusim::npu {

struct MatmulShape {
  std::uint32_t m = 0, k = 0, n = 0;
  DType dtype = DType::fp16;  ///< operand dtype
};

/// Array cycles for one matmul (no operand traffic, no startup).
Cycle matmul_compute_cycles(const MatrixConfig& cfg, const MatmulShape& s);

/// M, K, N and operand dtype of a matmul instruction (transposes applied).
MatmulShape matmul_shape(const Program& p, const Instruction& in);

/// Full cost of a matmul instruction on this core.
/// `access` is accesses(p, in).
InstructionCost matrix_cost(const Program& p, const Instruction& in, const AccessSet& access, const CoreConfig& cfg);

}  // namespace npusim::npu
