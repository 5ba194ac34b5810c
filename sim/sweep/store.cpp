#include "sim/sweep/store.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sqlite3.h>
#include <unistd.h>

#include "npu/common/error.hpp"
#include "sim/report/csv.hpp"
#include "sim/report/json.hpp"

namespace npusim::sim {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

/// The columns every results table has, in export order around the axes.
const std::vector<std::string> kKeyColumns = {"point", "hash"};
const std::vector<std::string> kRowColumns = {"kernel", "status", "message", "cycles", "speedup"};
const std::vector<std::string> kHiddenColumns = {"kernel_index", "wall_seconds"};

/// "name" quoted as an SQL identifier (by SQLite itself).
std::string ident(const std::string& name) {
  char* q = sqlite3_mprintf("\"%w\"", name.c_str());
  std::string s(q);
  sqlite3_free(q);
  return s;
}

/// A prepared statement; errors are InputErrors naming the store.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql, const std::string& path) : m_db(db), m_path(path) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &m_s, nullptr) != SQLITE_OK) fail();
  }
  ~Stmt() { sqlite3_finalize(m_s); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void bind(int i, const json::value& v) {
    switch (v.kind()) {
      case json::kind::int64: sqlite3_bind_int64(m_s, i, v.get_int64()); break;
      case json::kind::uint64:
        if (v.get_uint64() <= std::uint64_t(INT64_MAX)) {
          sqlite3_bind_int64(m_s, i, static_cast<sqlite3_int64>(v.get_uint64()));
        } else {
          sqlite3_bind_double(m_s, i, double(v.get_uint64()));
        }
        break;
      case json::kind::double_:
        if (std::isfinite(v.get_double())) {
          sqlite3_bind_double(m_s, i, v.get_double());
        } else {
          sqlite3_bind_null(m_s, i);
        }
        break;
      case json::kind::bool_: sqlite3_bind_int64(m_s, i, v.get_bool() ? 1 : 0); break;
      case json::kind::string: bind(i, std::string(v.get_string())); break;
      default: sqlite3_bind_null(m_s, i);
    }
  }
  void bind(int i, const std::string& s) { sqlite3_bind_text(m_s, i, s.data(), int(s.size()), SQLITE_TRANSIENT); }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(m_s, i, v); }

  /// True while there is a row.
  bool step() {
    const int rc = sqlite3_step(m_s);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail();
    return false;
  }
  void reset() {
    sqlite3_reset(m_s);
    sqlite3_clear_bindings(m_s);
  }
  int columns() const { return sqlite3_column_count(m_s); }
  std::string name(int i) const { return sqlite3_column_name(m_s, i); }
  bool is_null(int i) const { return sqlite3_column_type(m_s, i) == SQLITE_NULL; }
  std::string text(int i) const {
    const auto* t = sqlite3_column_text(m_s, i);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(m_s, i)) : std::string();
  }
  /// A column as JSON: integer, real, text or null.
  json::value value(int i) const {
    switch (sqlite3_column_type(m_s, i)) {
      case SQLITE_INTEGER: return json::value(static_cast<std::int64_t>(sqlite3_column_int64(m_s, i)));
      case SQLITE_FLOAT: return json::value(sqlite3_column_double(m_s, i));
      case SQLITE_NULL: return nullptr;
      default: return json::value(text(i));
    }
  }
  /// A column as CSV text: integers in decimal, reals in their shortest round-trip form.
  std::string csv_text(int i) const {
    switch (sqlite3_column_type(m_s, i)) {
      case SQLITE_INTEGER: return std::to_string(sqlite3_column_int64(m_s, i));
      case SQLITE_FLOAT: return fmt::format("{}", sqlite3_column_double(m_s, i));
      case SQLITE_NULL: return "";
      default: return text(i);
    }
  }

 private:
  [[noreturn]] void fail() const { throw InputError(fmt::format("{}: {}", m_path, sqlite3_errmsg(m_db))); }
  sqlite3* m_db;
  const std::string& m_path;
  sqlite3_stmt* m_s = nullptr;
};

/// Writes `text` to `path` through a temporary file, so that a reader never sees half a file.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path) : m_path(std::move(path)), m_tmp(m_path + ".tmp"), m_out(m_tmp, std::ios::binary) {
    if (!m_out) throw InputError(fmt::format("{}: cannot write file", m_tmp));
  }
  std::ofstream& out() { return m_out; }
  void commit() {
    m_out.close();
    std::error_code ec;
    if (!m_out || (fs::rename(m_tmp, m_path, ec), ec)) throw InputError(fmt::format("{}: cannot write file", m_path));
  }

 private:
  std::string m_path, m_tmp;
  std::ofstream m_out;
};

json::value parse_meta_json(const std::string& text, const std::string& path) {
  return parse_json(text, path + " (meta)");
}

}  // namespace

Store::Store(std::string path, sqlite3* db) : m_path(std::move(path)), m_db(db) {}
Store::Store(Store&& o) noexcept : m_path(std::move(o.m_path)), m_db(o.m_db), m_columns(std::move(o.m_columns)) {
  o.m_db = nullptr;
}
Store& Store::operator=(Store&& o) noexcept {
  std::swap(m_path, o.m_path);
  std::swap(m_db, o.m_db);
  std::swap(m_columns, o.m_columns);
  return *this;
}
Store::~Store() {
  if (m_db) sqlite3_close(m_db);
}

void Store::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : sqlite3_errmsg(m_db);
    sqlite3_free(err);
    throw InputError(fmt::format("{}: {}", m_path, msg));
  }
}

Store Store::create(const std::string& path, const std::map<std::string, std::string>& meta) {
  std::error_code ec;
  if (fs::exists(path, ec)) throw InputError(fmt::format("{}: already exists", path));
  // Built under a temporary name and renamed once its schema is committed: a sweep killed in
  // between leaves no half-made store for --resume to refuse.
  const std::string building = fmt::format("{}.creating-{}", path, getpid());
  try {
    create_schema(building, path, meta);  // closed again here, its journal folded in
  } catch (...) {
    fs::remove(building, ec);
    throw;
  }
  fs::rename(building, path, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create the store ({})", path, ec.message()));
  return open(path);
}

Store Store::create_schema(const std::string& file, const std::string& path,
                           const std::map<std::string, std::string>& meta) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Store s(path, db);
  if (rc != SQLITE_OK) throw InputError(fmt::format("{}: cannot create the store ({})", path, sqlite3_errmsg(db)));
  sqlite3_busy_timeout(db, 10000);
  s.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  const json::array axes = parse_meta_json(meta.at("axes"), path).as_array();
  std::string columns = "point INTEGER NOT NULL, hash TEXT NOT NULL";
  s.m_columns = {"point", "hash"};
  for (const auto& a : axes) {
    columns += ", " + ident(std::string(a.as_string()));
    s.m_columns.emplace_back(a.as_string());
  }
  columns += ", kernel TEXT NOT NULL, kernel_index INTEGER NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL, "
             "cycles INTEGER, speedup REAL, wall_seconds REAL";
  for (const char* c : {"kernel", "kernel_index", "status", "message", "cycles", "speedup", "wall_seconds"}) {
    s.m_columns.emplace_back(c);
  }
  s.exec("BEGIN");
  s.exec("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  s.exec("CREATE TABLE results(" + columns + ", PRIMARY KEY(point, kernel))");
  s.exec("CREATE INDEX results_hash ON results(hash)");
  Stmt ins(db, "INSERT INTO meta(key, value) VALUES(?, ?)", s.m_path);
  auto put = [&](const std::string& k, const std::string& v) {
    ins.reset();
    ins.bind(1, k);
    ins.bind(2, v);
    ins.step();
  };
  put("schema", kStoreSchema);
  for (const auto& [k, v] : meta) {
    if (k != "schema") put(k, v);
  }
  s.exec("COMMIT");
  return s;
}

Store Store::open(const std::string& path, bool read_only) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw InputError(fmt::format("{}: {}", path, fs::exists(path, ec) ? "not a file" : "no such store"));
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE, nullptr);
  Store s(path, db);
  if (rc != SQLITE_OK) throw InputError(fmt::format("{}: cannot open the store ({})", path, sqlite3_errmsg(db)));
  sqlite3_busy_timeout(db, 10000);
  std::string schema;
  try {
    schema = s.meta("schema");
    Stmt cols(db, "PRAGMA table_info(results)", s.m_path);
    while (cols.step()) s.m_columns.push_back(cols.text(1));
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: not an npusim sweep store ({})", path, std::string(e.what()).substr(path.size() + 2)));
  }
  if (schema != kStoreSchema || s.m_columns.empty()) {
    throw InputError(fmt::format("{}: a sweep store of schema '{}'; this npusim reads schema {}", path, schema,
                                 kStoreSchema));
  }
  return s;
}

std::string Store::meta(const std::string& key) const {
  Stmt q(m_db, "SELECT value FROM meta WHERE key = ?", m_path);
  q.bind(1, key);
  return q.step() ? q.text(0) : std::string();
}

bool Store::has_point(std::uint64_t point) {
  Stmt q(m_db, "SELECT COUNT(*), SUM(status = 'error') FROM results WHERE point = ?", m_path);
  q.bind(1, static_cast<std::int64_t>(point));
  q.step();
  return q.value(0).as_int64() > 0 && q.value(1).as_int64() == 0;
}

std::uint64_t Store::points() {
  Stmt q(m_db, "SELECT COUNT(DISTINCT point) FROM results", m_path);
  q.step();
  return static_cast<std::uint64_t>(q.value(0).as_int64());
}

std::map<std::string, std::uint64_t> Store::failures() {
  Stmt q(m_db,
         "SELECT w, COUNT(*) FROM (SELECT MAX(CASE status WHEN 'error' THEN 2 WHEN 'invalid' THEN 1 ELSE 0 END) AS w "
         "FROM results GROUP BY point) WHERE w > 0 GROUP BY w",
         m_path);
  std::map<std::string, std::uint64_t> out;
  while (q.step()) out[q.value(0).as_int64() == 2 ? "error" : "invalid"] = static_cast<std::uint64_t>(q.value(1).as_int64());
  return out;
}

void Store::ensure_column(const std::string& name) {
  if (std::find(m_columns.begin(), m_columns.end(), name) != m_columns.end()) return;
  exec("ALTER TABLE results ADD COLUMN " + ident(name));
  m_columns.push_back(name);
}

void Store::add_point(std::uint64_t point, const std::vector<std::string>& axis_names,
                      const std::vector<std::string>& axis_values, const PointResult& result, double wall_seconds) {
  exec("BEGIN IMMEDIATE");
  try {
    Stmt old(m_db, "DELETE FROM results WHERE point = ?", m_path);  // a failed point run again
    old.bind(1, static_cast<std::int64_t>(point));
    old.step();
    std::set<std::string> reserved(axis_names.begin(), axis_names.end());
    reserved.insert(kKeyColumns.begin(), kKeyColumns.end());
    reserved.insert(kRowColumns.begin(), kRowColumns.end());
    reserved.insert(kHiddenColumns.begin(), kHiddenColumns.end());
    for (std::size_t r = 0; r < result.rows.size(); ++r) {
      const PointRow& row = result.rows[r];
      std::vector<std::pair<std::string, json::value>> cells;
      cells.emplace_back("point", static_cast<std::int64_t>(point));
      cells.emplace_back("hash", result.hash);
      for (std::size_t a = 0; a < axis_names.size(); ++a) {
        // Numbers are stored as numbers, so that `WHERE chunk = 64` and sorting work.
        const std::string& v = axis_values[a];
        json::value cell(v);
        std::size_t used = 0;
        try {
          if (!v.empty() && v.find_first_not_of("-0123456789") == std::string::npos) {
            const long long n = std::stoll(v, &used);
            if (used == v.size()) cell = static_cast<std::int64_t>(n);
          } else if (!v.empty() && v.find_first_not_of("-+0123456789.eE") == std::string::npos) {
            const double d = std::stod(v, &used);
            if (used == v.size()) cell = d;
          }
        } catch (const std::exception&) {
        }
        cells.emplace_back(axis_names[a], cell);
      }
      cells.emplace_back("kernel", row.label);
      cells.emplace_back("kernel_index", static_cast<std::int64_t>(r));
      cells.emplace_back("status", row.status);
      cells.emplace_back("message", row.message);
      cells.emplace_back("cycles", row.cycles ? json::value(*row.cycles) : json::value(nullptr));
      const auto& base = result.rows.front().cycles;
      cells.emplace_back("speedup", base && row.cycles && *row.cycles
                                        ? json::value(double(*base) / double(*row.cycles))
                                        : json::value(nullptr));
      cells.emplace_back("wall_seconds", wall_seconds);
      for (const auto& kv : row.figures) {
        const std::string key(kv.key());
        if (reserved.count(key)) continue;  // cycles, and an axis such as hw.cores: already a column
        ensure_column(key);
        cells.emplace_back(key, kv.value());
      }
      std::string names, marks;
      for (const auto& c : cells) {
        names += (names.empty() ? "" : ", ") + ident(c.first);
        marks += marks.empty() ? "?" : ", ?";
      }
      Stmt ins(m_db, "INSERT INTO results(" + names + ") VALUES(" + marks + ")", m_path);
      for (std::size_t i = 0; i < cells.size(); ++i) ins.bind(int(i + 1), cells[i].second);
      ins.step();
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void Store::merge(Store& other) {
  for (const auto& c : other.m_columns) ensure_column(c);
  exec("BEGIN IMMEDIATE");
  try {
    Stmt rows(other.m_db, "SELECT * FROM results ORDER BY point, kernel_index", other.m_path);
    while (rows.step()) {
      std::int64_t point = 0;
      std::string kernel;
      for (int i = 0; i < rows.columns(); ++i) {
        if (rows.name(i) == "point") point = rows.value(i).as_int64();
        if (rows.name(i) == "kernel") kernel = rows.text(i);
      }
      Stmt mine(m_db, "SELECT * FROM results WHERE point = ? AND kernel = ?", m_path);
      mine.bind(1, point);
      mine.bind(2, kernel);
      if (mine.step()) {
        std::map<std::string, json::value> have;
        for (int i = 0; i < mine.columns(); ++i) have[mine.name(i)] = mine.value(i);
        for (int i = 0; i < rows.columns(); ++i) {
          const std::string col = rows.name(i);
          if (col == "wall_seconds") continue;
          const json::value theirs = rows.value(i);
          const auto it = have.find(col);
          const json::value ours = it == have.end() ? json::value(nullptr) : it->second;
          if (ours != theirs) {
            throw InputError(fmt::format("{} and {}: conflicting results for point {} kernel {}: {} is {} in one and "
                                         "{} in the other",
                                         m_path, other.m_path, point, kernel, col, json::serialize(ours),
                                         json::serialize(theirs)));
          }
        }
        continue;
      }
      std::string names, marks;
      for (int i = 0; i < rows.columns(); ++i) {
        names += (names.empty() ? "" : ", ") + ident(rows.name(i));
        marks += marks.empty() ? "?" : ", ?";
      }
      Stmt ins(m_db, "INSERT INTO results(" + names + ") VALUES(" + marks + ")", m_path);
      for (int i = 0; i < rows.columns(); ++i) ins.bind(i + 1, rows.value(i));
      ins.step();
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<std::string> Store::axis_names() const {
  const json::value axes = parse_meta_json(meta("axes"), m_path);
  std::vector<std::string> out;
  if (axes.is_array()) {
    for (const auto& a : axes.as_array()) {
      if (a.is_string()) out.emplace_back(a.as_string());
    }
  }
  if (!axes.is_array() || out.size() != axes.as_array().size()) {
    throw InputError(fmt::format("{}: meta 'axes' is {}, expected a list of axis names: not a store npusim wrote",
                                 m_path, json::serialize(axes)));
  }
  return out;
}

std::vector<std::string> Store::export_columns(bool wall) {
  std::vector<std::string> out = kKeyColumns;
  const std::vector<std::string> axes = axis_names();
  out.insert(out.end(), axes.begin(), axes.end());
  out.insert(out.end(), kRowColumns.begin(), kRowColumns.end());
  std::vector<std::string> figures;
  for (const auto& c : m_columns) {
    if (std::find(out.begin(), out.end(), c) == out.end() &&
        std::find(kHiddenColumns.begin(), kHiddenColumns.end(), c) == kHiddenColumns.end()) {
      figures.push_back(c);
    }
  }
  std::sort(figures.begin(), figures.end());
  out.insert(out.end(), figures.begin(), figures.end());
  if (wall) out.emplace_back("wall_seconds");
  return out;
}

void Store::export_csv(const std::string& path) {
  const auto cols = export_columns(false);
  AtomicFile f(path);
  std::string select;
  for (const auto& c : cols) select += (select.empty() ? "" : ", ") + ident(c);
  f.out() << csv_record(cols);
  Stmt q(m_db, "SELECT " + select + " FROM results ORDER BY point, kernel_index", m_path);
  std::vector<std::string> fields;
  while (q.step()) {
    fields.clear();
    for (int i = 0; i < q.columns(); ++i) fields.push_back(q.csv_text(i));
    f.out() << csv_record(fields);
  }
  f.commit();
}

std::vector<StoredRow> Store::rows() {
  const auto axes = axis_names();
  std::string select = "point, hash, kernel, status, message";
  for (const auto& a : axes) select += ", " + ident(a);
  std::vector<std::string> figures = {"cycles", "speedup"};
  for (const auto& c : export_columns(false)) {
    if (std::find(kKeyColumns.begin(), kKeyColumns.end(), c) == kKeyColumns.end() &&
        std::find(kRowColumns.begin(), kRowColumns.end(), c) == kRowColumns.end() &&
        std::find(axes.begin(), axes.end(), c) == axes.end()) {
      figures.push_back(c);
    }
  }
  for (const auto& f : figures) select += ", " + ident(f);
  Stmt q(m_db, "SELECT " + select + " FROM results ORDER BY point, kernel_index", m_path);
  std::vector<StoredRow> out;
  const int first_figure = 5 + int(axes.size());
  while (q.step()) {
    StoredRow r;
    r.point = static_cast<std::uint64_t>(q.value(0).as_int64());
    r.hash = q.text(1);
    r.kernel = q.text(2);
    r.status = q.text(3);
    r.message = q.text(4);
    for (std::size_t a = 0; a < axes.size(); ++a) r.axis_values.push_back(q.csv_text(5 + int(a)));
    for (int i = first_figure; i < q.columns(); ++i) {
      if (!q.is_null(i)) r.figures[figures[std::size_t(i - first_figure)]] = q.value(i);
    }
    out.push_back(std::move(r));
  }
  return out;
}

void Store::export_jsonl(const std::string& path) {
  const auto cols = export_columns(true);
  AtomicFile f(path);
  std::string select;
  for (const auto& c : cols) select += (select.empty() ? "" : ", ") + ident(c);
  Stmt q(m_db, "SELECT " + select + " FROM results ORDER BY point, kernel_index", m_path);
  const std::set<std::string> kept = [&] {  // columns every row has, null or not
    std::set<std::string> k(kKeyColumns.begin(), kKeyColumns.end());
    k.insert(kRowColumns.begin(), kRowColumns.end());
    for (const auto& a : axis_names()) k.insert(a);
    return k;
  }();
  while (q.step()) {
    json::object o;
    for (int i = 0; i < q.columns(); ++i) {
      if (q.is_null(i) && !kept.count(cols[i])) continue;  // a figure this row does not have
      o[cols[i]] = q.value(i);
    }
    f.out() << to_json_line(o);
  }
  f.commit();
}

}  // namespace npusim::sim
