#pragma once
/// A report as plain data (sections of paragraphs, tables and figures) and its two renderings: one
/// self-contained HTML page (inline CSS and SVG, no script, nothing fetched) and Markdown with
/// the figures as SVG files beside it. Every text that came from a file passes through
/// valid_utf8() and is escaped for the output it lands in.
#include <string>
#include <string_view>
#include <vector>

namespace npusim::sim {

/// `s` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view s);

/// `s` (made valid UTF-8) escaped for HTML text and attribute values.
std::string html_escape(std::string_view s);

/// `s` (made valid UTF-8) escaped for Markdown text: punctuation that Markdown reads as markup
/// gets a backslash; line breaks become spaces (a paragraph, a table cell stays one line).
std::string markdown_escape(std::string_view s);

/// A run of text in a paragraph.
struct Span {
  enum class Style { plain, strong, code };
  std::string text;
  Style style = Style::plain;
};

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> numeric;  ///< per column: right-aligned (numbers)
};

/// A plot: `svg` is gnuplot's output made inlinable (render_svg()).
struct Figure {
  std::string name;     ///< file name stem for the Markdown version, unique in the document
  std::string caption;
  std::string svg;
};

struct Block {
  enum class Kind { paragraph, bullets, table, figure, code };
  Kind kind = Kind::paragraph;
  std::vector<Span> spans;           ///< paragraph
  std::vector<std::string> items;    ///< bullets (plain text)
  Table table;
  Figure figure;
  std::string code;                  ///< code: preformatted text (commands)
};

/// A section of the report. A section without data keeps its place with a one-line note.
struct Section {
  std::string id;     ///< HTML id (the browser check finds sections by it)
  std::string title;
  std::vector<Block> blocks;
  std::string omitted;  ///< when not empty: why the section has no content

  Section& paragraph(std::vector<Span> spans);
  Section& paragraph(const std::string& text);
  Section& bullets(std::vector<std::string> items);
  Section& table(Table t);
  Section& figure(Figure f);
  Section& code(std::string text);
  Section& add(Block b);
};

struct Document {
  std::string title;
  std::string subtitle;
  std::vector<Section> sections;

  /// The section with this id, appended (empty) when absent.
  Section& section(const std::string& id, const std::string& title);
};

/// The whole page: <!DOCTYPE html>, inline CSS readable from 900 px wide, no scripts or links.
std::string render_html(const Document& d);

/// Markdown: figures are referenced as `figure_dir/NAME.svg` (relative to the Markdown file);
/// `figures` receives {file name, SVG text} for the caller to write.
std::string render_markdown(const Document& d, const std::string& figure_dir,
                            std::vector<std::pair<std::string, std::string>>& figures);

}  // namespace npusim::sim
