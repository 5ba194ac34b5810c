#pragma once
/// NumPy .npy files (format versions 1 to 3, little-endian, C order): the tensor format users
/// already have. See https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#include <cstdint>
#include <functional>
#include <iosfwd>
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

/// The largest .npy data npusim reads: 64 GiB (the memory estimate of a run usually refuses less).
inline constexpr std::uint64_t kMaxNpyBytes = std::uint64_t{64} << 30;

/// Called with the array's header (descr and shape, no data yet) before the data is read, to
/// refuse a file by its shape before allocating for it.
using NpyHeaderCheck = std::function<void(const NpyArray& header)>;

/// Reads a .npy file. Unsupported or malformed files throw InputError naming the file.
/// Supported element types: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 and b1.
NpyArray read_npy(const std::string& path, const NpyHeaderCheck& check = {});
/// The header alone (descr and shape; no data): what a file holds, before reading it.
NpyArray read_npy_header(const std::string& path);
/// The same from a stream; `source` names it in messages.
NpyArray read_npy(std::istream& in, const std::string& source, const NpyHeaderCheck& check = {});

/// Writes raw little-endian elements as a .npy file (version 1.0).
void write_npy(const std::string& path, const std::string& descr, const std::vector<std::uint64_t>& shape,
               const std::uint8_t* data, std::size_t bytes);

}  // namespace npusim::sim
