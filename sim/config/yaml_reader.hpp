#pragma once
/// A strict YAML reader for configs. Every key is declared where it is read, with a description
/// and its default. Unknown keys are errors with a did-you-mean; every error names the file,
/// line and column, the full key path, what was expected and the value seen; all errors of a
/// file are collected and reported together. `--set a.b.c=value` overrides any key.
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

namespace npusim::sim {

/// One key a reader declared: its path, meaning and default ("" when required).
struct KeyDoc {
  std::string path;
  std::string description;
  std::string default_value;
};

class YamlReader {
 public:
  class Map;

  /// Parses `text`, the contents of `file`. Syntax errors throw InputError.
  YamlReader(const std::string& text, std::string file);

  /// Applies `path=value` on top of the file (value is parsed as YAML). Problems are recorded,
  /// and problems with the value reported, against `origin` (by default "--set path=value").
  void set(const std::string& assignment, const std::string& origin = "");

  Map root();

  /// Records a problem with the value at `path` (node `at` gives the position).
  void error(const YAML::Node& at, const std::string& path, const std::string& message);
  /// Records a problem for a path whose node is not at hand (uses the closest known position).
  void error_at_path(const std::string& path, const std::string& message);
  /// Records a message about the whole file (prefixed with its name), or one that already
  /// names its position (`located`).
  void add_error(const std::string& message, bool located = false) {
    m_errors.push_back(located ? message : m_file + ": " + message);
  }
  bool has_errors() const { return !m_errors.empty(); }
  /// Throws InputError with every recorded problem, if any.
  void throw_if_errors() const;

  const std::vector<KeyDoc>& keys() const { return m_keys; }
  const std::string& file() const { return m_file; }

 private:
  friend class Map;
  std::string where(const YAML::Node& at, const std::string& path) const;
  void declare(const std::string& path, const std::string& description, const std::string& default_value);

  std::string m_file;
  YAML::Node m_root;
  std::map<std::string, std::string> m_overrides;  ///< path -> where the override came from
  std::map<std::string, YAML::Mark> m_marks;       ///< where each read value was
  std::vector<std::string> m_errors;
  std::vector<KeyDoc> m_keys;
  std::set<std::string> m_declared;
};

/// A mapping being read. Read every key you expect, then call finish() to reject the rest.
class YamlReader::Map {
 public:
  /// Parses a scalar's text into T, or returns nullopt.
  template <class T>
  using Parse = std::function<std::optional<T>(const std::string&)>;

  /// A required (no default) or optional value. `expected` describes valid values for errors,
  /// e.g. "an integer in [1, 64]". `shown_default` is the default as written in docs.
  template <class T>
  T value(const std::string& key, const std::string& description, const std::string& expected, const Parse<T>& parse,
          std::optional<T> fallback, const std::string& shown_default = "");

  std::uint64_t integer(const std::string& key, const std::string& description, std::uint64_t min, std::uint64_t max,
                        std::optional<std::uint64_t> fallback = std::nullopt);
  std::string text(const std::string& key, const std::string& description,
                   std::optional<std::string> fallback = std::nullopt);

  /// A nested mapping. When optional and absent, reads from it return their defaults.
  Map map(const std::string& key, const std::string& description, bool required = true);
  /// All keys of this mapping, for tables keyed by name (dtype rates); marks them consumed.
  std::vector<std::pair<std::string, YAML::Node>> entries();
  /// A list of scalars; `where`, when given, receives each item's FILE:LINE:COL.
  std::optional<std::vector<std::string>> list(const std::string& key, const std::string& description,
                                               std::vector<std::string>* where = nullptr);

  /// The raw node of `key` (declared and marked like any value), for shapes the typed readers
  /// do not cover (lists of mappings); undefined when absent.
  YAML::Node node(const std::string& key, const std::string& description, const std::string& default_value = "");
  /// A mapping that is an item of a list read with node(), at `path` (such as "zip[0]").
  Map item(const YAML::Node& node, const std::string& path);

  /// True when `key` is present and holds a mapping.
  bool has_map(const std::string& key) const;
  bool present() const { return m_node.IsDefined() && !m_node.IsNull(); }
  bool has(const std::string& key) const;
  const std::string& path() const { return m_path; }
  std::string child_path(const std::string& key) const { return m_path.empty() ? key : m_path + "." + key; }
  /// Reports keys that were never read.
  void finish();
  YamlReader& reader() { return m_reader; }

 private:
  friend class YamlReader;
  Map(YamlReader& reader, YAML::Node node, std::string path, bool reported_missing = false);
  YAML::Node lookup(const std::string& key);

  YamlReader& m_reader;
  YAML::Node m_node;
  std::string m_path;
  std::vector<std::string> m_known;  ///< keys asked for, present or not
  bool m_reported_missing = false;   ///< the section itself is missing and was reported
  std::set<std::string> m_used;
};

/// "'16'", "a mapping", "a list": how a node is shown in "got ..." messages.
std::string shown_value(const YAML::Node& n);

template <class T>
T YamlReader::Map::value(const std::string& key, const std::string& description, const std::string& expected,
                         const Parse<T>& parse, std::optional<T> fallback, const std::string& shown_default) {
  const std::string path = child_path(key);
  m_reader.declare(path, description + " (" + expected + ")", fallback ? shown_default : "");
  const YAML::Node n = lookup(key);
  if (!n.IsDefined() || n.IsNull()) {
    if (fallback) return *fallback;
    if (m_reported_missing) return T{};  // one message for a missing section, not one per key
    m_reader.error(m_node, m_path,
                   "missing required key '" + key + "' (" + expected + "; " + description + ")");
    return T{};
  }
  m_reader.m_marks[path] = n.Mark();
  if (n.IsScalar()) {
    if (auto v = parse(n.Scalar())) return *v;
  }
  m_reader.error(n, path, "expected " + expected + ", got " + shown_value(n));
  return fallback.value_or(T{});
}

}  // namespace npusim::sim
