#pragma once
/// DRAM contents of a program: initial tensors in, output tensors out, as .npy files.
#include <map>
#include <string>
#include <vector>

#include "npu/isa/program.hpp"

namespace npusim::sim {

/// Builds the initial DRAM image of a checked program. Each tensor is filled per its `init`
/// (zeros, identity, random(seed, lo, hi), file("x.npy") relative to `base_dir`); `inputs`
/// (tensor name -> .npy path) replaces the init of the named tensors. Throws InputError.
std::vector<std::uint8_t> build_dram_image(const npu::Program& p, const std::string& base_dir,
                                           const std::map<std::string, std::string>& inputs);

/// Converts a .npy file into tensor `t`'s dtype at `dest`. The shape must match; floats round to
/// nearest even; integers must be representable (no silent saturation).
void load_tensor(const std::string& path, const npu::DramTensor& t, std::uint8_t* dest);

/// Writes tensor `t` from the DRAM image to a .npy file (bf16 is widened exactly to float32).
void save_tensor(const std::string& path, const npu::DramTensor& t, const std::vector<std::uint8_t>& dram);

/// The numpy type string npusim writes for a dtype ("<f2", "|i1", ...).
std::string npy_descr(npu::DType t);

}  // namespace npusim::sim
