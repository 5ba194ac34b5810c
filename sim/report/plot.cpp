#include "sim/report/plot.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <regex>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "npu/common/error.hpp"
#include "sim/report/document.hpp"

extern char** environ;

namespace npusim::sim {
namespace fs = std::filesystem;

const std::vector<std::string>& palette() {
  static const std::vector<std::string> p = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                             "#56B4E9", "#CC79A7", "#F0E442", "#000000"};
  return p;
}

std::string gp_quote(std::string_view text) {
  std::string out = "'";
  for (char c : valid_utf8(text)) {
    if (c == '\'') {
      out += "''";
    } else if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "'";
}

Plot::Plot(int width_px, int height_px) : m_width(width_px), m_height(height_px) {}

Plot& Plot::cmd(std::string command) {
  m_commands.push_back(std::move(command));
  return *this;
}

std::string Plot::data(const std::vector<std::vector<double>>& rows) {
  const std::string name = fmt::format("$d{}", m_data.size());
  std::string block = name + " << EOD\n";
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      block += i ? " " : "";
      block += std::isfinite(row[i]) ? fmt::format("{}", row[i]) : "NaN";
    }
    block += '\n';
  }
  m_data.push_back(block + "EOD\n");
  return name;
}

Plot& Plot::add(std::string clause) {
  m_clauses.push_back(std::move(clause));
  return *this;
}

std::string Plot::script(const std::string& output) const {
  std::string s = fmt::format(
      "set terminal svg size {},{} dynamic noenhanced font 'DejaVu Sans,11' background rgb 'white'\n"
      "set output {}\nset encoding utf8\nset minussign\n",
      m_width, m_height, gp_quote(output));
  for (const auto& d : m_data) s += d;
  for (const auto& c : m_commands) s += c + '\n';
  if (!m_clauses.empty()) {
    s += "plot ";
    for (std::size_t i = 0; i < m_clauses.size(); ++i) s += (i ? ", \\\n     " : "") + m_clauses[i];
    s += '\n';
  }
  return s + "unset output\n";
}

namespace {

/// A temporary directory, removed with everything in it when done.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "npusim-plot-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
      throw InputError(fmt::format("cannot create a temporary directory for gnuplot ({})", std::strerror(errno)));
    }
    m_path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs `gnuplot SCRIPT` with stdout and stderr into files; returns the exit status.
int run_gnuplot(const fs::path& script, const fs::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::string arg0 = "gnuplot", arg1 = script.string();
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw InputError(fmt::format("cannot run gnuplot ({}): the report's plots need it; install the Debian "
                                 "package gnuplot-nox (./scripts/setup does)",
                                 std::strerror(rc)));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw InternalError(fmt::format("waitpid(gnuplot): {}", std::strerror(errno)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    throw InputError("gnuplot not found: the report's plots need it; install the Debian package gnuplot-nox "
                     "(./scripts/setup does)");
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::string render_svg(const Plot& plot, const std::string& id_prefix, const std::string& title) {
  const TempDir dir;
  const fs::path script = dir.path() / "plot.gp", svg = dir.path() / "plot.svg", log = dir.path() / "gnuplot.log";
  {
    std::ofstream out(script, std::ios::binary);
    out << plot.script(svg.string());
    if (!out) throw InputError(fmt::format("{}: cannot write the gnuplot script", script.string()));
  }
  const int rc = run_gnuplot(script, log);
  const std::string messages = read_file(log);
  std::string text = fs::exists(svg) ? read_file(svg) : "";
  if (rc != 0 || text.find("</svg>") == std::string::npos) {
    throw InternalError(fmt::format("gnuplot rejected the script of plot '{}' (exit {}): {}\n{}", title, rc, messages,
                                    plot.script("plot.svg")));
  }
  text = text.substr(text.find("<svg"));
  // Make every id unique in the page and keep the references pointing at them.
  const std::regex id_re(R"re(id=(["'])([^"']+)\1)re");
  std::map<std::string, bool> ids;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), id_re); it != std::sregex_iterator(); ++it) {
    ids[(*it)[2]] = true;
  }
  for (const auto& entry : ids) {
    const std::string& id = entry.first;  // a plain reference: clang 14 cannot capture a structured binding
    for (const std::string& pattern : {std::string("id='") + id + "'", std::string("id=\"") + id + "\"",
                                       std::string("'#") + id + "'", std::string("\"#") + id + "\"",
                                       std::string("url(#") + id + ")"}) {
      const std::string renamed = [&] {
        std::string r = pattern;
        const auto at = r.find(id);
        return r.replace(at, id.size(), id_prefix + "-" + id);
      }();
      for (auto at = text.find(pattern); at != std::string::npos; at = text.find(pattern, at + renamed.size())) {
        text.replace(at, pattern.size(), renamed);
      }
    }
  }
  const auto t0 = text.find("<title>"), t1 = text.find("</title>");
  if (t0 != std::string::npos && t1 != std::string::npos && t0 < t1) {
    text.replace(t0, t1 + 8 - t0, "<title>" + html_escape(title) + "</title>");
  }
  text.replace(0, 4, "<svg role=\"img\" aria-label=\"" + html_escape(title) + "\"");
  // Nothing in the page may run or fetch anything.
  NPUSIM_ASSERT(text.find("<script") == std::string::npos && text.find("href=\"http") == std::string::npos &&
                    text.find("href='http") == std::string::npos && text.find("<image") == std::string::npos,
                "gnuplot's SVG holds a script, a link or a raster image");
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

Plot bar_plot(const BarChart& c) {
  const std::size_t n = c.categories.size(), s = c.series.size();
  Plot p(860, c.horizontal ? std::max(220, int(70 + n * (c.stacked ? 26 : 12 + 14 * s))) : 400);
  const double width = c.stacked ? 0.7 : 0.8 / double(std::max<std::size_t>(s, 1));
  std::string tics;
  for (std::size_t i = 0; i < n; ++i) tics += fmt::format("{}{} {}", i ? ", " : "", gp_quote(c.categories[i]), i);
  const char* cat = c.horizontal ? "y" : "x";
  const char* val = c.horizontal ? "x" : "y";
  p.cmd(fmt::format("set {}tics ({}) scale 0", cat, tics));
  // Horizontal bars list the categories from the top.
  p.cmd(c.horizontal ? fmt::format("set yrange [{}:-0.6]", double(n) - 0.4)
                     : fmt::format("set xrange [-0.6:{}]", double(n) - 0.4));
  if (!c.horizontal && n > 6) p.cmd("set xtics rotate by -30");
  p.cmd(fmt::format("set {}label {}", val, gp_quote(c.value_label)));
  if (!c.category_label.empty()) p.cmd(fmt::format("set {}label {}", cat, gp_quote(c.category_label)));
  p.cmd(fmt::format("set grid {}tics lc rgb '#dddddd'", val));
  p.cmd("set key outside top center horizontal");
  if (!c.title.empty()) p.cmd("set title " + gp_quote(c.title));
  if (c.value_min || c.value_max) {
    p.cmd(fmt::format("set {}range [{}:{}]", val, c.value_min ? fmt::format("{}", *c.value_min) : "",
                      c.value_max ? fmt::format("{}", *c.value_max) : ""));
  }
  p.cmd(c.borders ? "set style fill solid 0.9 border rgb '#333333'" : "set style fill solid 0.9 noborder");
  // gnuplot cannot autoscale an axis without a single finite value.
  bool any = false;
  for (const auto& series : c.series) {
    for (double v : series.values) any |= std::isfinite(v);
  }
  if (!any) p.cmd(fmt::format("set {}range [0:1]", val));
  std::vector<double> stack_pos(n, 0.0), stack_neg(n, 0.0);
  int label_id = 1;
  for (std::size_t k = 0; k < s; ++k) {
    const auto& series = c.series[k];
    std::vector<std::vector<double>> rows;
    for (std::size_t i = 0; i < n && i < series.values.size(); ++i) {
      const double v = series.values[i];
      if (!std::isfinite(v)) continue;
      double lo = 0, hi = v;
      if (c.stacked) {
        double& base = v >= 0 ? stack_pos[i] : stack_neg[i];
        lo = base, hi = base + v;
        base = hi;
      }
      const double mid = c.stacked ? double(i) : double(i) - 0.4 + width * (double(k) + 0.5);
      const double a = mid - width / 2, b = mid + width / 2;
      rows.push_back(c.horizontal ? std::vector<double>{std::min(lo, hi), std::max(lo, hi), a, b}
                                  : std::vector<double>{a, b, std::min(lo, hi), std::max(lo, hi)});
      if (i < series.labels.size() && !series.labels[i].empty()) {
        p.cmd(c.horizontal ? fmt::format("set label {} {} at {},{} {} offset {},0 font ',9' front", label_id++,
                                         gp_quote(series.labels[i]), hi, mid, hi < 0 ? "right" : "left",
                                         hi < 0 ? -0.5 : 0.5)
                           : fmt::format("set label {} {} at {},{} center offset 0,0.6 font ',9' front", label_id++,
                                         gp_quote(series.labels[i]), mid, hi));
      }
    }
    const std::string color = series.color.empty() ? palette()[k % palette().size()] : series.color;
    if (rows.empty()) {  // keeps the series in the legend
      p.add(fmt::format("NaN with boxes lc rgb '{}' title {}", color, gp_quote(series.name)));
      continue;
    }
    const std::string d = p.data(rows);
    p.add(fmt::format("{} using (($1+$2)/2):(($3+$4)/2):1:2:3:4 with boxxy lc rgb '{}' title {}", d, color,
                      gp_quote(series.name)));
  }
  if (c.reference) {
    p.add(c.horizontal ? fmt::format("{} using ({}):2 with lines dt 2 lc rgb '#000000' notitle",
                                     p.data({{0, -0.6}, {0, double(n) - 0.4}}), *c.reference)
                       : fmt::format("{} with lines dt 2 lc rgb '#000000' notitle",
                                     p.data({{-0.6, *c.reference}, {double(n) - 0.4, *c.reference}})));
  }
  return p;
}

}  // namespace npusim::sim
