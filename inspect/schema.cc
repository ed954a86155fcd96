#include "inspect/schema.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "inspect/lookup_tables.h"

namespace sentry::inspect {

namespace {

// What the file's header says, read without changing anything.
struct Header {
  std::int64_t application_id = 0;
  std::int64_t version = 0;
  std::int64_t objects = 0;  // tables, indexes, views
};

std::expected<Header, std::string> ReadHeader(Database& db) {
  Header h;
  // The first read of the schema is where SQLite finds a file is no database.
  auto objects = db.QueryInt("SELECT count(*) FROM sqlite_schema");
  if (!objects) return std::unexpected(objects.error());
  h.objects = *objects;
  auto app = db.QueryInt("PRAGMA application_id");
  if (!app) return std::unexpected(app.error());
  h.application_id = *app;
  auto version = db.QueryInt("PRAGMA user_version");
  if (!version) return std::unexpected(version.error());
  h.version = *version;
  return h;
}

// Refuses files that are not sentry databases or are newer than this sentry.
std::expected<void, std::string> CheckHeader(const std::string& path, const Header& h) {
  if (h.objects == 0 && h.application_id == 0) return {};  // new and empty
  if (h.application_id != kApplicationId) {
    return std::unexpected(
        fmt::format("{}: not a sentry database (a SQLite file of another program)", path));
  }
  if (h.version > LatestSchemaVersion()) {
    return std::unexpected(
        fmt::format("{}: written by a newer sentry (schema version {}; this one knows up to {})",
                    path, h.version, LatestSchemaVersion()));
  }
  return {};
}

// Turning a new file's journal into a WAL takes an exclusive lock that
// SQLite asks for once, without the busy handler: with several sentries
// opening one new file at once (runs started together in one directory), the
// losers got "database is locked" at once (about 1 round in 20 of six under
// load). Retried for as long as the busy timeout would have waited; once the
// file is a WAL, the pragma asks for no lock.
std::expected<void, std::string> EnterWalMode(Database& db) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    auto done = db.Exec("PRAGMA journal_mode = WAL");
    if (done || (sqlite3_errcode(db.Get()) & 0xff) != SQLITE_BUSY ||
        std::chrono::steady_clock::now() >= deadline) {
      return done;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

std::expected<void, std::string> Migrate(Database& db, std::int64_t from) {
  for (const Migration& m : Migrations()) {
    if (m.version <= from) continue;
    auto done = db.Exec("BEGIN IMMEDIATE");
    // Another sentry opening the same new file at once may have migrated it
    // since `from` was read: the version again, under the write lock.
    if (done) {
      const auto now = db.QueryInt("PRAGMA user_version");
      if (!now) {
        done = std::unexpected(now.error());
      } else if (*now >= m.version) {
        done = db.Exec("COMMIT");
        if (done) continue;
      }
    }
    if (done) done = db.Exec(m.sql);
    if (done && m.version == 1) done = FillLookupTables(db);
    if (done && m.version == 3) done = FillRuleTable(db);
    if (done) done = db.Exec(fmt::format("PRAGMA application_id = {}", kApplicationId));
    if (done) done = db.Exec(fmt::format("PRAGMA user_version = {}", m.version));
    if (done) done = db.Exec("COMMIT");
    if (!done) {
      (void)db.Exec("ROLLBACK");
      return std::unexpected(fmt::format("migrating to {}: {}", m.file, done.error()));
    }
  }
  return {};
}

std::string Prefixed(const std::string& path, const std::string& error) {
  return error.starts_with(path) ? error : path + ": " + error;
}

}  // namespace

int LatestSchemaVersion() {
  return Migrations().empty() ? 0 : Migrations().back().version;
}

std::expected<Database, std::string> OpenForWriting(const std::string& path) {
  auto db = Database::Open(path, Database::Mode::kReadWriteCreate);
  if (!db) return std::unexpected(db.error());
  // A lock held by another writer is waited for (busy timeout), not an error.
  auto header = ReadHeader(*db);
  if (!header) return std::unexpected(Prefixed(path, header.error()));
  if (auto ok = CheckHeader(path, *header); !ok) return std::unexpected(ok.error());
  // WAL: readers (the sqlite3 CLI, inspect) never block the writer. NORMAL
  // sync: a crash loses at most the last transactions, never the file.
  // temp_store and cache: the writer's statements and its batch of updates
  // stay in memory.
  auto set = EnterWalMode(*db);
  if (set) {
    set = db->Exec(
        "PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 67108864; "
        "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32768;");
  }
  if (!set) return std::unexpected(Prefixed(path, "setting the journal mode: " + set.error()));
  set = Migrate(*db, header->version);
  if (!set) return std::unexpected(Prefixed(path, set.error()));
  return db;
}

std::expected<Database, std::string> OpenForReading(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return std::unexpected(fmt::format("{}: {}", path, std::strerror(errno)));
  }
  auto db = Database::Open(path, Database::Mode::kReadOnly);
  if (!db) return std::unexpected(db.error());
  auto header = ReadHeader(*db);
  if (!header) return std::unexpected(Prefixed(path, header.error()));
  if (header->objects == 0) return std::unexpected(path + ": an empty file, not a sentry database");
  if (auto ok = CheckHeader(path, *header); !ok) return std::unexpected(ok.error());
  if (header->version < LatestSchemaVersion()) {
    return std::unexpected(fmt::format(
        "{}: written by an older sentry (schema version {}); a `sentry run --db {}` upgrades it",
        path, header->version, path));
  }
  return db;
}

}  // namespace sentry::inspect
