#pragma once
/// The pieces the report pages are built from (report.cpp), shared with the sweep report
/// (sweep_report.cpp). Internal to sim/report.
#include <boost/json.hpp>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/report/crossover.hpp"
#include "sim/report/document.hpp"
#include "sim/report/figures.hpp"
#include "sim/report/plot.hpp"
#include "sim/report/report.hpp"
#include "sim/report/sensitivity.hpp"

namespace npusim::sim::report_parts {

/// Builds the document: the sections in page order, the analyses (JSON) and tables (CSV) that go
/// beside the page.
class Builder {
 public:
  explicit Builder(const ReportOptions& o);

  Section& section(const std::string& id);
  /// Renders `p` with gnuplot into section `section_id`; the caption's text before ": " titles it.
  void figure(const std::string& section_id, const std::string& name, const std::string& caption, const Plot& p);
  /// A CSV table written beside the page as NAME.<name>.csv.
  void csv(const std::string& name, std::string text) { m_csv[name] = std::move(text); }

  Document& doc() { return m_doc; }
  boost::json::object& analyses() { return m_analyses; }
  const std::map<std::string, std::string>& csvs() const { return m_csv; }
  const ReportOptions& options() const { return m_opt; }

  /// Gives every empty section its one-line note.
  void finish(const std::map<std::string, std::string>& notes);

 private:
  ReportOptions m_opt;
  Document m_doc;
  boost::json::object m_analyses;
  std::map<std::string, std::string> m_csv;
};

std::string pct(double fraction, int digits = 1);
std::string fixed(double v, const char* spec);
std::string number_text(double v);
std::string shell_word(const std::string& w);

/// The hardware section from a resolved spec's text and the preset its comments come from.
void hardware_text_section(Builder& b, const std::string& resolved_yaml, const std::string& what,
                           const std::string& preset_path, const std::string& note);
void comparison_section(Builder& b, const std::vector<Entry>& entries);
void utilization_section(Builder& b, const std::vector<Entry>& entries);
void critical_path_section(Builder& b, const std::vector<Entry>& entries);
void crossover_section(Builder& b, const std::vector<CrossoverGrid>& grids);
/// Runs the sensitivity sweep of `base` beside the page and fills the section.
void sensitivity_section(Builder& b, const SensitivityBase& base);
void reproduce_section(Builder& b, const std::vector<std::string>& commands, const std::string& written_by,
                       const std::string& config_path);

/// The report of a sweep (sweep_report.cpp).
void report_sweep(Builder& b, const std::string& dir);

}  // namespace npusim::sim::report_parts
