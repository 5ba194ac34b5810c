#pragma once
/// The vector unit: runs vec.* instructions; timing in vector_timing.hpp.
#include "npu/core/compute_unit.hpp"

namespace npusim::npu {

class VectorUnit : public ComputeUnit {
 public:
  VectorUnit(const sc_core::sc_module_name& name, CoreState& state);

 private:
  InstructionCost cost(const Instruction& in, const AccessSet& access) const override;
};

}  // namespace npusim::npu
