#pragma once
/// The results of a sweep in an embedded SQLite database, DIR/results.sqlite. The schema is
/// documented in configs/README.md ("The sweep store"): a `meta` table (what sweep, which npusim,
/// which shard) and a `results` table with one row per point and kernel, keyed by the point's
/// number and kernel, carrying the point's stable hash. The database runs in WAL mode and every
/// point is committed in its own transaction as it finishes, so a killed sweep loses only the
/// points in flight. Figure columns are added as they first appear.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "sim/sweep/workload.hpp"

struct sqlite3;

namespace npusim::sim {

/// Bumped whenever the tables change incompatibly; a store of another schema is refused.
inline constexpr const char* kStoreSchema = "1";

/// One row of a store: a point's result for one kernel.
struct StoredRow {
  std::uint64_t point = 0;
  std::string hash;
  std::vector<std::string> axis_values;  ///< as text, in the order of meta `axes`
  std::string kernel;
  std::string status, message;
  boost::json::object figures;  ///< `cycles`, `speedup` and every figure the row has (no NULLs)
};

class Store {
 public:
  /// Creates a new store at `path` (which must not exist) with these meta values.
  static Store create(const std::string& path, const std::map<std::string, std::string>& meta);
  /// Opens an existing store; InputError when it is not an npusim sweep store of this schema.
  static Store open(const std::string& path, bool read_only = false);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  const std::string& path() const { return m_path; }
  /// A meta value ("" when absent).
  std::string meta(const std::string& key) const;
  /// True when point `point` has its rows and none failed with status error (a simulation error
  /// or a worker that died: --resume runs those again; invalid points stay as they are).
  bool has_point(std::uint64_t point);
  /// Points stored.
  std::uint64_t points();
  /// Failed points by their worst status: {"invalid": N, "error": M} (absent when none).
  std::map<std::string, std::uint64_t> failures();

  /// Stores a point's rows in one transaction, replacing any it had. `axes` are the axis names
  /// and values; the speedup of each row is the first row's cycles over its own.
  void add_point(std::uint64_t point, const std::vector<std::string>& axis_names,
                 const std::vector<std::string>& axis_values, const PointResult& result, double wall_seconds);

  /// Adds every row of `other` (a shard of the same sweep); rows it shares with this store must
  /// be identical apart from the wall time, else InputError naming the point, kernel and column.
  void merge(Store& other);

  /// Every row, sorted by point and kernel (`npusim report` reads them).
  std::vector<StoredRow> rows();

  /// results.csv: one row per point and kernel sorted by point, RFC 4180, no wall time.
  void export_csv(const std::string& path);
  /// results.jsonl: the same rows as JSON objects, one per line, with the wall time.
  void export_jsonl(const std::string& path);

 private:
  Store(std::string path, sqlite3* db);
  /// Creates the tables and meta values in `file`; messages name `path`.
  static Store create_schema(const std::string& file, const std::string& path,
                             const std::map<std::string, std::string>& meta);
  void exec(const std::string& sql);
  void ensure_column(const std::string& name);
  std::vector<std::string> axis_names() const;
  /// Columns in export order: point, hash, the axes, kernel, status, message, cycles, speedup,
  /// then the figures in alphabetical order (wall_seconds last, only when `wall`).
  std::vector<std::string> export_columns(bool wall);

  std::string m_path;
  sqlite3* m_db = nullptr;
  std::vector<std::string> m_columns;  ///< of the results table, as created and added
};

}  // namespace npusim::sim
