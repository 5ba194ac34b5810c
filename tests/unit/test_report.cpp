// The pieces of `npusim report`: escaping, the preset comments, Pareto fronts and crossover maps
// on inputs with known answers, and the plots gnuplot draws from them.
#include <catch2/catch.hpp>

#include <cmath>

#include "helpers.hpp"
#include "sim/config/hw_config.hpp"
#include "sim/report/crossover.hpp"
#include "sim/report/document.hpp"
#include "sim/report/pareto.hpp"
#include "sim/report/plot.hpp"
#include "sim/report/spec_sources.hpp"

using namespace npusim;
using namespace npusim::sim;

TEST_CASE("text from files is made valid UTF-8 and escaped for HTML, Markdown and gnuplot", "[report]") {
  CHECK(valid_utf8("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(valid_utf8("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
  CHECK(valid_utf8("\xC3") == "\xEF\xBF\xBD");              // truncated sequence
  CHECK(valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  CHECK(valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  CHECK(valid_utf8(std::string("a\0b", 3)) == "a\xEF\xBF\xBD" "b");
  CHECK(html_escape("<b>\"x\" & 'y'</b>") == "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
  CHECK(markdown_escape("a|b *c* <d> [e](f) `g`") == "a\\|b \\*c\\* \\<d\\> \\[e\\](f) \\`g\\`");
  CHECK(markdown_escape("# not a heading") == "\\# not a heading");
  CHECK(markdown_escape("12. not a list") == "12\\. not a list");
  CHECK(gp_quote("it's <x> \\n") == "'it''s <x> \\n'");
  CHECK(gp_quote("a\nb\xFF") == "'a b\xEF\xBF\xBD'");
}

TEST_CASE("the HTML page holds every section, escaped, with no script or link", "[report]") {
  Document d;
  d.title = "x <script>alert(1)</script>";
  d.section("one", "One & two").paragraph("a <b>");
  d.section("two", "Two").omitted = "nothing here";
  Table t{{"k<", "v"}, {{"a&b", "1"}}, {false, true}};
  d.section("one", "ignored").table(t);
  const std::string html = render_html(d);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("x &lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("<section id=\"one\">") != std::string::npos);
  CHECK(html.find("<section id=\"two\" class=\"omitted\">") != std::string::npos);
  CHECK(html.find("<p class=\"omitted\">nothing here</p>") != std::string::npos);
  CHECK(html.find("<td class=\"num\">1</td>") != std::string::npos);
  CHECK(html.find("a&amp;b") != std::string::npos);
  CHECK(html.find("href=\"http") == std::string::npos);
  std::vector<std::pair<std::string, std::string>> figures;
  const std::string md = render_markdown(d, "r-figures", figures);
  CHECK(md.find("## One & two") == std::string::npos);
  CHECK(md.find("## One \\& two") != std::string::npos);
  CHECK(md.find("| k\\< | v |\n|---|---:|\n| a\\&b | 1 |") != std::string::npos);
  CHECK(md.find("*nothing here*") != std::string::npos);
}

TEST_CASE("each preset value carries the source or assumption its comment gives", "[report]") {
  const std::string preset = std::string(NPUSIM_SOURCE_DIR) + "/configs/npu/hexagon-like.yaml";
  const std::string resolved = write_hw_config(read_hw_config(preset, {"dram.latency=400"}));
  const SpecSources s = spec_sources(resolved, "config.yaml", preset);
  REQUIRE(s.problem.empty());
  CHECK(s.header.rfind("A Snapdragon-class Hexagon NPU (HTP)", 0) == 0);
  auto entry = [&](const std::string& key) {
    for (const auto& e : s.entries) {
      if (e.key == key) return e;
    }
    FAIL("no entry " << key);
    return SpecEntry{};
  };
  CHECK(entry("clock").origin == "assumption");
  CHECK(entry("clock").note == "assumption: the HTP clock is not public (PAPER); reports are in cycles");
  CHECK(entry("vector.width").origin == "source");
  CHECK(entry("vector.width").note == "HVX 1024-bit vectors: 64 fp16 / 32 fp32 lanes (PAPER)");
  // A flow map on one line shares the comment block above it.
  CHECK(entry("matrix.cube.k").note.rfind("HMX works on 32x32 tiles (PAPER). Throughput is derived", 0) == 0);
  CHECK(entry("matrix.cube.k").origin == "assumption");
  // A comment block above a key gives its source.
  CHECK(entry("handoff.via").origin == "source");
  CHECK(entry("handoff.via").note.rfind("HVX packs rows into HMX tiles", 0) == 0);
  CHECK(entry("vector.ops.layout.latency").origin == "assumption");
  // The one calibrated value says so, whatever sources its comment also cites.
  CHECK(entry("handoff.sync_cycles").origin == "calibrated");
  CHECK(entry("handoff.sync_cycles").note.rfind("The hand-shake between the thread that converted", 0) == 0);
  // A parent's "assumptions" covers a child whose comment only describes it.
  CHECK(entry("vector.ops.reduce.latency").origin == "assumption");
  CHECK(entry("vector.ops.reduce.latency").note.rfind("log2(lanes) shuffle steps (assumptions from typical HVX", 0) == 0);
  CHECK(entry("vector.ops.add.latency").origin == "default");
  CHECK(entry("dram.latency").origin == "override");
  CHECK(entry("dram.latency").note.rfind("the preset has 300 (assumption: ~300 ns at 1 GHz)", 0) == 0);
  CHECK(entry("dram.latency").value == "400");

  const SpecSources missing = spec_sources(resolved, "config.yaml", "no/such/preset.yaml");
  CHECK(missing.problem.find("no/such/preset.yaml") != std::string::npos);
  CHECK(missing.entries.front().origin == "unknown");
  CHECK_THROWS_WITH(spec_sources("a: [", "bad.yaml", preset), Catch::Contains("bad.yaml: not a resolved hardware spec"));
}

TEST_CASE("Pareto front: dominated points, ties, missing accuracy and the knee", "[report][pareto]") {
  // cycles, SNR: A (100, 10) B (200, 30) C (300, 35) D (400, 36) front; E (250, 20) dominated by
  // B; F (100, 10) equal to A (neither dominates); G without a finite SNR.
  std::vector<ParetoPoint> p = {{"A", 100, 10.0, {}, false, false}, {"B", 200, 30.0, {}, true, false},
                                {"C", 300, 35.0, {}, false, false}, {"D", 400, 36.0, {}, false, false},
                                {"E", 250, 20.0, {}, false, true},  {"F", 100, 10.0, {}, false, false},
                                {"G", 50, std::nullopt, {}, false, false}};
  const ParetoResult r = pareto(p);
  CHECK(r.front == std::vector<std::size_t>{0, 5, 1, 2, 3});
  CHECK(r.dominated == std::vector<bool>{false, false, false, false, true, false, true});
  CHECK(r.dominator[4] == 1);
  CHECK(r.without_accuracy == 1);
  // Scaled over the front (cycles 100..400, SNR 10..36): B gains 20/26 - 100/300 = 0.436, C
  // 25/26 - 200/300 = 0.295: B is the knee.
  REQUIRE(r.knee);
  CHECK(*r.knee == 1);

  // Fewer than three points on the front: no knee.
  CHECK(!pareto({{"a", 1, 1.0, {}, false, false}, {"b", 2, 2.0, {}, false, false}}).knee);
  CHECK(pareto({}).front.empty());

  const std::string svg = render_svg(pareto_plot(p, r, 40.0), "t", "Pareto");
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("Pareto front") != std::string::npos);
  CHECK(svg.find("knee") != std::string::npos);
  CHECK(svg.find("publication's default") != std::string::npos);
  CHECK(svg.find("worst-chunk relative error") != std::string::npos);
  CHECK(svg.find("id=\"t-gnuplot_canvas\"") != std::string::npos);
  CHECK(svg.find("id=\"gnuplot_canvas\"") == std::string::npos);
}

TEST_CASE("crossover map: the speedup-1 contour and the crossings have known positions", "[report][crossover]") {
  // speedup = 2^(x - y - 0.5): the kernel wins where x > y + 0.5, the contour is x - y = 0.5.
  CrossoverGrid g{"t", "x", "y", {"1", "2", "4", "8"}, {"a", "b", "c"}, "base", "new", {}};
  for (int y = 0; y < 3; ++y) {
    std::vector<double> row;
    for (int x = 0; x < 4; ++x) row.push_back(std::exp2(x - y - 0.5));
    g.speedup.push_back(row);
  }
  const CrossoverResult r = crossover(g);
  CHECK(r.wins == 6);
  CHECK(r.losses == 6);
  CHECK(r.missing == 0);
  REQUIRE(r.best);
  CHECK(*r.best == std::make_pair(std::size_t(3), std::size_t(0)));
  CHECK(*r.worst == std::make_pair(std::size_t(0), std::size_t(2)));
  // One crossing per row along x, at index y + 0.5; along y at x - 0.5 for x = 1, 2.
  std::size_t along_x = 0, along_y = 0;
  for (const auto& c : r.crossings) {
    if (c.axis == "x") {
      ++along_x;
      const int y = c.at == "y = a" ? 0 : c.at == "y = b" ? 1 : 2;
      CHECK(c.index == Approx(y + 0.5));
      CHECK(c.kernel_wins_after);
      REQUIRE(c.value);
    } else {
      ++along_y;
      CHECK(!c.value);  // a, b, c are not numbers
      CHECK(!c.kernel_wins_after);
    }
  }
  CHECK(along_x == 3);
  CHECK(along_y == 2);
  // Row y = 0 crosses between x = 1 and x = 2 at index 0.5: value 1.5.
  for (const auto& c : r.crossings) {
    if (c.axis == "x" && c.at == "y = a") CHECK(*c.value == Approx(1.5));
  }
  REQUIRE(!r.contour.empty());
  for (const auto& s : r.contour) {
    CHECK(s.x0 - s.y0 == Approx(0.5));
    CHECK(s.x1 - s.y1 == Approx(0.5));
  }
  // A missing corner removes that square's contour but keeps the rest.
  g.speedup[1][1] = NAN;
  const CrossoverResult m = crossover(g);
  CHECK(m.missing == 1);
  CHECK(m.contour.size() < r.contour.size());
  const std::string svg = render_svg(crossover_plot(g, m), "c", "map");
  CHECK(svg.find("speedup = 1") != std::string::npos);
  CHECK(svg.find("missing or failed") != std::string::npos);
  CHECK(svg.find("<image") == std::string::npos);  // `with image pixels`: vector cells

  CHECK(axis_number("1/8") == 0.125);
  CHECK(axis_number("64") == 64);
  CHECK(!axis_number("fp16"));
  CHECK(!axis_number("1/0"));
}

TEST_CASE("bar plots label both axes and keep series colours", "[report]") {
  BarChart c;
  c.categories = {"fla<blocked>", "neumann"};
  c.series = {{"matrix", {10, 20}, {}, "#0072B2"}, {"vector", {30, NAN}, {}, ""}};
  c.value_label = "utilization (%)";
  c.horizontal = true;
  c.reference = 1;
  const std::string svg = render_svg(bar_plot(c), "b", "bars");
  CHECK(svg.find("utilization (%)") != std::string::npos);
  CHECK(svg.find("fla&lt;blocked>") != std::string::npos);
  CHECK(svg.find("rgb(  0, 114, 178)") != std::string::npos);
}
