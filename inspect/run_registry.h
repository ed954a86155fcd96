// The `run` table: one row per `sentry run`, from "running" to "finished",
// or "interrupted" when its sentry died without saying so.
//
// A run row names its sentry by pid, the pid's start time and the host's
// boot id; a later open that finds the run still "running" but that
// process gone (or the pid reused, or the host rebooted) marks it
// interrupted, so a kill -9 leaves a truthful file behind.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "inspect/sqlite.h"

namespace sentry::inspect {

struct RunStart {
  std::vector<std::string> argv;
  std::string cwd;
  bool pidns = false;
  std::string platform = "ptrace";  // or "observe": which one recorded it
  std::int64_t start_time_ns = 0;   // CLOCK_MONOTONIC, the origin of every ts
};

// Marks "running" runs whose sentry is gone as interrupted; returns how many.
std::expected<int, std::string> MarkInterruptedRuns(Database& db);

// Inserts the row of a new run (state running) and returns its run_id.
std::expected<std::int64_t, std::string> BeginRun(Database& db, const RunStart& start);

// The run ended: its exit code, state finished.
std::expected<void, std::string> FinishRun(Database& db, std::int64_t run_id, int exit_code);

// CLOCK_MONOTONIC now, in ns (the clock observations are stamped with).
std::int64_t MonotonicNow();

}  // namespace sentry::inspect
