#include <algorithm>
#include <fmt/format.h>

#include "kernels/inverse/kernels.hpp"
#include "npu/common/error.hpp"
#include "npu/common/text.hpp"

namespace npusim::kernels {
using npu::DType;

const std::vector<InverseKernel>& inverse_kernels() {
  static const std::vector<InverseKernel> kernels = {
      {"fwdsub", "row-by-row forward substitution on the vector unit (the reference algorithm)",
       {DType::fp32, DType::fp16, DType::bf16}, "", build_fwdsub},
      {"fla_blocked",
       "flash-linear-attention scheme: 16x16 diagonal blocks by fp32 substitution, merged with 16x16 matmuls",
       {DType::fp32, DType::fp16, DType::bf16, DType::int16, DType::int8}, "", build_fla_blocked},
      {"neumann", "truncated Neumann series of order N, band mask, residual correction with S terms",
       {DType::fp32, DType::fp16, DType::bf16, DType::int16, DType::int8},
       "--order N (16: 3, 32: 4, 64: 3, 128: 3 per 64x64 block), --steps S (16: 4, 32: 3, 64 and 128: 8), --sum doubling|horner, --mask band|none",
       build_neumann},
      {"doubling", "exact product (I - A)(I + A^2)(I + A^4)... (overflows in low precision)",
       {DType::fp32, DType::fp16, DType::bf16}, "", build_doubling},
      {"newton_schulz", "T_{m+1} = T_m + T_m (I - (I + A) T_m), sequential, from T_0 = I - A",
       {DType::fp32, DType::fp16, DType::bf16}, "--steps ITERATIONS (default: ceil(log2 C) - 1, exact)",
       build_newton_schulz},
  };
  return kernels;
}

const InverseKernel& find_inverse_kernel(const std::string& name) {
  std::vector<std::string_view> names;
  for (const auto& k : inverse_kernels()) {
    if (k.name == name) return k;
    names.push_back(k.name);
  }
  std::string all;
  for (auto n : names) all += (all.empty() ? "" : ", ") + std::string(n);
  const auto near = closest_match(name, names);
  throw InputError(near.empty() ? fmt::format("--kernel {}: unknown kernel (kernels: {})", name, all)
                                : fmt::format("--kernel {}: unknown kernel; did you mean '{}'? (kernels: {})", name,
                                              near, all));
}

InverseProgram build_inverse(const std::string& name, const npu::NpuConfig& hw, const InverseParams& params) {
  const InverseKernel& k = find_inverse_kernel(name);
  if (params.chunk != 16 && params.chunk != 32 && params.chunk != 64 && params.chunk != 128) {
    throw InputError(fmt::format("--chunk {}: the chunk size must be 16, 32, 64 or 128", params.chunk));
  }
  bool supported = false;
  std::string dtypes;
  for (DType t : k.dtypes) {
    supported |= t == params.dtype;
    dtypes += (dtypes.empty() ? "" : ", ") + std::string(npu::dtype_name(t));
  }
  if (!supported) {
    throw InputError(fmt::format("--dtype {}: {} is built for {}", npu::dtype_name(params.dtype), name, dtypes));
  }
  InverseProgram out = k.build(hw, params);
  // One clear message for a dtype the hardware lacks, rather than one per instruction.
  std::vector<std::string> missing;
  auto need = [&](bool ok, const std::string& what) {
    if (!ok && std::find(missing.begin(), missing.end(), what) == missing.end()) missing.push_back(what);
  };
  const npu::Program& p = out.program;
  for (const auto& stream : p.streams) {
    for (const auto& in : stream.code) {
      if (in.op == npu::Opcode::matmul) {
        const DType t = p.dtype_of(in.operands[1]);
        need(hw.core.matrix.rate(t).has_value(), fmt::format("{} matmuls", npu::dtype_name(t)));
      } else if (in.unit() == npu::UnitKind::vector) {
        for (int i = 0; i < in.noperands; ++i) {
          if (!in.operands[i].is_tensor() || (in.op == npu::Opcode::vec_select && i == 1)) continue;
          const DType t = p.dtype_of(in.operands[i]);
          need(hw.core.vector.supports(t), fmt::format("{} vector arithmetic", npu::dtype_name(t)));
        }
      }
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : " and ") + m;
    throw InputError(fmt::format("{} in {} needs {}, which {} does not have (npusim validate --hw shows what it "
                                 "supports)",
                                 name, npu::dtype_name(params.dtype), list, hw.name));
  }
  if (npu::is_int(params.dtype)) {
    out.input_scale = params.scales.a;
    out.output_scale = params.scales.t;
  }
  return out;
}

}  // namespace npusim::kernels
