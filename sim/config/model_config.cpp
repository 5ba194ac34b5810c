#include "sim/config/model_config.hpp"

#include <cmath>
#include <filesystem>
#include <fmt/format.h>

#include "sim/config/hw_config.hpp"

namespace npusim::sim {
namespace {

using Map = YamlReader::Map;

/// A positive integer in [min, max] that is a multiple of `multiple` (tiles of 16 elements).
std::uint32_t dimension(Map& m, const std::string& key, const std::string& description, std::uint64_t min,
                        std::uint64_t max, std::uint64_t multiple) {
  const std::string expected = multiple > 1 ? fmt::format("an integer in [{}, {}] and a multiple of {}", min, max, multiple)
                                            : fmt::format("an integer in [{}, {}]", min, max);
  return static_cast<std::uint32_t>(m.value<std::uint64_t>(
      key, description, expected,
      [&](const std::string& s) -> std::optional<std::uint64_t> {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 9) return std::nullopt;
        const std::uint64_t v = std::stoull(s);
        if (v < min || v > max || v % multiple != 0) return std::nullopt;
        return v;
      },
      std::nullopt));
}

}  // namespace

kernels::GdnModel parse_model_config(const std::string& text, const std::string& file, std::vector<KeyDoc>* keys) {
  YamlReader r(text, file);
  Map root = r.root();
  kernels::GdnModel m;
  m.name = root.text("name", "model name shown in reports", std::filesystem::path(file).stem().string());
  m.description = root.text("description", "one line about the model and where its numbers come from", "");
  m.hidden_size = dimension(root, "hidden_size", "width of the layer's input and output (hidden_size)", 16, 65536, 16);
  m.key_heads = dimension(root, "linear_num_key_heads", "key (and query) heads of the linear-attention layer", 1, 256, 1);
  m.value_heads = dimension(root, "linear_num_value_heads", "value heads: one state and one inverse per head and chunk",
                            1, 1024, 1);
  m.key_head_dim = dimension(root, "linear_key_head_dim", "key and query head dimension dk", 16, 512, 16);
  m.value_head_dim = dimension(root, "linear_value_head_dim", "value head dimension dv", 16, 512, 16);
  m.conv_kernel = dimension(root, "linear_conv_kernel_dim", "kernel of the causal depthwise conv over q, k and v", 1, 16, 1);
  m.rms_norm_eps = root.value<double>(
      "rms_norm_eps", "epsilon of the gated RMSNorm", "a number in (0, 0.1]",
      [](const std::string& s) -> std::optional<double> {
        try {
          std::size_t used = 0;
          const double v = std::stod(s, &used);
          if (used == s.size() && std::isfinite(v) && v > 0 && v <= 0.1) return v;
        } catch (...) {
        }
        return std::nullopt;
      },
      std::nullopt);
  m.projections = root.value<kernels::ProjectionLayout>(
      "projections", "input projections: fused (in_proj_qkvz, in_proj_ba) or split (in_proj_qkv, _z, _b, _a)",
      "one of fused, split",
      [](const std::string& s) -> std::optional<kernels::ProjectionLayout> {
        if (s == "fused") return kernels::ProjectionLayout::fused;
        if (s == "split") return kernels::ProjectionLayout::split;
        return std::nullopt;
      },
      std::nullopt);
  root.finish();
  if (!r.has_errors() && m.value_heads % m.key_heads != 0) {
    r.error_at_path("linear_num_value_heads",
                    fmt::format("{} value heads cannot share {} key heads evenly (value heads must be a multiple of key "
                                "heads)",
                                m.value_heads, m.key_heads));
  }
  if (keys) *keys = r.keys();
  r.throw_if_errors();
  return m;
}

kernels::GdnModel read_model_config(const std::string& path, std::vector<KeyDoc>* keys) {
  return parse_model_config(read_text_file(path), path, keys);
}

std::string write_model_config(const kernels::GdnModel& m) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << m.name;
  out << YAML::Key << "description" << YAML::Value << YAML::DoubleQuoted << m.description;
  out << YAML::Key << "hidden_size" << YAML::Value << m.hidden_size;
  out << YAML::Key << "linear_num_key_heads" << YAML::Value << m.key_heads;
  out << YAML::Key << "linear_num_value_heads" << YAML::Value << m.value_heads;
  out << YAML::Key << "linear_key_head_dim" << YAML::Value << m.key_head_dim;
  out << YAML::Key << "linear_value_head_dim" << YAML::Value << m.value_head_dim;
  out << YAML::Key << "linear_conv_kernel_dim" << YAML::Value << m.conv_kernel;
  out << YAML::Key << "rms_norm_eps" << YAML::Value << fmt::format("{}", m.rms_norm_eps);
  out << YAML::Key << "projections" << YAML::Value
      << (m.projections == kernels::ProjectionLayout::fused ? "fused" : "split");
  out << YAML::EndMap;
  return std::string("# Resolved model: every key explicit.\n") + out.c_str() + "\n";
}

}  // namespace npusim::sim
