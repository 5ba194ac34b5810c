#pragma once
/// The matrix unit: runs matmul instructions; timing in matrix_timing.hpp. Operands the vector
/// unit wrote are handed off into the matrix layout; results are in the matrix layout.
#include "npu/core/compute_unit.hpp"

namespace npusim::npu {

class MatrixUnit : public ComputeUnit {
 public:
  MatrixUnit(CoreState& state, UnitHost& host);

 private:
  InstructionCost cost(const Instruction& in, const AccessSet& access) const override;
};

}  // namespace npusim::npu
