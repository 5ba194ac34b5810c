#pragma once
/// `npusim report`: a design report from the outputs of run, compare, experiment, layer or sweep, as one
/// self-contained HTML page (and optionally Markdown with the plots as SVG files), with the
/// analyses written beside it as JSON and CSV.
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace npusim::sim {

struct ReportOptions {
  std::string from;        ///< the output directory to report on
  std::string html;        ///< the page ("" = FROM/report.html)
  std::string markdown;    ///< "" = none
  double min_snr_db = 40;  ///< accuracy floor of the recommendation
  bool sensitivity = true; ///< run the sensitivity sweep of the base point
  double step = 0.10;      ///< relative step of the elasticities (+-10%)
  bool quiet = false;      ///< no progress
};

/// Kinds of output directory the report reads, by the file that identifies each.
enum class OutputKind { sweep, compare, experiment, run, layer };

/// What `dir` holds; InputError naming the files looked for when it is none of the kinds.
OutputKind detect_output(const std::string& dir);
const char* output_kind_name(OutputKind k);

/// Writes the report; returns the files written. InputError for anything wrong with the input.
std::vector<std::string> write_report(const ReportOptions& options);

/// The ids of the report's sections, in page order (the browser check looks for each).
const std::vector<std::string>& report_section_ids();

}  // namespace npusim::sim
