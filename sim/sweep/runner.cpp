#include "sim/sweep/runner.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <npusim_version.hpp>
#include <optional>
#include <ostream>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "sim/report/json.hpp"
#include "sim/run/progress.hpp"
#include "sim/run/resources.hpp"
#include "sim/run/run_program.hpp"
#include "sim/sweep/store.hpp"

namespace npusim::sim {
namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::pair<std::uint32_t, std::uint32_t> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  auto number = [](const std::string& s) -> std::optional<std::uint32_t> {
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return static_cast<std::uint32_t>(std::stoul(s));
  };
  if (slash != std::string::npos) {
    const auto i = number(text.substr(0, slash)), n = number(text.substr(slash + 1));
    if (i && n && *i >= 1 && *i <= *n) return {*i, *n};
  }
  throw InputError(fmt::format("--shard {}: expected I/N with 1 <= I <= N, such as 2/3", text));
}

std::pair<std::uint32_t, std::uint32_t> slurm_shard() {
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  if (!id) return {0, 1};
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
  auto number = [](const char* v) -> std::optional<long> {
    if (!v || !*v || std::string(v).find_first_not_of("0123456789") != std::string::npos || std::strlen(v) > 6) {
      return std::nullopt;
    }
    return std::stol(v);
  };
  const auto i = number(id), n = number(count), lo = number(min ? min : "0");
  if (!i || !n || !lo || *n < 1 || *i < *lo || *i - *lo >= *n) {
    throw InputError(fmt::format("SLURM_ARRAY_TASK_ID={} with SLURM_ARRAY_TASK_MIN={} and SLURM_ARRAY_TASK_COUNT={}: "
                                 "expected a contiguous job array such as --array=0-3 (or give --shard I/N)",
                                 id, min ? min : "(unset)", count ? count : "(unset)"));
  }
  return {static_cast<std::uint32_t>(*i - *lo + 1), static_cast<std::uint32_t>(*n)};
}

namespace {

constexpr const char* kStoreFile = "results.sqlite";

/// The points a run owns, in order: not skipped and, with shards, every N-th of the rest.
class Points {
 public:
  Points(const Sweep& s, std::uint32_t shard, std::uint32_t shards) : m_s(s), m_shard(shard), m_shards(shards) {}

  /// The next owned point and its axis values.
  bool next(std::uint64_t& index, std::vector<std::string>& values) {
    while (m_next < m_s.size()) {
      index = m_next++;
      values = m_s.axis_values(index);
      if (m_s.skipped(values)) {
        ++m_skipped;
        continue;
      }
      const std::uint64_t ordinal = m_kept++;
      if (m_shards > 1 && ordinal % m_shards != m_shard - 1) continue;
      return true;
    }
    return false;
  }
  std::uint64_t skipped() const { return m_skipped; }
  std::uint64_t kept() const { return m_kept; }

 private:
  const Sweep& m_s;
  std::uint32_t m_shard, m_shards;
  std::uint64_t m_next = 0, m_skipped = 0, m_kept = 0;
};

std::string duration_text(double s) {
  if (s < 60) return fmt::format("{:.0f}s", s);
  if (s < 3600) return fmt::format("{}m{:02d}s", int(s / 60), int(s) % 60);
  return fmt::format("{}h{:02d}m", int(s / 3600), int(s / 60) % 60);
}

void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the other side is gone; its end notices
    done += static_cast<std::size_t>(n);
  }
}

json::object result_json(std::uint64_t point, const PointResult& r, double wall) {
  json::array rows;
  for (const auto& row : r.rows) {
    rows.push_back(json::object{{"label", row.label},
                                {"status", row.status},
                                {"message", row.message},
                                {"cycles", row.cycles ? json::value(*row.cycles) : json::value(nullptr)},
                                {"figures", row.figures}});
  }
  return json::object{{"point", point}, {"hash", r.hash}, {"wall", wall}, {"rows", std::move(rows)}};
}

PointResult result_of(const json::object& o) {
  PointResult r;
  r.hash = std::string(o.at("hash").as_string());
  for (const auto& v : o.at("rows").as_array()) {
    const auto& row = v.as_object();
    PointRow p;
    p.label = std::string(row.at("label").as_string());
    p.status = std::string(row.at("status").as_string());
    p.message = std::string(row.at("message").as_string());
    if (!row.at("cycles").is_null()) p.cycles = json_u64(row.at("cycles"));
    p.figures = row.at("figures").as_object();
    r.rows.push_back(std::move(p));
  }
  return r;
}

/// A point's rows when its worker process died while running it.
PointResult died(const Sweep& s, int status) {
  PointResult r;
  const std::string how = WIFSIGNALED(status) ? fmt::format("killed by signal {} ({})", WTERMSIG(status),
                                                            strsignal(WTERMSIG(status)))
                                              : fmt::format("exit code {}", WEXITSTATUS(status));
  for (const auto& l : s.workload->labels()) {
    r.rows.push_back(PointRow{l, "error", "the worker process running this point died (" + how + ")", std::nullopt, {}});
  }
  return r;
}

/// A worker: reads point numbers (one per line), runs each, writes its result as one JSON line.
[[noreturn]] void worker_main(const Sweep& s, bool numerics, std::uint64_t max_memory, int commands, int results,
                              pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // a killed sweep takes its workers with it
  if (getppid() != parent) _exit(0);
  RunCache cache;
  std::string buffer;
  char chunk[256];
  for (;;) {
    const auto nl = buffer.find('\n');
    if (nl == std::string::npos) {
      const ssize_t n = ::read(commands, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) _exit(0);
      buffer.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    const std::uint64_t index = std::stoull(buffer.substr(0, nl));
    buffer.erase(0, nl + 1);
    const auto start = Clock::now();
    PointResult r;
    try {
      r = s.workload->run(s.point(s.axis_values(index), numerics, max_memory), cache);
    } catch (const std::exception& e) {
      r.rows.clear();
      for (const auto& l : s.workload->labels()) r.rows.push_back(PointRow{l, "error", e.what(), std::nullopt, {}});
    }
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    write_all(results, to_json_line(result_json(index, r, wall)));
  }
}

struct Worker {
  pid_t pid = -1;
  int commands = -1, results = -1;  ///< our ends of its pipes
  std::string buffer;
  std::optional<std::uint64_t> point;
  std::vector<std::string> values;
};

/// The worker processes and the loop that feeds them points and stores their results.
class Pool {
 public:
  Pool(const Sweep& s, bool numerics, std::uint64_t max_memory)
      : m_s(s), m_numerics(numerics), m_max_memory(max_memory) {}
  ~Pool() {
    for (auto& w : m_workers) {
      close_fd(w.commands);
      close_fd(w.results);
      if (w.pid > 0) waitpid(w.pid, nullptr, 0);
    }
  }

  void spawn() {
    int cmd[2], res[2];
    if (pipe(cmd) != 0 || pipe(res) != 0) throw SimError(fmt::format("cannot create a pipe ({})", std::strerror(errno)));
    std::fflush(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw SimError(fmt::format("cannot start a worker process ({})", std::strerror(errno)));
    if (pid == 0) {
      for (const auto& w : m_workers) {  // other workers' pipes: their ends must close with ours
        if (w.commands >= 0) ::close(w.commands);
        if (w.results >= 0) ::close(w.results);
      }
      ::close(cmd[1]);
      ::close(res[0]);
      worker_main(m_s, m_numerics, m_max_memory, cmd[0], res[1], parent);
    }
    ::close(cmd[0]);
    ::close(res[1]);
    Worker w;
    w.pid = pid;
    w.commands = cmd[1];
    w.results = res[0];
    m_workers.push_back(std::move(w));
  }

  /// Runs until `next` has no more points; `done` gets each finished point.
  template <class Next, class Done>
  void run(unsigned jobs, Next&& next, Done&& done) {
    auto feed = [&](Worker& w) {
      std::uint64_t index;
      std::vector<std::string> values;
      if (next(index, values)) {
        w.point = index;
        w.values = std::move(values);
        write_all(w.commands, fmt::format("{}\n", index));
      } else {
        w.point.reset();
        close_fd(w.commands);  // the worker exits at end of input
      }
    };
    for (unsigned j = 0; j < jobs; ++j) {
      spawn();
      feed(m_workers.back());
      if (!m_workers.back().point) break;  // fewer points than workers
    }
    for (;;) {
      std::vector<pollfd> fds;
      std::vector<std::size_t> which;
      for (std::size_t i = 0; i < m_workers.size(); ++i) {
        if (m_workers[i].results >= 0) {
          fds.push_back({m_workers[i].results, POLLIN, 0});
          which.push_back(i);
        }
      }
      if (fds.empty()) break;
      if (poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        throw SimError(fmt::format("poll failed ({})", std::strerror(errno)));
      }
      for (std::size_t f = 0; f < fds.size(); ++f) {
        if (!(fds[f].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const std::size_t wi = which[f];
        char chunk[65536];
        const ssize_t n = ::read(m_workers[wi].results, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n > 0) {
          Worker& w = m_workers[wi];
          w.buffer.append(chunk, static_cast<std::size_t>(n));
          for (auto nl = w.buffer.find('\n'); nl != std::string::npos; nl = w.buffer.find('\n')) {
            const json::object o = parse_json(w.buffer.substr(0, nl), "a worker's result").as_object();
            w.buffer.erase(0, nl + 1);
            NPUSIM_ASSERT(w.point && json_u64(o.at("point")) == *w.point, "a worker answered for another point");
            done(*w.point, w.values, result_of(o), json_double(o.at("wall")));
            feed(w);
          }
          continue;
        }
        // End of file: the worker exited (all fed) or died with a point in flight.
        Worker& w = m_workers[wi];
        close_fd(w.results);
        close_fd(w.commands);
        int status = 0;
        waitpid(w.pid, &status, 0);
        w.pid = -1;
        if (w.point) {
          const std::uint64_t index = *w.point;
          const auto values = w.values;
          done(index, values, died(m_s, status), 0.0);
          spawn();  // a replacement takes the remaining points
          feed(m_workers.back());
        }
      }
    }
  }

 private:
  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }

  const Sweep& m_s;
  bool m_numerics;
  std::uint64_t m_max_memory;  ///< per worker
  std::vector<Worker> m_workers;
};

std::string meta_text(const json::value& v) { return json::serialize(v); }

/// Refuses to resume a store written by another npusim, for another sweep, mode or shard.
void check_resumable(Store& store, const std::map<std::string, std::string>& meta) {
  const std::string& p = store.path();
  if (store.meta("npusim") != meta.at("npusim")) {
    throw InputError(fmt::format("{}: written by npusim {}; this is npusim {}, whose results may differ: run into "
                                 "another --out",
                                 p, store.meta("npusim"), meta.at("npusim")));
  }
  if (store.meta("sweep_digest") != meta.at("sweep_digest")) {
    throw InputError(fmt::format("{}: holds another sweep ('{}'), or the sweep file or its hardware spec changed "
                                 "since: it cannot be resumed; run into another --out",
                                 p, store.meta("name")));
  }
  if (store.meta("mode") != meta.at("mode")) {
    throw InputError(fmt::format("{}: was run in {} mode; resume it the same way ({})", p, store.meta("mode"),
                                 store.meta("mode") == "timing-only" ? "with --timing-only" : "without --timing-only"));
  }
  if (store.meta("shard") != meta.at("shard")) {
    throw InputError(fmt::format("{}: holds shard {}; this run is shard {}", p, store.meta("shard"), meta.at("shard")));
  }
}

/// Points whose rows are all ok, and those with an invalid or error row.
struct Outcome {
  std::uint64_t points = 0, invalid = 0, error = 0;
  bool all_ok() const { return invalid + error == 0; }
};

void print_failures(const Outcome& o, const std::string& command, const std::string& csv, std::ostream& err) {
  if (o.invalid + o.error == 0) return;
  err << fmt::format("npusim {}: {} of {} points failed ({} invalid, {} error); their status and message are in {}\n",
                     command, o.invalid + o.error, o.points, o.invalid, o.error, csv);
}

}  // namespace

bool run_sweep(const Sweep& s, const SweepOptions& o, std::ostream& out, std::ostream& err) {
  const std::string shard = o.shards > 1 ? fmt::format("{}/{}", o.shard, o.shards) : "all";
  const auto axes = s.axes();
  // First pass: how many points this run owns (skip expressions are checked on every point here,
  // before anything runs).
  Points counter(s, o.shard, o.shards);
  std::uint64_t owned = 0, index = 0;
  std::vector<std::string> values;
  while (counter.next(index, values)) ++owned;
  if (counter.kept() == 0) {
    throw InputError(fmt::format("{}: every point of the sweep ({}) is skipped by `skip`", s.file, grouped(s.size())));
  }
  const std::string where = o.shards > 1 ? fmt::format(" in shard {}", shard) : "";
  if (o.dry_run) {
    Points points(s, o.shard, o.shards);
    while (points.next(index, values)) {
      std::string line = fmt::format("{:>8}", index);
      for (std::size_t a = 0; a < axes.size(); ++a) line += fmt::format("  {}={}", axes[a], values[a]);
      out << line << '\n';
    }
    out << fmt::format("{} points{} ({} in the sweep, {} skipped by skip:), {} kernel{} each: {}\n", grouped(owned),
                       where, grouped(counter.kept()), grouped(counter.skipped()), s.workload->labels().size(),
                       s.workload->labels().size() == 1 ? "" : "s", fmt::join(s.workload->labels(), ", "));
    return true;
  }

  const std::string dir = !o.out.empty()           ? o.out
                          : o.shards > 1           ? fmt::format("npusim-out/sweeps/{}/shard-{}-of-{}", s.name, o.shard,
                                                                 o.shards)
                                                   : "npusim-out/sweeps/" + s.name;
  make_directory(dir);
  const std::string store_path = (fs::path(dir) / kStoreFile).string();
  json::array axes_json, labels_json;
  for (const auto& a : axes) axes_json.emplace_back(a);
  for (const auto& l : s.workload->labels()) labels_json.emplace_back(l);
  json::object fixed;
  for (const auto& [k, v] : s.fixed) fixed[k] = v;
  const std::map<std::string, std::string> meta = {
      {"npusim", kVersion},
      {"name", s.name},
      {"description", s.description},
      {"sweep_file", s.file},
      {"sweep_text", s.text},
      {"sweep_digest", s.digest},
      {"definition", meta_text(s.definition)},
      {"hw", s.hw},
      {"workload", meta_text(s.workload->describe())},
      {"fixed", meta_text(fixed)},
      {"axes", meta_text(axes_json)},
      {"kernels", meta_text(labels_json)},
      {"mode", o.numerics ? "numerics" : "timing-only"},
      {"shard", shard},
      {"points", std::to_string(owned)},
      {"sweep_points", std::to_string(counter.kept())},
  };
  std::error_code ec;
  const bool exists = fs::exists(store_path, ec);
  if (exists && !o.resume) {
    throw InputError(fmt::format("{}: a sweep store is already there; add --resume to run only its missing points, or "
                                 "choose another --out",
                                 store_path));
  }
  Store store = exists ? Store::open(store_path) : Store::create(store_path, meta);
  if (exists) check_resumable(store, meta);
  std::uint64_t already = 0;
  if (exists) {
    Points points(s, o.shard, o.shards);
    while (points.next(index, values)) already += store.has_point(index) ? 1 : 0;
    if (!o.quiet) {
      err << fmt::format("resuming {}: {} of {} points are already there; running the other {}\n", store_path,
                         grouped(already), grouped(owned), grouped(owned - already));
    }
  } else if (o.resume && !o.quiet) {
    err << fmt::format("nothing to resume in {}: running all {} points\n", dir, grouped(owned));
  }

  const std::uint64_t todo = owned - already;
  const unsigned jobs = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  std::uint64_t finished = 0, failed = 0;
  Progress bar(fmt::format("sweep {}", s.name), !o.quiet);
  const auto start = Clock::now();
  Points points(s, o.shard, o.shards);
  auto next = [&](std::uint64_t& i, std::vector<std::string>& v) {
    while (points.next(i, v)) {
      if (!already || !store.has_point(i)) return true;
    }
    return false;
  };
  auto done = [&](std::uint64_t i, const std::vector<std::string>& v, const PointResult& r, double wall) {
    store.add_point(i, axes, v, r, wall);
    ++finished;
    for (const auto& row : r.rows) {
      if (row.status != "ok") {
        ++failed;
        break;
      }
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const double rate = double(finished) / std::max(elapsed, 1e-9);
    bar.update(double(finished) / double(std::max<std::uint64_t>(todo, 1)),
               fmt::format("{}/{} points, {} failed, {:.1f} points/s, ETA {}", grouped(finished), grouped(todo),
                           grouped(failed), rate, duration_text(double(todo - finished) / std::max(rate, 1e-9))));
  };
  const auto old_pipe = std::signal(SIGPIPE, SIG_IGN);  // a dead worker's pipe is handled, not fatal
  {
    // The memory limit is shared: every worker may hold its largest point at once.
    Pool pool(s, o.numerics, (o.max_memory ? o.max_memory : default_max_memory()) / jobs);
    pool.run(jobs, next, done);
  }
  std::signal(SIGPIPE, old_pipe);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  const std::string csv = (fs::path(dir) / "results.csv").string();
  const std::string jsonl = (fs::path(dir) / "results.jsonl").string();
  store.export_csv(csv);
  store.export_jsonl(jsonl);
  Outcome outcome;
  outcome.points = owned;
  for (const auto& [status, n] : store.failures()) (status == "invalid" ? outcome.invalid : outcome.error) = n;
  if (!o.quiet) {
    out << fmt::format("sweep {}: {} points{} x {} kernel{} on {} ({}), {} run in {} with {} worker{} ({:.1f} points/s)\n",
                       s.name, grouped(owned), where, s.workload->labels().size(),
                       s.workload->labels().size() == 1 ? "" : "s", s.hw, o.numerics ? "numerics" : "timing-only",
                       grouped(finished), duration_text(seconds), jobs, jobs == 1 ? "" : "s",
                       double(finished) / std::max(seconds, 1e-9));
    out << fmt::format("  {} ok, {} invalid, {} error\n", grouped(owned - outcome.invalid - outcome.error),
                       grouped(outcome.invalid), grouped(outcome.error));
    out << fmt::format("  wrote {}, {}, {}\n", store_path, csv, jsonl);
  }
  if (o.count_failures) print_failures(outcome, "sweep", csv, err);
  return outcome.all_ok();
}

bool merge_sweeps(const std::vector<std::string>& inputs, const std::string& out_dir, bool quiet, std::ostream& out,
                 std::ostream& err) {
  if (inputs.empty()) throw InputError("npusim merge: name the shard directories to merge");
  std::vector<Store> shards;
  for (const auto& in : inputs) {
    std::error_code ec;
    const std::string path = fs::is_directory(in, ec) ? (fs::path(in) / kStoreFile).string() : in;
    shards.push_back(Store::open(path, true));
  }
  const Store& first = shards.front();
  for (std::size_t i = 1; i < shards.size(); ++i) {
    for (const char* key : {"npusim", "sweep_digest", "mode"}) {
      if (shards[i].meta(key) != first.meta(key)) {
        throw InputError(fmt::format("{} and {}: not shards of one sweep: their {} differs ('{}' and '{}')",
                                     first.path(), shards[i].path(), key, first.meta(key), shards[i].meta(key)));
      }
    }
  }
  make_directory(out_dir);
  const std::string path = (fs::path(out_dir) / kStoreFile).string();
  std::error_code ec;
  if (fs::exists(path, ec)) {
    throw InputError(fmt::format("{}: a sweep store is already there; merge into a new --out directory", path));
  }
  std::map<std::string, std::string> meta;
  for (const char* key : {"npusim", "name", "description", "sweep_file", "sweep_text", "sweep_digest", "definition",
                          "hw", "workload", "fixed", "axes", "kernels", "mode", "sweep_points"}) {
    meta[key] = first.meta(key);
  }
  meta["shard"] = "all";
  meta["points"] = meta["sweep_points"];
  json::array from;
  for (const auto& st : shards) from.emplace_back(st.path() + " (shard " + st.meta("shard") + ")");
  meta["merged_from"] = json::serialize(from);
  std::optional<Store> merged;
  try {
    merged.emplace(Store::create(path, meta));
    for (auto& st : shards) merged->merge(st);
  } catch (...) {
    merged.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix, ec);
    throw;
  }
  const std::string csv = (fs::path(out_dir) / "results.csv").string();
  const std::string jsonl = (fs::path(out_dir) / "results.jsonl").string();
  merged->export_csv(csv);
  merged->export_jsonl(jsonl);
  Outcome outcome;
  outcome.points = merged->points();
  for (const auto& [status, n] : merged->failures()) (status == "invalid" ? outcome.invalid : outcome.error) = n;
  const std::uint64_t expected = std::stoull(meta["sweep_points"].empty() ? "0" : meta["sweep_points"]);
  if (!quiet) {
    out << fmt::format("merged {} store{} of sweep {}: {} of {} points\n  wrote {}, {}, {}\n", shards.size(),
                       shards.size() == 1 ? "" : "s", meta["name"], grouped(outcome.points), grouped(expected), path,
                       csv, jsonl);
  }
  if (outcome.points < expected) {
    err << fmt::format("npusim merge: {} of the sweep's {} points are missing (a shard not merged, or not finished: "
                       "npusim sweep --resume completes it)\n",
                       grouped(expected - outcome.points), grouped(expected));
  }
  print_failures(outcome, "merge", csv, err);
  return outcome.all_ok();
}

}  // namespace npusim::sim
