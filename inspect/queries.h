// The questions `sentry inspect` answers, each as a ResultTable: runs,
// waits, zombies, timeline, ps and tree (the last three by replaying the
// run to the point asked), and any SQL a user writes.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "inspect/numbering.h"
#include "inspect/result_table.h"
#include "inspect/sqlite.h"

namespace sentry::inspect {

// The run a question is about: `wanted`, or the last one. The error says
// which runs exist.
std::expected<std::int64_t, std::string> ResolveRun(Database& db,
                                                    std::optional<std::int64_t> wanted);

std::expected<Answer, std::string> RunsTable(Database& db);
// Wait calls that reported a child (all of them with `all`: nothing to
// report, ECHILD and the other errors too).
std::expected<Answer, std::string> WaitsTable(Database& db, std::int64_t run, bool all,
                                              const PidNumbering& numbering);
// Records in order as sentences; with `pid`, those naming it; with `at`
// (not 0), up to observation `at`. `pid` is in `numbering`'s ids (or the host's).
// The answer reads `db` as it is printed.
std::expected<Answer, std::string> TimelineTable(Database& db, std::int64_t run,
                                                 std::optional<std::int32_t> pid,
                                                 const PidNumbering& numbering,
                                                 std::uint64_t at = 0);
// How many observations run `run` has (the largest --at it can answer).
std::expected<std::int64_t, std::string> ObservationCount(Database& db, std::int64_t run);
// The model replayed to observation `at` (0: the end of the log).
// Numbered in the namespace, they list the processes it has, as its `ps` would.
std::expected<Answer, std::string> PsTable(Database& db, std::int64_t run, std::uint64_t at,
                                           const PidNumbering& numbering);
std::expected<Answer, std::string> ZombiesTable(Database& db, std::int64_t run, std::uint64_t at,
                                                const PidNumbering& numbering);
// Every process of the run in the tree it was born into (at = 0), or the
// live tree at observation `at`.
std::expected<Answer, std::string> TreeTable(Database& db, std::int64_t run, std::uint64_t at,
                                             const PidNumbering& numbering);
// One read-only statement.
std::expected<Answer, std::string> SqlTable(Database& db, const std::string& sql);

}  // namespace sentry::inspect
