#pragma once
// The builders behind the registry (registry.cpp); see inverse.hpp for what each computes.
#include "kernels/inverse/inverse.hpp"

namespace npusim::kernels {

InverseProgram build_fwdsub(const npu::NpuConfig& hw, const InverseParams& p);
InverseProgram build_fla_blocked(const npu::NpuConfig& hw, const InverseParams& p);
InverseProgram build_neumann(const npu::NpuConfig& hw, const InverseParams& p);
InverseProgram build_doubling(const npu::NpuConfig& hw, const InverseParams& p);
InverseProgram build_newton_schulz(const npu::NpuConfig& hw, const InverseParams& p);

}  // namespace npusim::kernels
