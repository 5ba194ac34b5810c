#pragma once
/// Functional semantics of every instruction: what it computes in memory, bit-exactly.
///
/// Floats: fp16 and bf16 operands are widened to fp32 exactly, each operation is computed in fp32
/// (fma fused, exp via expf, log via logf, max/min as IEEE maxNum/minNum) and rounded once to the destination
/// dtype (round to nearest, ties to even). Since fp32 has more than 2p + 2 bits for p = 11 (fp16)
/// and 8 (bf16), add, sub and mul results equal correctly rounded fp16/bf16 arithmetic.
/// Matmul multiplies in fp32 (exact for fp16/bf16 operands) and accumulates in k order in the
/// configured float accumulator, then rounds to the destination. Reductions accumulate in index
/// order in fp32 and round once.
///
/// Integers: operations are exact in 64 bits, then saturated to the destination dtype; every
/// clamp counts as a saturation. Integer matmul accumulates exactly, then rounds by 2^-shift
/// (`shift=`, the matrix unit's output stage; `acc` adds the old value times 2^shift) and
/// saturates to the destination (int8, int16 or int32).
/// vec.requant computes round(x * mult / 2^shift) with the chosen rounding, then saturates.
/// Float-to-int casts round (rne by default), saturate, and map NaN to 0 (counted).
#include <cstdint>
#include <vector>

#include "npu/config.hpp"
#include "npu/isa/program.hpp"

namespace npusim::npu {

/// Counters of numeric events, summed over a run.
struct NumericsCounters {
  std::uint64_t saturations = 0;  ///< integer results clamped to their dtype's range
  std::uint64_t nonfinite = 0;    ///< float results that are inf or NaN
};

/// The byte arrays an instruction can touch: the shared DRAM and its core's scratchpad.
struct Memories {
  std::vector<std::uint8_t>* dram = nullptr;
  std::vector<std::uint8_t>* scratchpad = nullptr;
};

/// Executes one instruction's numerics. Sequencer instructions do nothing here.
void execute(const Program& p, const Instruction& in, const CoreConfig& cfg, Memories mem, NumericsCounters& counters);

/// Loads element `index` of a raw dtype array as a double (exact for every dtype).
double load_element(const std::uint8_t* base, DType t, std::uint64_t index);

/// Stores `v` as element `index` of a raw dtype array, rounding (floats, to nearest even) or
/// saturating (integers, after rounding to nearest even). Returns true if it had to saturate.
bool store_element(std::uint8_t* base, DType t, std::uint64_t index, double v);

}  // namespace npusim::npu
