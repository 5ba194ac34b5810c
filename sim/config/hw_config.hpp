#pragma once
/// Hardware specs in YAML (configs/npu/*.yaml; every key is documented in configs/README.md).
#include <string>
#include <vector>

#include "npu/config.hpp"
#include "sim/config/yaml_reader.hpp"

namespace npusim::sim {

/// Reads, overrides (`--set`), checks and validates a hardware spec. Throws InputError with
/// every problem found. `keys`, when given, receives every key the reader declared.
npu::NpuConfig read_hw_config(const std::string& path, const std::vector<std::string>& overrides = {},
                              std::vector<KeyDoc>* keys = nullptr);

/// The same from YAML text (`file` names it in messages).
npu::NpuConfig parse_hw_config(const std::string& text, const std::string& file,
                               const std::vector<std::string>& overrides = {}, std::vector<KeyDoc>* keys = nullptr);

/// The resolved config as YAML: every key explicit, in units, readable by read_hw_config().
std::string write_hw_config(const npu::NpuConfig& cfg);

/// Reads a whole text file; a missing or unreadable file is an InputError naming it.
std::string read_text_file(const std::string& path);

}  // namespace npusim::sim
