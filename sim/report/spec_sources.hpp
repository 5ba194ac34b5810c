#pragma once
/// Where each value of a hardware spec comes from, as its preset says: every parameter in
/// configs/npu/*.yaml carries a comment with its public source or the word "assumption". The
/// comments are read from the preset file itself (yaml-cpp's node positions and the file's
/// lines), so the report shows exactly what the preset says.
#include <string>
#include <vector>

namespace npusim::sim {

struct SpecEntry {
  std::string key;     ///< dotted path, as `--set` takes it
  std::string value;   ///< as in the resolved spec
  std::string origin;  ///< source, assumption, calibrated, default (not in the preset), override, unknown
  std::string note;    ///< the preset's comment for the value (or what overrode it)
};

struct SpecSources {
  std::vector<SpecEntry> entries;  ///< every leaf of the resolved spec, in its order
  std::string header;              ///< the preset's opening comment
  std::string problem;             ///< why the comments could not be read ("" when they were)
};

/// Every value of `resolved_yaml` (a resolved spec, such as a run's config.yaml) with its
/// origin according to the comments of `preset_path` (the spec file the run was given). A value
/// that differs from the preset's own resolved value is an `override`. When the preset cannot be
/// read, the values are listed with origin `unknown` and `problem` says why.
/// `resolved_file` names the resolved spec in messages.
SpecSources spec_sources(const std::string& resolved_yaml, const std::string& resolved_file,
                         const std::string& preset_path);

/// The origin of one comment's text: calibrated, assumption or source.
std::string comment_origin(const std::string& comment);

}  // namespace npusim::sim
