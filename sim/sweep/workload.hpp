#pragma once
/// What a sweep point runs. A workload kind (`{kernel: NAME}`, `{compare: [A, B]}`) declares the
/// parameters it takes besides the hardware keys, checks their values when the sweep file is read,
/// and runs one point into one row per label (kernel). Every kind is listed in workload_kinds()
/// (workload.cpp): adding a kind means adding one entry there.
#include <boost/json.hpp>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "npu/config.hpp"
#include "sim/config/yaml_reader.hpp"

namespace npusim::sim {

/// A parameter a workload takes: its name in the sweep file, meaning and default ("" = required).
struct ParamDoc {
  std::string name;
  std::string description;
  std::string default_value;
};

/// One row of a point's result: one kernel (or other label) of the workload.
struct PointRow {
  std::string label;
  std::string status;   ///< ok, invalid (the spec or the kernel's parameters were rejected), error
  std::string message;  ///< why, when not ok
  std::optional<std::uint64_t> cycles;
  boost::json::object figures;  ///< every stats figure, flattened with dots (no nulls, no arrays)
};

/// Results of already-run kernels, keyed by everything such a run depends on: a point that
/// differs from an earlier one only in options a kernel does not read reuses that kernel's row
/// (the fla_blocked baseline does not depend on neumann's order and steps). Bounded: the least
/// recently used entries are dropped.
class RunCache {
 public:
  explicit RunCache(std::size_t capacity = 64) : m_capacity(capacity) {}
  const PointRow* find(const std::string& key);
  void put(const std::string& key, const PointRow& row);
  std::uint64_t hits() const { return m_hits; }

  /// Inputs a workload shares between its runs (generated matrices and their exact inverses),
  /// by key: the last few are kept.
  std::shared_ptr<const void> find_input(const std::string& key) const;
  void put_input(const std::string& key, std::shared_ptr<const void> input);

 private:
  std::size_t m_capacity;
  std::list<std::pair<std::string, std::shared_ptr<const void>>> m_inputs;
  std::list<std::pair<std::string, PointRow>> m_entries;  ///< most recently used first
  std::unordered_map<std::string, std::list<std::pair<std::string, PointRow>>::iterator> m_index;
  std::uint64_t m_hits = 0;
};

/// A point to run: the hardware (base spec text and its overrides) and the workload parameters.
struct PointSpec {
  std::string hw_path;                       ///< labels the stats and messages
  const std::string* hw_text = nullptr;      ///< the base spec, read once per sweep
  std::vector<std::string> overrides;        ///< KEY.PATH=VALUE from the hw.* parameters
  std::map<std::string, std::string> params; ///< workload parameters given (fixed and axes)
  bool numerics = true;
  std::uint64_t max_memory = 0;  ///< a run estimated to need more is refused (invalid); 0: the default
};

/// A point's result: its stable hash (of the resolved spec, workload, parameters, mode and
/// npusim version) and one row per label, in label order.
struct PointResult {
  std::string hash;
  std::vector<PointRow> rows;
};

class Workload {
 public:
  virtual ~Workload() = default;
  /// `{kind: ...}` as written, canonical (part of the sweep's digest and the store's meta).
  virtual boost::json::object describe() const = 0;
  /// The row labels of every point; the first is the baseline of the speedups.
  virtual std::vector<std::string> labels() const = 0;
  /// The parameters it takes (the hardware keys `hw.*` come on top).
  virtual const std::vector<ParamDoc>& params() const = 0;
  /// Checks one value of a parameter when the sweep is read: "" or what is wrong.
  virtual std::string check(const std::string& name, const std::string& value) const = 0;
  /// Runs one point. Never throws for the point's own problems: they become rows with status
  /// invalid or error.
  virtual PointResult run(const PointSpec& point, RunCache& cache) const = 0;
};

/// Reads `workload:` (a mapping with exactly one kind key). Problems are recorded on the reader;
/// returns nullptr when there was none to read.
std::unique_ptr<Workload> read_workload(YamlReader::Map& workload);

/// The kinds, for docs and messages: "kernel", "compare", "layer", "program".
std::vector<std::string> workload_kind_names();

/// The stats object flattened: {"units.matrix.busy_cycles": 123, ...}; nulls, arrays (the
/// per-core `cores`) and the generated `explanation` text are left out.
boost::json::object flatten_stats(const boost::json::object& stats);

/// A stable 128-bit hash (SHA-1 name-based UUID) of `text`, as 32 hex digits.
std::string stable_hash(const std::string& text);

}  // namespace npusim::sim
