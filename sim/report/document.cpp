#include "sim/report/document.hpp"

#include <fmt/format.h>

namespace npusim::sim {

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    std::size_t len = 0;
    std::uint32_t min = 0;
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, min = 0x10000;
    }
    bool ok = len > 0 && i + len <= n;
    std::uint32_t cp = len == 1 ? c : c & (0xFF >> (len + 1));
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (p[i + k] & 0xC0) == 0x80;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    ok = ok && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    // Control characters other than tab and line breaks are not text either.
    ok = ok && !(cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') && cp != 0x7F;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : valid_utf8(s)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string markdown_escape(std::string_view s) {
  const std::string text = valid_utf8(s);
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
      continue;
    }
    const bool line_start = out.empty();
    if (std::string_view("\\`*_[]<>|&").find(c) != std::string_view::npos ||
        (line_start && std::string_view("#+-=").find(c) != std::string_view::npos)) {
      out += '\\';
    }
    out += c;
  }
  // "1. text" at the start of a paragraph would become a list.
  const auto digits = out.find_first_not_of("0123456789");
  if (digits != std::string::npos && digits > 0 && (out[digits] == '.' || out[digits] == ')')) out.insert(digits, "\\");
  return out;
}

Section& Section::add(Block b) {
  blocks.push_back(std::move(b));
  return *this;
}

Section& Section::paragraph(std::vector<Span> spans) {
  Block b;
  b.spans = std::move(spans);
  return add(std::move(b));
}

Section& Section::paragraph(const std::string& text) { return paragraph(std::vector<Span>{{text}}); }

Section& Section::bullets(std::vector<std::string> items) {
  Block b;
  b.kind = Block::Kind::bullets;
  b.items = std::move(items);
  return add(std::move(b));
}

Section& Section::table(Table t) {
  Block b;
  b.kind = Block::Kind::table;
  b.table = std::move(t);
  return add(std::move(b));
}

Section& Section::figure(Figure f) {
  Block b;
  b.kind = Block::Kind::figure;
  b.figure = std::move(f);
  return add(std::move(b));
}

Section& Section::code(std::string text) {
  Block b;
  b.kind = Block::Kind::code;
  b.code = std::move(text);
  return add(std::move(b));
}

Section& Document::section(const std::string& id, const std::string& heading) {
  for (auto& s : sections) {
    if (s.id == id) return s;
  }
  sections.push_back(Section{id, heading, {}, {}});
  return sections.back();
}

namespace {

// Readable from 900 px wide: the text column is at most 880 px, figures scale to it, wide
// tables scroll inside their own box instead of widening the page.
constexpr const char* kCss = R"(
:root { color-scheme: light; }
body { margin: 0 auto; max-width: 880px; padding: 12px 10px 40px; font: 15px/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.55em; margin: 0.4em 0 0.1em; }
h2 { font-size: 1.2em; margin: 1.6em 0 0.4em; padding-bottom: 0.15em; border-bottom: 1px solid #ccc; }
p.subtitle { color: #555; margin-top: 0; }
p.omitted { color: #555; font-style: italic; }
nav ol { columns: 2; font-size: 0.92em; padding-left: 1.4em; }
.table-wrap { overflow-x: auto; max-width: 100%; margin: 0.6em 0; }
table { border-collapse: collapse; font-size: 0.88em; }
th, td { border: 1px solid #d0d0d0; padding: 2px 7px; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 0.8em 0 1.2em; }
figure svg { display: block; width: 100%; height: auto; max-width: 860px; }
figcaption { font-size: 0.88em; color: #444; margin-top: 0.2em; }
pre { background: #f5f5f5; padding: 8px; overflow-x: auto; font-size: 0.85em; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.92em; }
)";

std::string html_spans(const std::vector<Span>& spans) {
  std::string o;
  for (const auto& s : spans) {
    switch (s.style) {
      case Span::Style::plain: o += html_escape(s.text); break;
      case Span::Style::strong: o += "<strong>" + html_escape(s.text) + "</strong>"; break;
      case Span::Style::code: o += "<code>" + html_escape(s.text) + "</code>"; break;
    }
  }
  return o;
}

std::string html_table(const Table& t) {
  auto numeric = [&](std::size_t c) { return c < t.numeric.size() && t.numeric[c]; };
  std::string o = "<div class=\"table-wrap\"><table>\n<thead><tr>";
  for (const auto& h : t.header) o += "<th>" + html_escape(h) + "</th>";
  o += "</tr></thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    o += "<tr>";
    for (std::size_t c = 0; c < row.size(); ++c) {
      o += (numeric(c) ? "<td class=\"num\">" : "<td>") + html_escape(row[c]) + "</td>";
    }
    o += "</tr>\n";
  }
  return o + "</tbody></table></div>\n";
}

std::string md_spans(const std::vector<Span>& spans) {
  std::string o;
  for (const auto& s : spans) {
    switch (s.style) {
      case Span::Style::plain: o += markdown_escape(s.text); break;
      case Span::Style::strong: o += "**" + markdown_escape(s.text) + "**"; break;
      case Span::Style::code: {
        // A code span cannot escape backticks: fence it with more backticks than it holds.
        const std::string text = valid_utf8(s.text);
        std::size_t run = 0, longest = 0;
        for (char c : text) longest = std::max(longest, run = c == '`' ? run + 1 : 0);
        const std::string fence(longest + 1, '`');
        o += fence + (text.empty() || text.front() == '`' || text.back() == '`' ? " " + text + " " : text) + fence;
        break;
      }
    }
  }
  return o;
}

std::string md_table(const Table& t) {
  auto numeric = [&](std::size_t c) { return c < t.numeric.size() && t.numeric[c]; };
  std::string o = "|";
  for (const auto& h : t.header) o += " " + markdown_escape(h) + " |";
  o += "\n|";
  for (std::size_t c = 0; c < t.header.size(); ++c) o += numeric(c) ? "---:|" : "---|";
  o += "\n";
  for (const auto& row : t.rows) {
    o += "|";
    for (const auto& cell : row) o += " " + markdown_escape(cell) + " |";
    o += "\n";
  }
  return o;
}

}  // namespace

std::string render_html(const Document& d) {
  std::string o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<title>" + html_escape(d.title) + "</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n";
  o += "<header>\n<h1>" + html_escape(d.title) + "</h1>\n";
  if (!d.subtitle.empty()) o += "<p class=\"subtitle\">" + html_escape(d.subtitle) + "</p>\n";
  o += "<nav><ol>\n";
  for (const auto& s : d.sections) {
    o += "<li><a href=\"#" + html_escape(s.id) + "\">" + html_escape(s.title) + "</a></li>\n";
  }
  o += "</ol></nav>\n</header>\n<main>\n";
  for (const auto& s : d.sections) {
    o += "<section id=\"" + html_escape(s.id) + "\"" + (s.omitted.empty() ? "" : " class=\"omitted\"") + ">\n<h2>" +
         html_escape(s.title) + "</h2>\n";
    if (!s.omitted.empty()) o += "<p class=\"omitted\">" + html_escape(s.omitted) + "</p>\n";
    for (const auto& b : s.blocks) {
      switch (b.kind) {
        case Block::Kind::paragraph: o += "<p>" + html_spans(b.spans) + "</p>\n"; break;
        case Block::Kind::bullets:
          o += "<ul>\n";
          for (const auto& item : b.items) o += "<li>" + html_escape(item) + "</li>\n";
          o += "</ul>\n";
          break;
        case Block::Kind::table: o += html_table(b.table); break;
        case Block::Kind::figure:
          o += "<figure class=\"plot\" id=\"figure-" + html_escape(b.figure.name) + "\">\n" + b.figure.svg +
               "\n<figcaption>" + html_escape(b.figure.caption) + "</figcaption>\n</figure>\n";
          break;
        case Block::Kind::code: o += "<pre><code>" + html_escape(b.code) + "</code></pre>\n"; break;
      }
    }
    o += "</section>\n";
  }
  return o + "</main>\n</body>\n</html>\n";
}

std::string render_markdown(const Document& d, const std::string& figure_dir,
                            std::vector<std::pair<std::string, std::string>>& figures) {
  std::string o = "# " + markdown_escape(d.title) + "\n\n";
  if (!d.subtitle.empty()) o += markdown_escape(d.subtitle) + "\n\n";
  for (const auto& s : d.sections) {
    o += "## " + markdown_escape(s.title) + "\n\n";
    if (!s.omitted.empty()) o += "*" + markdown_escape(s.omitted) + "*\n\n";
    for (const auto& b : s.blocks) {
      switch (b.kind) {
        case Block::Kind::paragraph: o += md_spans(b.spans) + "\n\n"; break;
        case Block::Kind::bullets:
          for (const auto& item : b.items) o += "- " + markdown_escape(item) + "\n";
          o += "\n";
          break;
        case Block::Kind::table: o += md_table(b.table) + "\n"; break;
        case Block::Kind::figure: {
          const std::string file = b.figure.name + ".svg";
          figures.emplace_back(file, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" + b.figure.svg + "\n");
          o += "![" + markdown_escape(b.figure.caption) + "](<" + figure_dir + "/" + file + ">)\n\n" +
               markdown_escape(b.figure.caption) + "\n\n";
          break;
        }
        case Block::Kind::code: {
          std::string fence = "```";
          while (b.code.find(fence) != std::string::npos) fence += '`';
          o += fence + "sh\n" + valid_utf8(b.code) + (b.code.empty() || b.code.back() == '\n' ? "" : "\n") + fence + "\n\n";
          break;
        }
      }
    }
  }
  return o;
}

}  // namespace npusim::sim
