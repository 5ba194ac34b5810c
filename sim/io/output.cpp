#include "sim/io/output.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <unistd.h>

#include "npu/common/error.hpp"

namespace npusim::sim {
namespace fs = std::filesystem;

std::optional<std::string> file_name_problem(std::string_view name) {
  if (name.empty()) return "an empty name cannot name a file";
  if (name == "." || name == "..") return "'.' and '..' cannot name a file";
  if (name.size() > 200) return "a name longer than 200 bytes cannot name a file";
  for (const char c : name) {
    if (c == '/') return "a name with '/' would leave the output directory";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "a name with a control character cannot name a file";
  }
  return std::nullopt;
}

namespace {

/// The identity of a path for comparisons: absolute, symbolic links and dots resolved as far
/// as the path exists.
std::string identity(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? fs::absolute(path).lexically_normal().string() : p.string();
}

bool is_device(const std::string& path) {
  std::error_code ec;
  const fs::file_status s = fs::status(path, ec);
  return !ec && fs::exists(s) && !fs::is_regular_file(s) && !fs::is_directory(s);
}

std::string directory_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

std::optional<std::string> cannot_create(const std::string& path) {
  AtomicFile probe(path);  // its temporary file is removed again when `probe` goes
  std::FILE* f = std::fopen(probe.temp_path().c_str(), "wb");
  if (!f) return std::string(std::strerror(errno));
  std::fclose(f);
  return std::nullopt;
}

AtomicFile::AtomicFile(std::string path, const std::string& suffix) : m_path(std::move(path)) {
  static std::atomic<unsigned> counter{0};
  std::error_code ec;
  if (fs::is_directory(m_path, ec)) throw InputError(fmt::format("{}: is a directory, not a file", m_path));
  m_device = is_device(m_path);
  const std::string name = fmt::format(".{}.npusim-{}-{}{}", fs::path(m_path).filename().string(), getpid(),
                                       counter++, suffix);
  // A device cannot be renamed over: its content is written next to the other temporary files.
  m_temp = ((m_device ? fs::temp_directory_path() : fs::path(directory_of(m_path))) / name).string();
}

AtomicFile::~AtomicFile() {
  if (m_file) std::fclose(m_file);
  if (!m_committed) {
    std::error_code ec;
    fs::remove(m_temp, ec);
  }
}

std::FILE* AtomicFile::open() {
  m_file = std::fopen(m_temp.c_str(), "wb");
  if (!m_file) throw InputError(fmt::format("{}: cannot write ({})", m_path, std::strerror(errno)));
  return m_file;
}

void AtomicFile::commit() {
  if (m_file) {
    const bool ok = std::fflush(m_file) == 0 && !std::ferror(m_file);
    const int err = errno;
    const bool closed = std::fclose(m_file) == 0;
    m_file = nullptr;
    if (!ok || !closed) throw InputError(fmt::format("{}: cannot write ({})", m_path, std::strerror(ok ? errno : err)));
  }
  if (m_device) {
    std::FILE* in = std::fopen(m_temp.c_str(), "rb");
    std::FILE* out = in ? std::fopen(m_path.c_str(), "wb") : nullptr;
    bool ok = in && out;
    char buffer[1 << 16];
    while (ok) {
      const std::size_t n = std::fread(buffer, 1, sizeof buffer, in);
      if (n == 0) break;
      ok = std::fwrite(buffer, 1, n, out) == n;
    }
    const int err = errno;
    ok = ok && std::fflush(out) == 0;
    if (out && std::fclose(out) != 0) ok = false;
    if (in) std::fclose(in);
    if (!ok) throw InputError(fmt::format("{}: cannot write ({})", m_path, std::strerror(errno ? errno : err)));
    std::error_code ec;
    fs::remove(m_temp, ec);
  } else if (std::rename(m_temp.c_str(), m_path.c_str()) != 0) {
    throw InputError(fmt::format("{}: cannot write ({})", m_path, std::strerror(errno)));
  }
  m_committed = true;
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  AtomicFile f(path);
  std::FILE* out = f.open();
  if (std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size()) {
    throw InputError(fmt::format("{}: cannot write ({})", path, std::strerror(errno)));
  }
  f.commit();
}

void OutputPlan::directory(const std::string& dir) { m_dirs.push_back(dir); }

void OutputPlan::file(const std::string& path, const std::string& what) { m_files.push_back({path, what, ""}); }

void OutputPlan::input(const std::string& path) { m_inputs.push_back(identity(path)); }

namespace {

/// Removes the files an earlier run listed in `dir`'s manifest (plain names inside `dir` only),
/// then the manifest.
void remove_listed(const std::string& dir) {
  const fs::path manifest = fs::path(dir) / kOutputsManifest;
  std::error_code ec;
  if (!fs::is_regular_file(manifest, ec)) return;
  std::FILE* in = std::fopen(manifest.c_str(), "rb");
  if (!in) return;
  char line[512];
  while (std::fgets(line, sizeof line, in)) {
    std::string name(line);
    if (!name.empty() && name.back() == '\n') name.pop_back();
    const fs::path path = fs::path(dir) / name;
    if (!file_name_problem(name) && name != kOutputsManifest && fs::is_regular_file(path, ec)) fs::remove(path, ec);
  }
  std::fclose(in);
  fs::remove(manifest, ec);
}

}  // namespace

void OutputPlan::done() {
  m_done = true;
  for (const auto& dir : m_dirs) {
    const std::string id = identity(dir);
    std::string list;
    for (const auto& f : m_files) {
      std::error_code ec;
      if (f.ours && identity(directory_of(f.path)) == id && fs::is_regular_file(f.path, ec)) {
        list += fs::path(f.path).filename().string() + "\n";
      }
    }
    write_file_atomic((fs::path(dir) / kOutputsManifest).string(), list);
  }
}

OutputPlan::~OutputPlan() {
  if (m_done) return;
  for (std::size_t i = 0; i < m_prepared_files; ++i) {
    std::error_code ec;
    if (m_files[i].ours && fs::is_regular_file(m_files[i].path, ec)) fs::remove(m_files[i].path, ec);  // never a device
  }
}

void OutputPlan::prepare() {
  for (; m_prepared_dirs < m_dirs.size(); ++m_prepared_dirs) {
    const std::string& dir = m_dirs[m_prepared_dirs];
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
      throw InputError(fmt::format("{}: exists and is not a directory (an output directory)", dir));
    }
    fs::create_directories(dir, ec);
    if (ec) throw InputError(fmt::format("{}: cannot create the output directory ({})", dir, ec.message()));
    if (const auto problem = cannot_create((fs::path(dir) / "probe").string())) {
      throw InputError(fmt::format("{}: cannot write in the output directory ({})", dir, *problem));
    }
    remove_listed(dir);
  }
  // Every file is checked; the results of an earlier run are then removed from the paths that
  // passed, even when another did not: a failed run never leaves an old result in place.
  std::optional<InputError> problem;
  for (std::size_t i = m_prepared_files; i < m_files.size(); ++i) {
    try {
      check_file(i);
      m_files[i].ours = true;
    } catch (const InputError& e) {
      if (!problem) problem = e;
    }
  }
  for (std::size_t i = m_prepared_files; i < m_files.size(); ++i) {
    std::error_code ec;
    if (!m_files[i].ours) continue;
    if (fs::is_regular_file(m_files[i].path, ec) && !fs::remove(m_files[i].path, ec) && ec && !problem) {
      problem = InputError(
          fmt::format("{}: cannot remove the result of an earlier run ({})", m_files[i].path, ec.message()));
    }
  }
  m_prepared_files = m_files.size();
  if (problem) throw *problem;
}

void OutputPlan::check_file(std::size_t i) {
  File& f = m_files[i];
  f.key = identity(f.path);
  std::error_code ec;
  if (fs::is_directory(f.path, ec)) throw InputError(fmt::format("{}: is a directory, so it cannot hold {}", f.path, f.what));
  if (!fs::is_directory(directory_of(f.path), ec)) {
    throw InputError(
        fmt::format("{}: cannot write {}: there is no directory '{}'", f.path, f.what, directory_of(f.path)));
  }
  const bool device = is_device(f.path);  // /dev/null may take every output
  for (std::size_t j = 0; j < i && !device; ++j) {
    if (m_files[j].key == f.key) {
      throw InputError(fmt::format("{}: would hold both {} and {}; give them different paths", f.path, m_files[j].what,
                                   f.what));
    }
  }
  for (const auto& in : m_inputs) {
    if (in == f.key) throw InputError(fmt::format("{}: is an input of this run, so it cannot hold {}", f.path, f.what));
  }
  if (device) return;
  if (const auto why = cannot_create(f.path)) throw InputError(fmt::format("{}: cannot write {} ({})", f.path, f.what, *why));
}

}  // namespace npusim::sim
