#include "sim/io/output.hpp"

namespace npusim::sim {

std::optional<std::string> file_name_problem(std::string_view name) {
  if (name.empty()) return "an empty name cannot name a file";
  if (name == "." || name == "..") return "'.' and '..' cannot name a file";
  if (name.size() > 200) return "a name longer than 200 bytes cannot name a file";
  for (const char c : name) {
    if (c == '/') return "a name with '/' would leave the output directory";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "a name with a control character cannot name a file";
  }
  return std::nullopt;
}

}  // namespace npusim::sim
