#pragma once
/// NumPy .npy files (format versions 1 to 3, little-endian, C order): the tensor format users
/// already have. See https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#include <cstdint>
#include <string>
#include <vector>

namespace npusim::sim {

struct NpyArray {
  std::string descr;  ///< numpy type string: "<f4", "<f2", "|i1", ...
  std::vector<std::uint64_t> shape;
  std::vector<std::uint8_t> data;  ///< raw little-endian elements, C order

  std::uint64_t elements() const;
  bool is_float() const { return descr.size() >= 2 && descr[1] == 'f'; }
  /// Element i as a double (exact for every supported type).
  double at(std::uint64_t i) const;
  /// "(2, 64, 64)".
  std::string shape_text() const;
};

/// Reads a .npy file. Unsupported or malformed files throw InputError naming the file.
/// Supported element types: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 and b1.
NpyArray read_npy(const std::string& path);

/// Writes raw little-endian elements as a .npy file (version 1.0).
void write_npy(const std::string& path, const std::string& descr, const std::vector<std::uint64_t>& shape,
               const std::uint8_t* data, std::size_t bytes);

}  // namespace npusim::sim
