#include "inspect/sqlite.h"

#include <climits>
#include <cstring>

namespace sentry::inspect {

namespace {

std::string Message(sqlite3* db, int rc) {
  // sqlite3_errmsg is the connection's last error; errstr the code's words.
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return msg != nullptr ? msg : sqlite3_errstr(rc);
}

int Size(std::string_view text) {
  return text.size() > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(text.size());
}

}  // namespace

Statement& Statement::Bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_.get(), index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::optional<std::int64_t> value) {
  if (value) return Bind(index, *value);
  return BindNull(index);
}

Statement& Statement::Bind(int index, std::string_view text) {
  // With its length: no terminator needed.
  sqlite3_bind_text(stmt_.get(), index,
                    text.data(),  // NOLINT(bugprone-suspicious-stringview-data-usage)
                    Size(text), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_.get(), index);
  return *this;
}

std::expected<bool, std::string> Statement::Step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string msg = Message(sqlite3_db_handle(stmt_.get()), rc);
  sqlite3_reset(stmt_.get());
  return std::unexpected(std::move(msg));
}

std::expected<void, std::string> Statement::Run() {
  for (;;) {
    auto row = Step();
    if (!row) {
      sqlite3_clear_bindings(stmt_.get());
      return std::unexpected(row.error());
    }
    if (!*row) break;
  }
  Reset();
  return {};
}

void Statement::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

int Statement::Columns() const {
  return sqlite3_column_count(stmt_.get());
}

std::string_view Statement::ColumnName(int index) const {
  const char* name = sqlite3_column_name(stmt_.get(), index);
  return name != nullptr ? name : "";
}

bool Statement::IsNull(int index) const {
  return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL;
}

int Statement::Type(int index) const {
  return sqlite3_column_type(stmt_.get(), index);
}

std::int64_t Statement::Int(int index) const {
  return sqlite3_column_int64(stmt_.get(), index);
}

double Statement::Real(int index) const {
  return sqlite3_column_double(stmt_.get(), index);
}

std::string_view Statement::Text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), index));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), index))};
}

std::expected<Database, std::string> Database::Open(const std::string& path, Mode mode) {
  sqlite3* raw = nullptr;
  const int flags = (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY
                                             : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db;
  db.path_ = path;
  db.db_.reset(raw);
  if (rc != SQLITE_OK) {
    // "unable to open database file" says nothing of why: the OS error does.
    const int os_error = raw != nullptr ? sqlite3_system_errno(raw) : 0;
    std::string why = Message(raw, rc);
    if (os_error != 0) why += std::string(" (") + std::strerror(os_error) + ")";
    return std::unexpected(path + ": " + why);
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

std::expected<void, std::string> Database::Exec(std::string_view sql) {
  const std::string text(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return {};
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return std::unexpected(std::move(msg));
}

std::expected<Statement, std::string> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  // With its length: no terminator needed.
  const int rc =
      sqlite3_prepare_v3(db_.get(),
                         sql.data(),  // NOLINT(bugprone-suspicious-stringview-data-usage)
                         Size(sql), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return std::unexpected(Message(db_.get(), rc));
  }
  return Statement(stmt);
}

std::expected<std::int64_t, std::string> Database::QueryInt(std::string_view sql) {
  auto stmt = Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  return *row ? stmt->Int(0) : 0;
}

std::int64_t Database::LastInsertRowid() const {
  return sqlite3_last_insert_rowid(db_.get());
}

std::string Database::ErrorMessage() const {
  return sqlite3_errmsg(db_.get());
}

}  // namespace sentry::inspect
