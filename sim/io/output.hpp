#pragma once
/// Output files. Every path a command will write is checked before anything runs (OutputPlan);
/// results of an earlier run at those paths are removed then, so a run that fails leaves none of
/// them looking like its own; each file is written whole or not at all (a temporary file in the
/// same directory, renamed over the path once complete: AtomicFile). Devices such as /dev/null
/// or /dev/stdout are written directly, and every write error (a full disk, /dev/full) is an
/// InputError naming the path. Names that come from input files are checked so that they cannot
/// leave the output directory.
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace npusim::sim {

/// Why `name` (from an input file) cannot be used as a file or directory name inside an output
/// directory: empty, "." or "..", a '/', a control character, longer than 200 bytes. nullopt
/// when it can.
std::optional<std::string> file_name_problem(std::string_view name);

/// A file written under a temporary name and put in place by commit(); removed if never
/// committed (an exception on the way). Not copyable.
class AtomicFile {
 public:
  /// `suffix` ends the temporary name (SystemC's VCD writer appends ".vcd" to what it is given).
  explicit AtomicFile(std::string path, const std::string& suffix = "");
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Where to write until commit().
  const std::string& temp_path() const { return m_temp; }
  /// Opens temp_path() for writing (binary); InputError naming the path if it cannot.
  std::FILE* open();
  /// Closes the file if open, and puts it at the path: InputError if anything was not written.
  void commit();

 private:
  std::string m_path, m_temp;
  std::FILE* m_file = nullptr;
  bool m_device = false;  ///< the path is a device: the temporary file is copied into it
  bool m_committed = false;
};

/// Why a file could not be created next to `path` (strerror), or nullopt: what writing it
/// atomically needs. Leaves nothing behind.
std::optional<std::string> cannot_create(const std::string& path);

/// The file in an output directory that lists what the last run wrote there.
inline constexpr const char* kOutputsManifest = ".npusim-outputs";

/// Writes `bytes` to `path` atomically (AtomicFile).
void write_file_atomic(const std::string& path, std::string_view bytes);

/// The files a command will write. A plan that is destroyed before done() was called (the
/// command failed) removes the files it planned, so that no partial result stays behind. done()
/// lists the files written into each output directory in DIR/.npusim-outputs; the next plan
/// for that directory removes them all, even those it will not write again (another program's
/// tensors), and even when its own checks fail.
class OutputPlan {
 public:
  OutputPlan() = default;
  ~OutputPlan();
  OutputPlan(const OutputPlan&) = delete;
  OutputPlan& operator=(const OutputPlan&) = delete;
  OutputPlan(OutputPlan&&) = default;

  /// A directory that will hold outputs: created (with its parents) by prepare().
  void directory(const std::string& dir);
  /// A file the command will write; `what` names it in messages ("the trace").
  void file(const std::string& path, const std::string& what);
  /// A file the command reads: no output may be it.
  void input(const std::string& path);
  /// Checks what was added since the last call: the directories can be created and written in,
  /// every file's directory exists and can be written in, no file is a directory, no two
  /// outputs are the same file and none is an input. Removes the files that exist (an earlier
  /// run's results) from every path that passed, then throws the first problem, if any.
  /// InputError naming the path and the reason.
  void prepare();
  /// Every output was written: keep them, and list them in each directory's .npusim-outputs.
  void done();

 private:
  struct File {
    std::string path, what, key;
    bool ours = false;  ///< passed the checks: this run may remove what is there
  };
  /// Throws InputError when m_files[i] cannot be written as planned.
  void check_file(std::size_t i);
  std::vector<std::string> m_dirs;
  std::vector<File> m_files;
  std::vector<std::string> m_inputs;
  std::size_t m_prepared_dirs = 0, m_prepared_files = 0;
  bool m_done = false;
};

}  // namespace npusim::sim
