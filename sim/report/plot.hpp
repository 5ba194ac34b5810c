#pragma once
/// Plots for the reports, drawn by gnuplot's svg terminal (headless, no X): a Plot collects a
/// gnuplot script (commands, numeric datablocks, plot clauses), render_svg() runs gnuplot on it
/// and returns the SVG ready to inline in a page. Text from files reaches gnuplot only through
/// gp_quote(), and only in `noenhanced` places.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace npusim::sim {

/// Okabe and Ito's colour-blind-safe palette ("Color Universal Design", 2008), as "#RRGGBB", in
/// the order series use it: blue, orange, bluish green, vermillion, sky blue, reddish purple,
/// yellow, black.
const std::vector<std::string>& palette();

/// `text` as a gnuplot single-quoted string literal: valid UTF-8, control characters dropped,
/// quotes doubled (single-quoted strings interpret nothing else).
std::string gp_quote(std::string_view text);

class Plot {
 public:
  explicit Plot(int width_px = 860, int height_px = 400);

  /// A gnuplot command (written by npusim; file text only through gp_quote()).
  Plot& cmd(std::string command);
  /// A datablock of numbers, NaN where missing; an empty row is a blank line (it separates line
  /// segments). Returns its name for plot clauses ("$d0").
  std::string data(const std::vector<std::vector<double>>& rows);
  /// One clause of the plot command ("$d0 using 1:2 with lines lc rgb '#0072B2' title 'x'").
  Plot& add(std::string clause);

  bool empty() const { return m_clauses.empty(); }
  int width() const { return m_width; }
  int height() const { return m_height; }
  void set_height(int px) { m_height = px; }
  /// The script, writing to `output`.
  std::string script(const std::string& output) const;

 private:
  int m_width, m_height;
  std::vector<std::string> m_data;
  std::vector<std::string> m_commands;
  std::vector<std::string> m_clauses;
};

/// Runs gnuplot on `plot` and returns the SVG ready to inline in HTML: no XML prolog, every id
/// prefixed with `id_prefix` (several plots share a page), `title` as its accessible title.
/// InputError when gnuplot cannot be run (it is part of the install, scripts/setup); a script
/// gnuplot rejects is a bug (InternalError with gnuplot's message).
std::string render_svg(const Plot& plot, const std::string& id_prefix, const std::string& title);

/// Bars, vertical or horizontal, grouped (side by side) or stacked, one colour per series.
struct BarChart {
  std::string title;
  std::vector<std::string> categories;  ///< along the category axis, in order
  struct Series {
    std::string name;
    std::vector<double> values;       ///< one per category; NaN: no bar
    std::vector<std::string> labels;  ///< optional text at each bar's end
    std::string color;                ///< "#RRGGBB"; "" = the palette's, by position
  };
  std::vector<Series> series;
  bool stacked = false;
  bool horizontal = false;
  std::string value_label;     ///< the value axis, with its unit
  std::string category_label;  ///< the category axis
  std::optional<double> reference;  ///< a dashed line across at this value
  std::optional<double> value_min, value_max;
  bool borders = true;  ///< outline each bar (off for many thin bars)
};
Plot bar_plot(const BarChart& chart);

}  // namespace npusim::sim
