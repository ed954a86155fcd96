// The event log's schema: versions, migrations and the checks that make a
// file a sentry database.
//
// share/sql/NNN_*.sql are the migrations, embedded at build time; file N
// takes a database from version N-1 to N (`PRAGMA user_version`). A sentry
// database carries kApplicationId (`PRAGMA application_id`), so a file that
// is some other program's SQLite database is refused, not written into.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/sqlite.h"

namespace sentry::inspect {

// "SNTR": written into the file header at creation.
inline constexpr std::int32_t kApplicationId = 0x534e5452;

struct Migration {
  int version = 0;
  std::string_view file;
  std::string_view sql;
};
// Every migration, in version order (generated from share/sql/).
const std::vector<Migration>& Migrations();
int LatestSchemaVersion();

// Opens (creating if missing) `path` for writing runs: checks it is a
// sentry database of a version this sentry knows, migrates it to the
// latest, sets WAL. The error is one line naming the file.
std::expected<Database, std::string> OpenForWriting(const std::string& path);

// Opens an existing sentry database read-only, for `inspect`/`replay`.
std::expected<Database, std::string> OpenForReading(const std::string& path);

}  // namespace sentry::inspect
