// Outputs: checked before a run, written whole, no stale results, valid JSON/YAML/CSV for any bytes.
#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "helpers.hpp"
#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "sim/cli/cli.hpp"
#include "sim/io/output.hpp"
#include "sim/report/csv.hpp"
#include "sim/report/json.hpp"
#include "sim/run/run_program.hpp"

using namespace npusim;
using test::fresh_dir;
namespace fs = std::filesystem;

namespace {

/// Runs the npusim command line in-process; returns the exit code.
int cli(std::vector<std::string> args, std::string* err = nullptr) {
  args.insert(args.begin(), "npusim");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, errs;
  const int code = sim::run_cli(static_cast<int>(argv.size()), argv.data(), out, errs);
  if (err) *err = errs.str();
  return code;
}

const std::string kHw = std::string(NPUSIM_SOURCE_DIR) + "/configs/npu/hexagon-like.yaml";
const std::string kGemm = std::string(NPUSIM_SOURCE_DIR) + "/traces/programs/gemm.npuasm";

}  // namespace

TEST_CASE("valid_utf8 keeps well-formed text and replaces every other byte", "[outputs]") {
  CHECK(valid_utf8("plain ascii") == "plain ascii");
  CHECK(valid_utf8("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  const std::string r = "\xEF\xBF\xBD";
  CHECK(valid_utf8("a\xFF" "b") == "a" + r + "b");            // not a lead byte
  CHECK(valid_utf8("\x80") == r);                            // stray continuation
  CHECK(valid_utf8("\xC0\xAF") == r + r);                    // overlong '/'
  CHECK(valid_utf8("\xED\xA0\x80") == r + r + r);            // a surrogate
  CHECK(valid_utf8("\xF4\x90\x80\x80") == r + r + r + r);    // beyond U+10FFFF
  CHECK(valid_utf8("\xE2\x82") == r + r);                    // cut short
  CHECK(valid_utf8(std::string("\0x", 2)) == std::string("\0x", 2));
}

TEST_CASE("JSON string literals come from Boost.JSON and are valid for any bytes", "[outputs]") {
  CHECK(sim::json_string("a\"b\\c\n\x01") == R"("a\"b\\c\n\u0001")");
  const std::string any = "\xFF\xFE name \x80";
  const boost::json::value v = boost::json::parse(sim::json_string(any));  // the parser checks UTF-8
  CHECK(v.as_string() == valid_utf8(any));
  boost::json::object o{{"\xFF", any}};
  CHECK_NOTHROW(boost::json::parse(sim::to_json(o)));
}

TEST_CASE("CSV records follow RFC 4180", "[outputs]") {
  CHECK(sim::csv_record({"a", "b c", "1.5"}) == "a,b c,1.5\r\n");
  CHECK(sim::csv_record({"x,y", "say \"hi\"", "two\nlines", ""}) == "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
  CHECK(sim::csv_record({"\xFF"}) == "\xEF\xBF\xBD\r\n");
}

TEST_CASE("a spec or program name with any bytes gives valid stats, trace and config", "[outputs]") {
  const fs::path d = fresh_dir("npusim-bytes");
  std::string spec = sim::read_text_file(kHw);
  spec.replace(spec.find("name: hexagon-like"), 18, "name: bad\xFFname, \x7F \"q\"");
  sim::write_text_file((d / "hw.yaml").string(), spec);
  const fs::path program = d / "g\xFE\"x\".npuasm";
  fs::copy_file(kGemm, program);
  REQUIRE(cli({"run", "--hw", (d / "hw.yaml").string(), "--program", program.string(), "--out", (d / "out").string(),
               "--trace", (d / "t.json").string(), "--quiet"}) == sim::kExitOk);
  for (const char* f : {"out/stats.json", "t.json"}) {
    INFO(f);
    CHECK_NOTHROW(boost::json::parse(sim::read_text_file((d / f).string())));
  }
  const auto stats = boost::json::parse(sim::read_text_file((d / "out/stats.json").string())).as_object();
  CHECK(stats.at("hw").as_object().at("name").as_string() == valid_utf8("bad\xFFname, \x7F \"q\""));
  fs::remove_all(d);
}

TEST_CASE("the VCD file is written at exactly the path given, whatever its extension", "[outputs]") {
  const fs::path d = fresh_dir("npusim-vcd");
  sim::write_text_file((d / "notes.txt").string(), "my notes\n");
  REQUIRE(cli({"run", "--hw", kHw, "--program", kGemm, "--out", (d / "out").string(), "--vcd",
               (d / "notes.txt").string(), "--quiet"}) == sim::kExitOk);
  CHECK(sim::read_text_file((d / "notes.txt").string()).rfind("$date", 0) == 0);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(d)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"notes.txt", "out"});  // no notes.txt.vcd, no temporary file
  fs::remove_all(d);
}

TEST_CASE("a failed run leaves none of an earlier run's results in --out", "[outputs]") {
  const fs::path d = fresh_dir("npusim-stale");
  const std::string out = (d / "out").string();
  REQUIRE(cli({"run", "--hw", kHw, "--program", kGemm, "--out", out, "--quiet"}) == sim::kExitOk);
  REQUIRE(fs::exists(d / "out/stats.json"));
  REQUIRE(fs::exists(d / "out/C.npy"));
  // A deadlock (exit 3) after every check passed.
  const std::string deadlock = std::string(NPUSIM_SOURCE_DIR) + "/tests/bad_inputs/runtime/deadlock.npuasm";
  CHECK(cli({"run", "--hw", kHw, "--set", "cores=2", "--program", deadlock, "--out", out}) == sim::kExitSimError);
  for (const char* f : {"stats.json", "config.yaml", "program.npuasm"}) CHECK(!fs::exists(d / "out" / f));
  // A bad --trace: the output directory's old results go too.
  REQUIRE(cli({"run", "--hw", kHw, "--program", kGemm, "--out", out, "--quiet"}) == sim::kExitOk);
  std::string err;
  CHECK(cli({"run", "--hw", kHw, "--program", kGemm, "--out", out, "--trace", d.string()}, &err) == sim::kExitBadInput);
  CHECK(err == d.string() + ": is a directory, so it cannot hold the trace\n");
  CHECK(!fs::exists(d / "out/stats.json"));
  CHECK(!fs::exists(d / "out/C.npy"));
  fs::remove_all(d);
}

TEST_CASE("files are written whole or not at all", "[outputs]") {
  const fs::path d = fresh_dir("npusim-atomic");
  const std::string path = (d / "f.txt").string();
  sim::write_text_file(path, "old");
  {
    sim::AtomicFile f(path);
    std::fputs("half of the new", f.open());
  }  // never committed: an exception on the way
  CHECK(sim::read_text_file(path) == "old");
  sim::AtomicFile f(path);
  std::fputs("new", f.open());
  f.commit();
  CHECK(sim::read_text_file(path) == "new");
  CHECK(std::distance(fs::directory_iterator(d), fs::directory_iterator()) == 1);  // no temporary file left
  CHECK_THROWS_AS(sim::write_text_file("/dev/full", "x"), InputError);
  fs::remove_all(d);
}
