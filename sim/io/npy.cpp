#include "sim/io/npy.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "sim/io/output.hpp"
#include "npu/numerics/float_formats.hpp"

namespace npusim::sim {
namespace {

std::size_t item_size(const std::string& descr) {
  if (descr.size() != 3) return 0;
  const char kind = descr[1];
  const int n = descr[2] - '0';
  if ((descr[0] != '<' && descr[0] != '|') || n <= 0) return 0;
  const bool ok = (kind == 'f' && (n == 2 || n == 4 || n == 8)) || (kind == 'i' && (n == 1 || n == 2 || n == 4 || n == 8)) ||
                  (kind == 'u' && (n == 1 || n == 2 || n == 4)) || (kind == 'b' && n == 1);
  return ok ? static_cast<std::size_t>(n) : 0;
}

// Finds `'key': ` in the header dict and returns the text of its value.
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
  const std::string needle = "'" + key + "':";
  const auto at = header.find(needle);
  if (at == std::string::npos) throw InputError(fmt::format("{}: malformed .npy header (no '{}')", path, key));
  std::size_t i = at + needle.size();
  while (i < header.size() && header[i] == ' ') ++i;
  std::size_t end = i;
  if (header[i] == '(') {
    end = header.find(')', i);
    if (end == std::string::npos) throw InputError(fmt::format("{}: malformed .npy header (shape)", path));
    return header.substr(i, end - i + 1);
  }
  if (header[i] == '\'') {
    end = header.find('\'', i + 1);
    return header.substr(i + 1, end - i - 1);
  }
  while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  return header.substr(i, end - i);
}

}  // namespace

std::uint64_t NpyArray::elements() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string NpyArray::shape_text() const {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) s += ",";
  return s + ")";
}

double NpyArray::at(std::uint64_t i) const {
  const std::size_t n = item_size(descr);
  const std::uint8_t* p = data.data() + i * n;
  auto get = [p](auto v) {
    std::memcpy(&v, p, sizeof v);
    return static_cast<double>(v);
  };
  switch (descr[1]) {
    case 'f':
      if (n == 2) {
        std::uint16_t h;
        std::memcpy(&h, p, 2);
        return npu::fp16_to_fp32(h);
      }
      return n == 4 ? get(float{}) : get(double{});
    case 'i':
      return n == 1 ? get(std::int8_t{}) : n == 2 ? get(std::int16_t{}) : n == 4 ? get(std::int32_t{}) : get(std::int64_t{});
    case 'u': return n == 1 ? get(std::uint8_t{}) : n == 2 ? get(std::uint16_t{}) : get(std::uint32_t{});
    case 'b': return *p ? 1.0 : 0.0;
    default: return 0.0;
  }
}

namespace {

/// Reads and checks the magic and the header; `bytes` receives the data size it promises.
NpyArray read_header(std::istream& in, const std::string& path, std::uint64_t& bytes) {
  char magic[8] = {};
  in.read(magic, 8);
  if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    throw InputError(fmt::format("{}: not a .npy file (missing the \\x93NUMPY magic)", path));
  }
  const int major = static_cast<unsigned char>(magic[6]);
  std::uint32_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    header_len = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
  } else {
    throw InputError(fmt::format("{}: unsupported .npy format version {}", path, major));
  }
  if (!in || header_len > (1u << 20)) throw InputError(fmt::format("{}: truncated .npy header", path));
  std::string header(header_len, '\0');
  in.read(header.data(), header_len);
  if (!in) throw InputError(fmt::format("{}: truncated .npy header", path));

  NpyArray a;
  a.descr = dict_value(header, "descr", path);
  if (item_size(a.descr) == 0) {
    throw InputError(fmt::format("{}: unsupported element type '{}' (supported: float16/32/64, int8/16/32/64, "
                                 "uint8/16/32, bool; little-endian)",
                                 path, a.descr));
  }
  if (dict_value(header, "fortran_order", path) != "False") {
    throw InputError(fmt::format("{}: Fortran-ordered arrays are not supported; save np.ascontiguousarray(x)", path));
  }
  const std::string shape = dict_value(header, "shape", path);
  std::size_t i = 1;
  bytes = item_size(a.descr);
  while (i < shape.size()) {
    while (i < shape.size() && (shape[i] == ' ' || shape[i] == ',')) ++i;
    if (i >= shape.size() || shape[i] == ')') break;
    std::size_t end = i;
    while (end < shape.size() && std::isdigit(static_cast<unsigned char>(shape[end]))) ++end;
    if (end == i || end - i > 19) throw InputError(fmt::format("{}: malformed .npy shape {}", path, shape));
    a.shape.push_back(std::stoull(shape.substr(i, end - i)));
    // Checked as it grows: a shape such as (2^62, 2^62) must not wrap to a small size.
    if (__builtin_mul_overflow(bytes, a.shape.back(), &bytes) || bytes > kMaxNpyBytes) {
      throw InputError(fmt::format("{}: an array of shape {} holds more than {}, the largest .npy npusim reads", path,
                                   shape, human_bytes(double(kMaxNpyBytes))));
    }
    i = end;
  }
  return a;
}

std::ifstream open_npy(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(fmt::format("{}: is a directory, not a file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open file ({})", path, std::strerror(errno)));
  return in;
}

}  // namespace

NpyArray read_npy_header(const std::string& path) {
  std::ifstream in = open_npy(path);
  std::uint64_t bytes = 0;
  return read_header(in, path, bytes);
}

NpyArray read_npy(std::istream& in, const std::string& path, const NpyHeaderCheck& check) {
  std::uint64_t bytes = 0;
  NpyArray a = read_header(in, path, bytes);
  if (check) check(a);
  // In pieces: a short file whose header promises gigabytes fails at its end, not at allocation.
  constexpr std::uint64_t kPiece = std::uint64_t{16} << 20;
  while (a.data.size() < bytes) {
    const std::uint64_t have = a.data.size(), piece = std::min(kPiece, bytes - have);
    a.data.resize(have + piece);
    in.read(reinterpret_cast<char*>(a.data.data() + have), static_cast<std::streamsize>(piece));
    if (static_cast<std::uint64_t>(in.gcount()) != piece) {
      throw InputError(fmt::format("{}: file ends after {} of the {} data bytes its header {} promises", path,
                                   have + static_cast<std::uint64_t>(in.gcount()), bytes, a.shape_text()));
    }
  }
  return a;
}

NpyArray read_npy(const std::string& path, const NpyHeaderCheck& check) {
  std::ifstream in = open_npy(path);
  return read_npy(in, path, check);
}

void write_npy(const std::string& path, const std::string& descr, const std::vector<std::uint64_t>& shape,
               const std::uint8_t* data, std::size_t bytes) {
  std::string shape_text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) shape_text += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) shape_text += ",";
  shape_text += ")";
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape_text);
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  AtomicFile file(path);
  std::FILE* out = file.open();
  const auto len = static_cast<std::uint16_t>(header.size());
  const char prefix[10] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<char>(len & 0xff),
                           static_cast<char>(len >> 8)};
  std::fwrite(prefix, 1, sizeof prefix, out);
  std::fwrite(header.data(), 1, header.size(), out);
  std::fwrite(data, 1, bytes, out);
  file.commit();  // checks every write
}

}  // namespace npusim::sim
