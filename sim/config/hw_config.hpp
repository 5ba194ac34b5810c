#pragma once
/// Hardware specs in YAML (configs/npu/*.yaml; every key is documented in configs/README.md).
#include <cstdint>
#include <string>
#include <vector>

#include "npu/config.hpp"
#include "sim/config/yaml_reader.hpp"

namespace npusim::sim {

/// Reads, overrides (`--set`), checks and validates a hardware spec. Throws InputError with
/// every problem found. `keys`, when given, receives every key the reader declared.
/// `override_origins`, when given, names where each override came from (an experiment file's
/// line) for its messages, instead of "--set KEY=VALUE".
npu::NpuConfig read_hw_config(const std::string& path, const std::vector<std::string>& overrides = {},
                              std::vector<KeyDoc>* keys = nullptr,
                              const std::vector<std::string>& override_origins = {});

/// The same from YAML text (`file` names it in messages).
npu::NpuConfig parse_hw_config(const std::string& text, const std::string& file,
                               const std::vector<std::string>& overrides = {}, std::vector<KeyDoc>* keys = nullptr,
                               const std::vector<std::string>& override_origins = {});

/// The resolved config as YAML (yaml-cpp's Emitter): every key explicit, in units, readable by
/// read_hw_config(). `npusim validate` prints it and every run writes it as config.yaml.
std::string write_hw_config(const npu::NpuConfig& cfg);

/// One key of a hardware spec as configs/README.md documents it.
struct SpecKey {
  std::string path;  ///< "matrix.cube.m"; "vector.ops.<op>" for the rows of the op table
  std::string meaning;
  std::string unit;
  std::string range;
  std::string default_value;  ///< "required" when there is none
};

/// Every key of the spec, from the same tables that read and write it, in their order.
std::vector<SpecKey> spec_keys();

/// configs/README.md's key tables, made from spec_keys(): one markdown table per top-level
/// section (the top-level keys first), separated by blank lines. `npusim validate --keys`
/// prints it; tests/unit/test_docs.cpp checks the README against it.
std::string spec_key_tables();

/// Size limits of text inputs: YAML (specs, experiments) and .npuasm programs (256 MiB is about
/// 10 M instructions, whose simulation needs about 4 GiB).
inline constexpr std::uint64_t kMaxYamlFileBytes = std::uint64_t{16} << 20;
inline constexpr std::uint64_t kMaxProgramFileBytes = std::uint64_t{256} << 20;

/// Reads a whole text file; a missing or unreadable file, a directory or a file longer than
/// `max_bytes` (so /dev/zero too) is an InputError naming it.
std::string read_text_file(const std::string& path, std::uint64_t max_bytes = kMaxYamlFileBytes);

}  // namespace npusim::sim
