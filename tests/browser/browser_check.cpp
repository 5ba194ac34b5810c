// Opens a report in headless Chromium as a reader would and checks it: every section of the
// report is in the DOM, every plot is an SVG of non-zero size with drawn shapes, the page needs
// no horizontal scrolling at 900 px, it runs no script and loads nothing (no request but the
// page itself), the console shows no error, and a screenshot is not blank.
//
// usage: browser_check REPORT.html SCREENSHOT.png MIN_FIGURES [ELEMENT_ID]
// With ELEMENT_ID the screenshot is of that element only (scripts/report-screenshot uses it).
// Exit 0 when every check passes, 1 when one fails (each failure printed), 77 when Chromium is
// not installed (ctest reports the test as skipped, with the reason printed).
//
// Chromium is driven through the DevTools protocol over a pipe (--remote-debugging-pipe: the
// browser reads commands on fd 3 and writes replies on fd 4, each a JSON text ended by a NUL
// byte), so no network port is opened. Protocol: https://chromedevtools.github.io/devtools-protocol/
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <poll.h>
#include <set>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "sim/report/report.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> g_failures;

void fail(const std::string& what) {
  g_failures.push_back(what);
  std::cerr << "FAIL: " << what << '\n';
}

std::optional<std::string> find_chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    for (std::size_t start = 0; start <= dirs.size();) {
      const auto colon = dirs.find(':', start);
      const std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  return std::nullopt;
}

class Browser {
 public:
  Browser(const std::string& chromium, const fs::path& profile) {
    int to_browser[2], from_browser[2];
    if (::pipe(to_browser) != 0 || ::pipe(from_browser) != 0) throw std::runtime_error("pipe failed");
    m_pid = ::fork();
    if (m_pid < 0) throw std::runtime_error("fork failed");
    if (m_pid == 0) {
      // The browser reads fd 3 and writes fd 4.
      ::dup2(to_browser[0], 3);
      ::dup2(from_browser[1], 4);
      for (int fd : {to_browser[0], to_browser[1], from_browser[0], from_browser[1]}) {
        if (fd > 4) ::close(fd);
      }
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
      const std::string profile_flag = "--user-data-dir=" + profile.string();
      std::vector<std::string> args = {chromium,
                                       "--headless",
                                       "--no-sandbox",
                                       "--disable-gpu",
                                       "--disable-quic",
                                       "--no-first-run",
                                       "--disable-background-networking",
                                       "--disable-component-update",
                                       "--disable-sync",
                                       "--disable-extensions",
                                       "--hide-scrollbars",
                                       "--remote-debugging-pipe",
                                       profile_flag,
                                       "about:blank"};
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(chromium.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(to_browser[0]);
    ::close(from_browser[1]);
    m_out = to_browser[1];
    m_in = from_browser[0];
    m_deadline = Clock::now() + std::chrono::seconds(90);
  }

  ~Browser() {
    if (m_out >= 0) ::close(m_out);
    if (m_in >= 0) ::close(m_in);
    if (m_pid > 0) {
      ::kill(m_pid, SIGTERM);
      int status = 0;
      for (int i = 0; i < 50 && ::waitpid(m_pid, &status, WNOHANG) == 0; ++i) ::usleep(100000);
      if (::waitpid(m_pid, &status, WNOHANG) == 0) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, &status, 0);
      }
    }
  }

  /// Sends a command and returns its result, keeping the events that arrive meanwhile.
  json::object call(const std::string& method, json::object params = {}, const std::string& session = "") {
    const std::int64_t id = ++m_id;
    json::object msg{{"id", id}, {"method", method}, {"params", std::move(params)}};
    if (!session.empty()) msg["sessionId"] = session;
    std::string text = json::serialize(msg);
    text.push_back('\0');
    for (std::size_t done = 0; done < text.size();) {
      const ssize_t n = ::write(m_out, text.data() + done, text.size() - done);
      if (n <= 0) throw std::runtime_error("the browser closed its pipe");
      done += std::size_t(n);
    }
    for (;;) {
      json::object m = next();
      if (m.contains("id") && m.at("id").to_number<std::int64_t>() == id) {
        if (m.contains("error")) throw std::runtime_error(method + ": " + json::serialize(m.at("error")));
        return m.contains("result") ? m.at("result").as_object() : json::object{};
      }
      m_events.push_back(std::move(m));
    }
  }

  /// Waits for an event by name; returns false at the deadline.
  bool wait_for(const std::string& method) {
    for (const auto& e : m_events) {
      if (e.contains("method") && e.at("method") == method.c_str()) return true;
    }
    for (;;) {
      json::object m = next();
      const bool hit = m.contains("method") && m.at("method") == method.c_str();
      m_events.push_back(std::move(m));
      if (hit) return true;
    }
  }

  const std::vector<json::object>& events() const { return m_events; }

 private:
  json::object next() {
    for (;;) {
      const auto nul = m_buffer.find('\0');
      if (nul != std::string::npos) {
        const std::string text = m_buffer.substr(0, nul);
        m_buffer.erase(0, nul + 1);
        return json::parse(text).as_object();
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(m_deadline - Clock::now()).count();
      if (left <= 0) throw std::runtime_error("the browser did not answer within 90 s");
      pollfd p{m_in, POLLIN, 0};
      if (::poll(&p, 1, int(left)) <= 0) continue;
      char chunk[65536];
      const ssize_t n = ::read(m_in, chunk, sizeof chunk);
      if (n <= 0) throw std::runtime_error("the browser exited (is it installed properly?)");
      m_buffer.append(chunk, std::size_t(n));
    }
  }

  pid_t m_pid = -1;
  int m_out = -1, m_in = -1;
  std::int64_t m_id = 0;
  std::string m_buffer;
  std::vector<json::object> m_events;
  Clock::time_point m_deadline;
};

constexpr const char* kDomCheck = R"JS((() => {
  const figures = [...document.querySelectorAll('figure.plot')].map(f => {
    const svg = f.querySelector(':scope > svg');
    if (!svg) return {id: f.id, svg: false, width: 0, height: 0, shapes: 0};
    const r = svg.getBoundingClientRect();
    return {id: f.id, svg: true, width: r.width, height: r.height,
            shapes: svg.querySelectorAll('path, rect, polygon, polyline, circle, line, use').length};
  });
  const sections = [...document.querySelectorAll('main > section[id]')].map(s => ({
    id: s.id, omitted: s.classList.contains('omitted'),
    note: (s.querySelector('p.omitted') || {textContent: ''}).textContent,
    blocks: s.children.length - 1}));
  return JSON.stringify({sections, figures, scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth, scripts: document.scripts.length,
    external: document.querySelectorAll('[src], link[href], object, embed, iframe').length,
    title: document.title});
})())JS";

constexpr const char* kPixelCheck = R"JS(new Promise(resolve => {
  const img = new Image();
  img.onload = () => {
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) ink++;
      if (colours.size < 4096) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    }
    resolve(JSON.stringify({width: c.width, height: c.height, ink: ink / (d.length / 4), colours: colours.size}));
  };
  img.onerror = () => resolve(JSON.stringify({error: 'the screenshot does not decode'}));
  img.src = 'data:image/png;base64,' + SHOT;
}))JS";

std::string evaluate(Browser& b, const std::string& session, const std::string& expression) {
  const json::object r = b.call("Runtime.evaluate",
                                {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}}, session);
  if (r.contains("exceptionDetails")) throw std::runtime_error("script failed: " + json::serialize(r.at("exceptionDetails")));
  return r.at("result").as_object().at("value").as_string().c_str();
}

std::string decode_base64(const std::string& in) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    const auto p = chars.find(c);
    if (p == std::string::npos) continue;
    buffer = (buffer << 6) | unsigned(p);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace

// libsystemc (linked through sim) provides main() and calls sc_main().
extern "C" int sc_main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::cerr << "usage: browser_check REPORT.html SCREENSHOT.png MIN_FIGURES [ELEMENT_ID]\n";
    return 2;
  }
  const fs::path report = fs::absolute(argv[1]);
  const fs::path screenshot = argv[2];
  const long min_figures = std::strtol(argv[3], nullptr, 10);
  const auto chromium = find_chromium();
  if (!chromium) {
    std::cout << "SKIPPED: chromium is not installed, so the report was not checked in a browser; install the "
                 "Debian package chromium (./scripts/setup does)\n";
    return 77;
  }
  if (!fs::exists(report)) {
    std::cerr << "FAIL: " << report << " does not exist\n";
    return 1;
  }
  const fs::path profile = fs::temp_directory_path() / ("npusim-browser-" + std::to_string(::getpid()));
  fs::remove_all(profile);
  fs::create_directories(profile);
  int rc = 0;
  try {
    Browser b(*chromium, profile);
    const std::string target = b.call("Target.createTarget", {{"url", "about:blank"}}).at("targetId").as_string().c_str();
    const std::string session =
        b.call("Target.attachToTarget", {{"targetId", target}, {"flatten", true}}).at("sessionId").as_string().c_str();
    for (const char* domain : {"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"}) b.call(domain, {}, session);
    b.call("Emulation.setDeviceMetricsOverride",
           {{"width", 900}, {"height", 1100}, {"deviceScaleFactor", 1}, {"mobile", false}}, session);
    const std::string url = "file://" + report.string();
    b.call("Page.navigate", {{"url", url}}, session);
    b.wait_for("Page.loadEventFired");

    const json::object dom = json::parse(evaluate(b, session, kDomCheck)).as_object();
    std::set<std::string> present;
    for (const auto& s : dom.at("sections").as_array()) {
      const auto& o = s.as_object();
      const std::string id = o.at("id").as_string().c_str();
      present.insert(id);
      if (o.at("omitted").as_bool() && o.at("note").as_string().empty()) fail("section " + id + " is omitted without a note");
      if (!o.at("omitted").as_bool() && o.at("blocks").to_number<int>() == 0) fail("section " + id + " is empty");
    }
    for (const auto& id : npusim::sim::report_section_ids()) {
      if (!present.count(id)) fail("section #" + id + " is missing from the DOM");
    }
    const auto& figures = dom.at("figures").as_array();
    if (long(figures.size()) < min_figures) {
      fail("expected at least " + std::to_string(min_figures) + " plots, found " + std::to_string(figures.size()));
    }
    for (const auto& f : figures) {
      const auto& o = f.as_object();
      const std::string id = o.at("id").as_string().c_str();
      if (!o.at("svg").as_bool()) fail("plot " + id + " holds no SVG");
      if (o.at("width").to_number<double>() <= 0 || o.at("height").to_number<double>() <= 0) {
        fail("plot " + id + " has zero size (" + json::serialize(o) + ")");
      }
      if (o.at("shapes").to_number<int>() < 5) fail("plot " + id + " draws almost nothing");
    }
    if (dom.at("scrollWidth").to_number<double>() > 900) {
      fail("the page is " + json::serialize(dom.at("scrollWidth")) + " px wide at a 900 px window (horizontal scrolling)");
    }
    if (dom.at("scripts").to_number<int>() != 0) fail("the page holds scripts");
    if (dom.at("external").to_number<int>() != 0) fail("the page references external resources");
    for (const auto& e : b.events()) {
      const std::string method = e.contains("method") ? e.at("method").as_string().c_str() : "";
      const auto& p = e.contains("params") ? e.at("params").as_object() : json::object{};
      if (method == "Runtime.exceptionThrown") fail("exception in the page: " + json::serialize(p));
      if (method == "Runtime.consoleAPICalled" && (p.at("type") == "error" || p.at("type") == "assert")) {
        fail("console error: " + json::serialize(p));
      }
      if (method == "Log.entryAdded" && p.at("entry").as_object().at("level") == "error") {
        fail("console error: " + json::serialize(p.at("entry")));
      }
      if (method == "Network.requestWillBeSent") {
        const std::string u = p.at("request").as_object().at("url").as_string().c_str();
        if (u != url) fail("the page requested " + u);
      }
    }

    json::object shot_params{{"format", "png"}};
    if (argc == 5) {
      const std::string rect = evaluate(b, session, std::string("JSON.stringify((() => { const r = document.getElementById('") +
                                                        argv[4] + "').getBoundingClientRect(); return {x: r.left, y: r.top + "
                                                        "window.scrollY, width: r.width, height: r.height}; })())");
      json::object clip = json::parse(rect).as_object();
      clip["scale"] = 1;
      shot_params["clip"] = std::move(clip);
      shot_params["captureBeyondViewport"] = true;
    }
    const std::string shot = b.call("Page.captureScreenshot", shot_params, session).at("data").as_string().c_str();
    {
      std::ofstream out(screenshot, std::ios::binary);
      out << decode_base64(shot);
    }
    std::string expr = kPixelCheck;
    expr.replace(expr.find("SHOT"), 4, "'" + shot + "'");
    const json::object px = json::parse(evaluate(b, session, expr)).as_object();
    if (px.contains("error")) {
      fail(std::string(px.at("error").as_string().c_str()));
    } else if (px.at("ink").to_number<double>() < 0.02 || px.at("colours").to_number<int>() < 8) {
      fail("the screenshot is blank: " + json::serialize(px));
    }
    std::cout << report.string() << ": " << present.size() << " sections, " << figures.size()
              << " plots, screenshot " << json::serialize(px) << " -> " << screenshot.string() << '\n';
  } catch (const std::exception& e) {
    fail(e.what());
  }
  std::error_code ec;
  fs::remove_all(profile, ec);
  if (!g_failures.empty()) rc = 1;
  return rc;
}
