#pragma once
/// Gated DeltaNet layer shapes in YAML (configs/models/*.yaml; every key is documented in
/// configs/README.md). Read strictly, like hardware specs: unknown keys, missing keys and values
/// out of range are errors naming the file, line, column, what was expected and the value seen.
#include <string>
#include <vector>

#include "kernels/gdn/model.hpp"
#include "sim/config/yaml_reader.hpp"

namespace npusim::sim {

/// Reads and checks a model file. Throws InputError with every problem found. `keys`, when
/// given, receives every key the reader declared (for the documentation test).
kernels::GdnModel read_model_config(const std::string& path, std::vector<KeyDoc>* keys = nullptr);

/// The same from YAML text (`file` names it in messages).
kernels::GdnModel parse_model_config(const std::string& text, const std::string& file,
                                     std::vector<KeyDoc>* keys = nullptr);

/// The model as YAML, every key explicit (written next to a layer run's results).
std::string write_model_config(const kernels::GdnModel& m);

}  // namespace npusim::sim
