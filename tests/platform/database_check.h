// Checks a `sentry run --db` file against the same run's --log-records
// file, reading the database with plain SQLite (not the writer's code).
#pragma once

#include <string>
#include <vector>

#include "sentry/kernel/record.h"

namespace sentry::platform::testing {

// The run in `db_path` (its only run) is finished with `exit_code`, holds
// every record of `records` in order, field for field, and its summary
// tables agree with them (one process row per leader created, every reap),
// and `sentry replay --db` rebuilds exactly those records from its
// observations.
void ExpectDatabaseMatchesLog(const std::string& db_path,
                              const std::vector<kernel::Record>& records, int exit_code);

}  // namespace sentry::platform::testing
