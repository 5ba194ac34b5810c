#include "sim/report/spec_sources.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <sstream>
#include <yaml-cpp/yaml.h>

#include "npu/common/error.hpp"
#include "sim/config/hw_config.hpp"

namespace npusim::sim {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

/// The comment of a line: text after a '#' outside quotes that starts the line or follows a
/// blank ("" when none).
std::string line_comment(const std::string& line) {
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return trim(line.substr(i + 1));
    }
  }
  return "";
}

bool comment_only(const std::string& line) { return trim(line).rfind('#', 0) == 0; }

std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  if (n.IsSequence()) {
    std::string s = "[";
    for (std::size_t i = 0; i < n.size(); ++i) s += (i ? ", " : "") + scalar_text(n[i]);
    return s + "]";
  }
  return "";
}

/// Leaves of a mapping in document order: path -> value text.
void flatten(const YAML::Node& n, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string key = prefix + it->first.Scalar();
    if (it->second.IsMap()) {
      flatten(it->second, key + ".", out);
    } else {
      out.emplace_back(key, scalar_text(it->second));
    }
  }
}

std::vector<std::string> split(const std::string& path, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, sep);) parts.push_back(p);
  return parts;
}

/// The preset: its lines and parsed document.
class Preset {
 public:
  explicit Preset(const std::string& text) : m_root(YAML::Load(text)) {
    std::stringstream ss(text);
    for (std::string line; std::getline(ss, line);) m_lines.push_back(line);
    while (m_header_end < m_lines.size() && comment_only(m_lines[m_header_end])) ++m_header_end;
  }

  std::string header() const {
    std::string h;
    for (std::size_t i = 0; i < m_header_end; ++i) h += (h.empty() ? "" : " ") + line_comment(m_lines[i]);
    return h;
  }

  /// The comments that document `path`, nearest first (its own, then its parents'), or nullopt
  /// when the preset does not set it.
  std::optional<std::vector<std::string>> comments(const std::string& path) const {
    const auto keys = split(path, '.');
    std::vector<std::size_t> lines;              // the line of each key found
    std::vector<std::vector<std::string>> sibs;  // the keys on the same line as each
    if (!walk(m_root, keys, lines, sibs)) return std::nullopt;
    // Each key's line, else the comment block right above it; the key's own first, then its
    // parents' (a line shared by a key and its parent counts once).
    std::vector<std::string> found;
    for (std::size_t d = lines.size(); d-- > 0;) {
      if (d + 1 < lines.size() && lines[d] == lines[d + 1]) continue;
      const std::size_t line = lines[d];
      std::string c = line < m_lines.size() ? line_comment(m_lines[line]) : "";
      if (!c.empty()) {
        found.push_back(clauses_for(c, keys[d], sibs[d]));
        continue;
      }
      std::string block;
      for (std::size_t i = line; i > m_header_end && comment_only(m_lines[i - 1]); --i) {
        block = line_comment(m_lines[i - 1]) + (block.empty() ? "" : " " + block);
      }
      if (!block.empty()) found.push_back(block);
    }
    return found;
  }

 private:
  /// Follows `keys` from `node`, recording each key's line and the keys sharing it. True when
  /// the path exists, or ends early at a scalar (a short form such as `mul: 3`).
  static bool walk(const YAML::Node& node, const std::vector<std::string>& keys, std::vector<std::size_t>& lines,
                   std::vector<std::vector<std::string>>& sibs) {
    if (lines.size() == keys.size()) return true;
    if (!node.IsMap()) return node.IsScalar() && !lines.empty();
    const std::string& k = keys[lines.size()];
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.Scalar() != k) continue;
      const auto line = std::size_t(it->first.Mark().line);
      std::vector<std::string> same;
      for (auto jt = node.begin(); jt != node.end(); ++jt) {
        if (std::size_t(jt->first.Mark().line) == line) same.push_back(jt->first.Scalar());
      }
      lines.push_back(line);
      sibs.push_back(std::move(same));
      return walk(it->second, keys, lines, sibs);
    }
    return false;
  }

  /// A comment on a line with several keys may address them by name ("calibrated; bandwidth:
  /// assumption"): a key named in a clause gets its clauses; the others get the clauses that
  /// name no key of the line.
  static std::string clauses_for(const std::string& comment, const std::string& key,
                                 const std::vector<std::string>& same_line) {
    if (same_line.size() < 2) return comment;
    std::string named, unnamed;
    for (std::string clause : split(comment, ';')) {
      clause = trim(clause);
      const auto colon = clause.find(':');
      const std::string who = colon == std::string::npos ? "" : trim(clause.substr(0, colon));
      if (who == key) {
        named += (named.empty() ? "" : "; ") + trim(clause.substr(colon + 1));
      } else if (std::find(same_line.begin(), same_line.end(), who) == same_line.end()) {
        unnamed += (unnamed.empty() ? "" : "; ") + clause;
      }
    }
    return named.empty() ? unnamed : named;
  }

  YAML::Node m_root;
  std::vector<std::string> m_lines;
  std::size_t m_header_end = 0;
};

}  // namespace

std::string comment_origin(const std::string& comment) {
  std::string lower = comment;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (lower.find("calibrat") != std::string::npos) return "calibrated";
  if (lower.find("assumption") != std::string::npos || lower.find("assumed") != std::string::npos) return "assumption";
  return "source";
}

SpecSources spec_sources(const std::string& resolved_yaml, const std::string& resolved_file,
                         const std::string& preset_path) {
  SpecSources out;
  std::vector<std::pair<std::string, std::string>> values;
  try {
    flatten(YAML::Load(resolved_yaml), "", values);
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}: not a resolved hardware spec ({})", resolved_file, e.what()));
  }
  std::optional<Preset> preset;
  std::map<std::string, std::string> preset_values;
  try {
    const std::string text = read_text_file(preset_path);
    preset.emplace(text);
    std::vector<std::pair<std::string, std::string>> pv;
    flatten(YAML::Load(write_hw_config(parse_hw_config(text, preset_path))), "", pv);
    preset_values.insert(pv.begin(), pv.end());
    out.header = preset->header();
  } catch (const InputError& e) {
    out.problem = fmt::format("the preset {} could not be read, so the values are shown without their sources: {}",
                              preset_path.empty() ? "(none recorded)" : preset_path, e.what());
    preset.reset();
  } catch (const YAML::Exception& e) {
    out.problem = fmt::format("the preset {} could not be read ({})", preset_path, e.what());
    preset.reset();
  }
  for (const auto& [key, value] : values) {
    SpecEntry e{key, value, "unknown", ""};
    if (preset) {
      const auto pv = preset_values.find(key);
      const auto comments = preset->comments(key);
      if (pv != preset_values.end() && pv->second != value) {
        e.origin = "override";
        e.note = fmt::format("the preset has {}", pv->second) +
                 (comments && !comments->empty() ? " (" + comments->front() + ")" : "");
      } else if (!comments) {
        e.origin = "default";
        e.note = "not in the preset: the reader's default";
      } else if (comments->empty()) {
        e.origin = "unknown";
        e.note = "the preset gives no source";
      } else {
        // The nearest comment says what the value is; a parent's "assumption" or "calibrated"
        // covers children whose own comment only describes them ("ops: # assumptions ...").
        e.note = comments->front();
        e.origin = comment_origin(e.note);
        for (std::size_t i = 1; i < comments->size() && e.origin == "source"; ++i) {
          if (comment_origin((*comments)[i]) != "source") {
            e.origin = comment_origin((*comments)[i]);
            e.note += " (" + (*comments)[i] + ")";
          }
        }
      }
    }
    out.entries.push_back(std::move(e));
  }
  return out;
}

}  // namespace npusim::sim
