#include "sim/config/yaml_reader.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"

namespace npusim::sim {

std::string shown_value(const YAML::Node& n) {
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  if (!n.IsDefined() || n.IsNull()) return "nothing";
  return "'" + n.Scalar() + "'";
}

YamlReader::YamlReader(const std::string& text, std::string file) : m_file(std::move(file)) {
  try {
    m_root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}:{}:{}: YAML syntax error: {}", m_file, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (m_root.IsNull()) m_root = YAML::Node(YAML::NodeType::Map);
  if (!m_root.IsMap()) {
    throw InputError(fmt::format("{}:{}:{}: expected a mapping of config keys at the top level, got {}", m_file,
                                 m_root.Mark().line + 1, m_root.Mark().column + 1, shown_value(m_root)));
  }
}

void YamlReader::set(const std::string& assignment, const std::string& origin) {
  const std::string label = origin.empty() ? "--set " + assignment : origin;
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    m_errors.push_back(fmt::format("{}: expected KEY.PATH=VALUE", label));
    return;
  }
  const std::string path = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    m_errors.push_back(fmt::format("{}: the value is not valid YAML: {}", label, e.msg));
    return;
  }
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto dot = path.find('.', start);
    parts.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (std::find(parts.begin(), parts.end(), "") != parts.end()) {
    m_errors.push_back(fmt::format("{}: expected KEY.PATH=VALUE; '{}' has an empty key name", label, path));
    return;
  }
  YAML::Node cur = m_root;
  std::string walked;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    walked += (walked.empty() ? "" : ".") + parts[i];
    YAML::Node next = cur[parts[i]];
    if (!next.IsDefined() || next.IsNull()) {
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
    } else if (!next.IsMap()) {
      m_errors.push_back(fmt::format("{}: '{}' is {}, not a mapping", label, walked, shown_value(next)));
      return;
    }
    YAML::Node child = cur[parts[i]];
    cur.reset(child);
  }
  cur[parts.back()] = value;
  m_overrides[path] = label;
}

YamlReader::Map YamlReader::root() { return Map(*this, m_root, ""); }

std::string YamlReader::where(const YAML::Node& at, const std::string& path) const {
  // A value that came from --set (or sits below one) is reported against the override.
  for (const auto& [p, label] : m_overrides) {
    if (path == p || path.rfind(p + ".", 0) == 0) return label;
  }
  const YAML::Mark m = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
  if (m.line < 0) return m_file;
  return fmt::format("{}:{}:{}", m_file, m.line + 1, m.column + 1);
}

void YamlReader::error(const YAML::Node& at, const std::string& path, const std::string& message) {
  m_errors.push_back(fmt::format("{}: {}{}", where(at, path), path.empty() ? "" : path + ": ", message));
}

void YamlReader::error_at_path(const std::string& path, const std::string& message) {
  // Find the deepest recorded position along the path.
  std::string p = path;
  for (;;) {
    if (auto it = m_marks.find(p); it != m_marks.end()) {
      std::string loc = fmt::format("{}:{}:{}", m_file, it->second.line + 1, it->second.column + 1);
      for (const auto& [o, label] : m_overrides) {
        if (p == o || p.rfind(o + ".", 0) == 0) loc = label;
      }
      m_errors.push_back(fmt::format("{}: {}: {}", loc, path, message));
      return;
    }
    const auto dot = p.rfind('.');
    if (dot == std::string::npos) break;
    p = p.substr(0, dot);
  }
  m_errors.push_back(fmt::format("{}: {}: {}", m_file, path, message));
}

void YamlReader::throw_if_errors() const {
  if (!m_errors.empty()) throw_input_errors(m_errors, m_file);
}

void YamlReader::declare(const std::string& path, const std::string& description, const std::string& default_value) {
  if (m_declared.insert(path).second) m_keys.push_back({path, description, default_value});
}

YamlReader::Map::Map(YamlReader& reader, YAML::Node node, std::string path, bool reported_missing)
    : m_reader(reader), m_node(std::move(node)), m_path(std::move(path)), m_reported_missing(reported_missing) {
  if (!m_node.IsMap()) return;
  std::map<std::string, int> first_line;
  for (const auto& kv : m_node) {
    const std::string key = kv.first.Scalar();
    const auto [it, inserted] = first_line.emplace(key, kv.first.Mark().line + 1);
    if (!inserted) {
      m_reader.error(kv.first, child_path(key), fmt::format("duplicate key (first at line {})", it->second));
    }
  }
}

YAML::Node YamlReader::Map::lookup(const std::string& key) {
  m_known.push_back(key);
  m_used.insert(key);
  if (!m_node.IsMap()) return YAML::Node();
  for (const auto& kv : m_node) {
    if (kv.first.Scalar() == key) return kv.second;
  }
  return YAML::Node();
}

bool YamlReader::Map::has(const std::string& key) const {
  if (!m_node.IsMap()) return false;
  for (const auto& kv : m_node) {
    if (kv.first.Scalar() == key) return !kv.second.IsNull();
  }
  return false;
}

bool YamlReader::Map::has_map(const std::string& key) const {
  if (!m_node.IsMap()) return false;
  for (const auto& kv : m_node) {
    if (kv.first.Scalar() == key) return kv.second.IsMap();
  }
  return false;
}

std::uint64_t YamlReader::Map::integer(const std::string& key, const std::string& description, std::uint64_t min,
                                       std::uint64_t max, std::optional<std::uint64_t> fallback) {
  const std::string expected = max == UINT64_MAX ? fmt::format("an integer >= {}", min)
                                                 : fmt::format("an integer in [{}, {}]", min, max);
  return value<std::uint64_t>(
      key, description, expected,
      [&](const std::string& s) -> std::optional<std::uint64_t> {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 18) return std::nullopt;
        const std::uint64_t v = std::stoull(s);
        if (v < min || v > max) return std::nullopt;
        return v;
      },
      fallback, fallback ? std::to_string(*fallback) : "");
}

std::string YamlReader::Map::text(const std::string& key, const std::string& description,
                                  std::optional<std::string> fallback) {
  return value<std::string>(
      key, description, "a string", [](const std::string& s) -> std::optional<std::string> { return s; }, fallback,
      fallback.value_or(""));
}

YamlReader::Map YamlReader::Map::map(const std::string& key, const std::string& description, bool required) {
  const std::string path = child_path(key);
  m_reader.declare(path, description, required ? "" : "(optional section)");
  const YAML::Node n = lookup(key);
  if (!n.IsDefined() || n.IsNull()) {
    if (required) m_reader.error(m_node, m_path, fmt::format("missing required section '{}' ({})", key, description));
    return Map(m_reader, YAML::Node(), path, required || m_reported_missing);
  }
  m_reader.m_marks[path] = n.Mark();
  if (!n.IsMap()) {
    m_reader.error(n, path, fmt::format("expected a mapping ({}), got {}", description, shown_value(n)));
    return Map(m_reader, YAML::Node(), path, true);
  }
  return Map(m_reader, n, path);
}

std::vector<std::pair<std::string, YAML::Node>> YamlReader::Map::entries() {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (!m_node.IsMap()) return out;
  for (const auto& kv : m_node) {
    out.emplace_back(kv.first.Scalar(), kv.second);
    m_used.insert(kv.first.Scalar());
    m_reader.m_marks[child_path(kv.first.Scalar())] = kv.second.Mark();
  }
  return out;
}

std::optional<std::vector<std::string>> YamlReader::Map::list(const std::string& key, const std::string& description,
                                                               std::vector<std::string>* where) {
  const std::string path = child_path(key);
  m_reader.declare(path, description, "");
  const YAML::Node n = lookup(key);
  if (!n.IsDefined() || n.IsNull()) {
    if (!m_reported_missing) m_reader.error(m_node, m_path, fmt::format("missing required key '{}' ({})", key, description));
    return std::nullopt;
  }
  m_reader.m_marks[path] = n.Mark();
  if (!n.IsSequence()) {
    m_reader.error(n, path, fmt::format("expected a list ({}), got {}", description, shown_value(n)));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& item : n) {
    if (!item.IsScalar()) {
      m_reader.error(item, path, fmt::format("expected a list of names, got {} in it", shown_value(item)));
      return std::nullopt;
    }
    out.push_back(item.Scalar());
    if (where) where->push_back(m_reader.where(item, path));
  }
  return out;
}

YAML::Node YamlReader::Map::node(const std::string& key, const std::string& description,
                                 const std::string& default_value) {
  const std::string path = child_path(key);
  m_reader.declare(path, description, default_value);
  const YAML::Node n = lookup(key);
  if (n.IsDefined()) m_reader.m_marks[path] = n.Mark();
  return n;
}

YamlReader::Map YamlReader::Map::item(const YAML::Node& node, const std::string& path) {
  m_reader.m_marks[path] = node.Mark();
  return Map(m_reader, node, path);
}

void YamlReader::Map::finish() {
  if (!m_node.IsMap()) return;
  std::vector<std::string_view> known(m_known.begin(), m_known.end());
  for (const auto& kv : m_node) {
    const std::string key = kv.first.Scalar();
    if (m_used.count(key)) continue;
    std::string msg = "unknown key";
    const auto near = closest_match(key, known);
    if (!near.empty()) msg += fmt::format("; did you mean '{}'?", near);
    std::string list;
    for (const auto& k : m_known) list += (list.empty() ? "" : ", ") + k;
    if (!list.empty()) msg += fmt::format(" (known keys here: {})", list);
    m_reader.error(kv.first, child_path(key), msg);
  }
}

}  // namespace npusim::sim
