#pragma once
/// The vector unit: runs vec.* instructions; timing in vector_timing.hpp.
///
/// Layouts: an element-wise instruction (add, sub, mul, fma, max, min, exp, recip, log, cast,
/// requant, select, copy, fill) whose sources all have the destination's shape does not care how
/// elements are arranged, so it works in its sources' layout: matrix-layout sources (with
/// neutral ones, such as DMA-loaded constants) need no hand-off and give a matrix-layout result.
/// Everything that depends on element positions (broadcasts, reductions, transposes, band,
/// identity), and element-wise ops mixing matrix- and vector-layout sources, needs the vector
/// layout: matrix-layout sources are handed off and the result is in the vector layout.
#include "npu/core/compute_unit.hpp"

namespace npusim::npu {

class VectorUnit : public ComputeUnit {
 public:
  VectorUnit(CoreState& state, UnitHost& host);

 private:
  InstructionCost cost(const Instruction& in, const AccessSet& access) const override;
};

}  // namespace npusim::npu
