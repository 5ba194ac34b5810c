#pragma once
/// Element types the NPU stores in its scratchpad and DRAM.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace npusim::npu {

enum class DType : std::uint8_t { fp32, fp16, bf16, int8, int16, int32 };
inline constexpr int kDTypeCount = 6;
inline constexpr DType kAllDTypes[kDTypeCount] = {DType::fp32, DType::fp16, DType::bf16,
                                                  DType::int8, DType::int16, DType::int32};

constexpr std::size_t dtype_bytes(DType t) {
  switch (t) {
    case DType::fp32: return 4;
    case DType::fp16: return 2;
    case DType::bf16: return 2;
    case DType::int8: return 1;
    case DType::int16: return 2;
    case DType::int32: return 4;
  }
  return 0;
}

constexpr bool is_float(DType t) { return t == DType::fp32 || t == DType::fp16 || t == DType::bf16; }
constexpr bool is_int(DType t) { return !is_float(t); }

/// Smallest and largest value of an integer dtype.
constexpr std::int64_t int_min(DType t) {
  return t == DType::int8 ? -128 : t == DType::int16 ? -32768 : INT64_C(-2147483648);
}
constexpr std::int64_t int_max(DType t) {
  return t == DType::int8 ? 127 : t == DType::int16 ? 32767 : INT64_C(2147483647);
}

std::string_view dtype_name(DType t);
std::optional<DType> parse_dtype(std::string_view name);
/// "fp32, fp16, bf16, int8, int16, int32": for error messages.
std::string_view dtype_choices();

}  // namespace npusim::npu
