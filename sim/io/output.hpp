#pragma once
/// Output files: names that come from input files, checked so that they cannot leave the
/// output directory.
#include <optional>
#include <string>
#include <string_view>

namespace npusim::sim {

/// Why `name` (from an input file) cannot be used as a file or directory name inside an output
/// directory: empty, "." or "..", a '/', a control character, longer than 200 bytes. nullopt
/// when it can.
std::optional<std::string> file_name_problem(std::string_view name);

}  // namespace npusim::sim
