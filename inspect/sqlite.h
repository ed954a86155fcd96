// Thin RAII owners for a SQLite connection and a prepared statement, with
// errors as values. Only what the event log and `sentry inspect` use.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sentry::inspect {

// How long a connection waits for another's lock before SQLITE_BUSY.
inline constexpr int kBusyTimeoutMs = 5000;

class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}

  // Binds by 1-based position; an empty optional binds NULL.
  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, std::optional<std::int64_t> value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindNull(int index);

  // Runs one step: true with a row to read, false when done; the error
  // names SQLite's message. Reset() makes it ready to run again.
  std::expected<bool, std::string> Step();
  // Step() to the end, then Reset() and clear the bindings.
  std::expected<void, std::string> Run();
  void Reset();

  int Columns() const;
  std::string_view ColumnName(int index) const;
  bool IsNull(int index) const;
  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL.
  int Type(int index) const;
  std::int64_t Int(int index) const;
  double Real(int index) const;
  std::string_view Text(int index) const;

  sqlite3_stmt* Get() const { return stmt_.get(); }

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

class Database {
 public:
  enum class Mode : std::uint8_t { kReadOnly, kReadWriteCreate };
  // Opens `path`; the error names the file and SQLite's reason.
  static std::expected<Database, std::string> Open(const std::string& path, Mode mode);

  // Runs one or more statements with no results.
  std::expected<void, std::string> Exec(std::string_view sql);
  std::expected<Statement, std::string> Prepare(std::string_view sql);
  // The first column of the first row of `sql` as an integer (0 if none).
  std::expected<std::int64_t, std::string> QueryInt(std::string_view sql);

  std::int64_t LastInsertRowid() const;
  std::string ErrorMessage() const;
  sqlite3* Get() const { return db_.get(); }
  const std::string& Path() const { return path_; }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::string path_;
  std::unique_ptr<sqlite3, Close> db_;
};

}  // namespace sentry::inspect
