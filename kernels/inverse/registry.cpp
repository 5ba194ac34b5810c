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
       {DType::fp32, DType::fp16, DType::bf16}, "", {}, build_fwdsub},
      {"fla_blocked",
       "flash-linear-attention scheme: 16x16 diagonal blocks by fp32 substitution, merged with 16x16 matmuls",
       {DType::fp32, DType::fp16, DType::bf16, DType::int16, DType::int8}, "", {}, build_fla_blocked},
      {"neumann", "truncated Neumann series of order N, band mask, residual correction with S terms",
       {DType::fp32, DType::fp16, DType::bf16, DType::int16, DType::int8},
       "--order N (16: 3, 32: 4, 64: 3, 128: 3 per 64x64 block), --steps S (16: 4, 32: 3, 64 and 128: 8), --sum doubling|horner, --mask band|none",
       {"order", "steps", "sum", "mask"}, build_neumann},
      {"doubling", "exact product (I - A)(I + A^2)(I + A^4)... (overflows in low precision)",
       {DType::fp32, DType::fp16, DType::bf16}, "", {}, build_doubling},
      {"newton_schulz", "T_{m+1} = T_m + T_m (I - (I + A) T_m), sequential, from T_0 = I - A",
       {DType::fp32, DType::fp16, DType::bf16}, "--steps ITERATIONS (default: ceil(log2 C) - 1, exact)",
       {"steps"}, build_newton_schulz},
  };
  return kernels;
}

const InverseKernel* lookup_inverse_kernel(const std::string& name) {
  for (const auto& k : inverse_kernels()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::string unknown_kernel(const std::string& name) {
  std::vector<std::string_view> names;
  std::string all;
  for (const auto& k : inverse_kernels()) {
    names.push_back(k.name);
    all += (all.empty() ? "" : ", ") + k.name;
  }
  const auto near = closest_match(name, names);
  return near.empty() ? fmt::format("unknown kernel '{}' (kernels: {})", name, all)
                      : fmt::format("unknown kernel '{}'; did you mean '{}'? (kernels: {})", name, near, all);
}

const InverseKernel& find_inverse_kernel(const std::string& name) {
  if (const InverseKernel* k = lookup_inverse_kernel(name)) return *k;
  throw InputError(unknown_kernel(name));
}

std::optional<std::string> dtype_problem(const InverseKernel& k, DType dtype) {
  std::string dtypes;
  bool supported = false;
  for (DType t : k.dtypes) {
    supported |= t == dtype;
    dtypes += (dtypes.empty() ? "" : ", ") + std::string(npu::dtype_name(t));
  }
  if (supported) return std::nullopt;
  return fmt::format("{} is built for {}, not {}", k.name, dtypes, npu::dtype_name(dtype));
}

InverseProgram build_inverse(const std::string& name, const npu::NpuConfig& hw, const InverseParams& params) {
  const InverseKernel& k = find_inverse_kernel(name);
  if (params.chunk != 16 && params.chunk != 32 && params.chunk != 64 && params.chunk != 128) {
    throw InputError(fmt::format("--chunk {}: the chunk size must be 16, 32, 64 or 128", params.chunk));
  }
  if (const auto problem = dtype_problem(k, params.dtype)) {
    throw InputError(fmt::format("--dtype {}: {}", npu::dtype_name(params.dtype), *problem));
  }
  // Built against a spec with every dtype, so that the kernel's scheduling (which asks the timing
  // functions) never meets a dtype the hardware lacks, then checked against `hw` below. When
  // nothing is missing the program is the one `hw` gives: timing reads only the dtypes used.
  npu::NpuConfig every_dtype = hw;
  for (DType t : npu::kAllDTypes) {
    auto& rate = every_dtype.core.matrix.rates[static_cast<int>(t)];
    if (!rate) rate = npu::Rate{};
    every_dtype.core.vector.dtypes[static_cast<int>(t)] = true;
  }
  InverseProgram out = k.build(every_dtype, params);
  // One clear message for a dtype the hardware lacks, rather than one per instruction.
  std::vector<std::string> missing;
  auto need = [&](bool ok, const std::string& what) {
    if (!ok && std::find(missing.begin(), missing.end(), what) == missing.end()) missing.push_back(what);
  };
  const npu::Program& p = out.program;
  for (const auto& stream : p.streams) {
    for (const auto& in : stream.code) {
      if (in.op == npu::Opcode::matmul) {
        const DType t = p.dtype_of(p.operand(in, 1));
        need(hw.core.matrix.rate(t).has_value(), fmt::format("{} matmuls", npu::dtype_name(t)));
      } else if (in.unit() == npu::UnitKind::vector) {
        for (int i = 0; i < in.noperands; ++i) {
          const npu::Operand& o = p.operand(in, i);
          if (!o.is_tensor() || (in.op == npu::Opcode::vec_select && i == 1)) continue;
          const DType t = p.dtype_of(o);
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
