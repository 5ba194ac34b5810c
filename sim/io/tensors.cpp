#include "sim/io/tensors.hpp"

#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <random>

#include "npu/common/error.hpp"
#include "npu/isa/check.hpp"
#include "npu/numerics/execute.hpp"
#include "npu/numerics/float_formats.hpp"
#include "sim/io/npy.hpp"

namespace npusim::sim {

std::string npy_descr(npu::DType t) {
  switch (t) {
    case npu::DType::fp32: case npu::DType::bf16: return "<f4";
    case npu::DType::fp16: return "<f2";
    case npu::DType::int8: return "|i1";
    case npu::DType::int16: return "<i2";
    case npu::DType::int32: return "<i4";
  }
  return "";
}

void load_tensor(const std::string& path, const npu::DramTensor& t, std::uint8_t* dest) {
  const std::vector<std::uint64_t> want(t.shape.begin(), t.shape.end());
  const NpyArray a = read_npy(path, [&](const NpyArray& header) {
    if (header.shape != want) {  // before reading data the tensor could not hold anyway
      NpyArray expected;
      expected.shape = want;
      throw InputError(fmt::format("{}: shape {} does not match tensor '{}' ({} {})", path, header.shape_text(),
                                   t.name, npu::dtype_name(t.dtype), expected.shape_text()));
    }
  });
  const std::uint64_t n = a.elements();
  for (std::uint64_t i = 0; i < n; ++i) {
    const double v = a.at(i);
    if (npu::is_int(t.dtype)) {
      if (v != std::floor(v) || v < double(npu::int_min(t.dtype)) || v > double(npu::int_max(t.dtype))) {
        throw InputError(fmt::format("{}: element {} is {}, which is not representable in {} (tensor '{}')", path, i,
                                     v, npu::dtype_name(t.dtype), t.name));
      }
    }
    npu::store_element(dest, t.dtype, i, v);
  }
}

std::vector<std::uint8_t> build_dram_image(const npu::Program& p, const std::string& base_dir,
                                           const std::map<std::string, std::string>& inputs) {
  std::vector<std::uint8_t> dram(npu::dram_footprint(p), 0);
  for (const auto& [name, path] : inputs) {
    if (!p.find_tensor(name)) {
      throw InputError(fmt::format("--input {}={}: the program has no DRAM tensor '{}'", name, path, name));
    }
  }
  for (const npu::DramTensor& t : p.tensors) {
    std::uint8_t* dest = dram.data() + t.address;
    if (auto it = inputs.find(t.name); it != inputs.end()) {
      load_tensor(it->second, t, dest);
      continue;
    }
    const npu::TensorInit& init = t.init;
    switch (init.kind) {
      case npu::TensorInit::Kind::zeros: break;
      case npu::TensorInit::Kind::file: {
        const std::filesystem::path file(init.path);
        try {
          load_tensor(file.is_absolute() ? init.path : (std::filesystem::path(base_dir) / file).string(), t, dest);
        } catch (const InputError& e) {
          throw InputError(fmt::format("{}:{}: tensor '{}' init=file(\"{}\"): {}", p.source, t.line, t.name, init.path,
                                       e.what()));
        }
        break;
      }
      case npu::TensorInit::Kind::identity:
      case npu::TensorInit::Kind::band: {
        const bool identity = init.kind == npu::TensorInit::Kind::identity;
        const std::int64_t lo = identity ? 0 : init.band_lo, hi = identity ? 0 : init.band_hi;
        const double value = identity ? 1.0 : init.value;
        const std::uint64_t rows = t.rows(), cols = t.cols();
        for (std::uint64_t i = 0; i < t.elements(); ++i) {
          const std::uint64_t in_matrix = i % (rows * cols);
          const std::int64_t diag = std::int64_t(in_matrix / cols) - std::int64_t(in_matrix % cols);
          if (diag >= lo && diag <= hi) npu::store_element(dest, t.dtype, i, value);
        }
        break;
      }
      case npu::TensorInit::Kind::random: {
        std::mt19937_64 rng(init.seed);
        for (std::uint64_t i = 0; i < t.elements(); ++i) {
          const std::uint64_t x = rng();
          double v = 0;
          if (npu::is_float(t.dtype)) {
            v = init.lo + (init.hi - init.lo) * (double(x >> 11) * 0x1.0p-53);
          } else {
            const auto lo = static_cast<std::int64_t>(std::ceil(init.lo));
            const auto hi = static_cast<std::int64_t>(std::floor(init.hi));
            v = double(lo + static_cast<std::int64_t>(x % static_cast<std::uint64_t>(hi - lo + 1)));
          }
          npu::store_element(dest, t.dtype, i, v);
        }
        break;
      }
    }
  }
  return dram;
}

void save_tensor(const std::string& path, const npu::DramTensor& t, const std::vector<std::uint8_t>& dram) {
  std::vector<std::uint64_t> shape(t.shape.begin(), t.shape.end());
  const std::uint8_t* src = dram.data() + t.address;
  if (t.dtype != npu::DType::bf16) {
    write_npy(path, npy_descr(t.dtype), shape, src, t.size_bytes());
    return;
  }
  std::vector<std::uint8_t> widened(t.elements() * 4);
  for (std::uint64_t i = 0; i < t.elements(); ++i) {
    std::uint16_t b;
    std::memcpy(&b, src + 2 * i, 2);
    const float f = npu::bf16_to_fp32(b);
    std::memcpy(&widened[4 * i], &f, 4);
  }
  write_npy(path, "<f4", shape, widened.data(), widened.size());
}

}  // namespace npusim::sim
