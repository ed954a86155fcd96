// Replays a run stored in the event log: its observations, decoded from
// the `observation` table in order, applied to a fresh model. The same
// Kernel::Apply as the live run, so the model comes out as it was.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "inspect/sqlite.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/narrate.h"
#include "sentry/kernel/record.h"

namespace sentry::inspect {

// What a replay hands on for each observation applied: the observation, its
// seq, and the records it made (a RecordConsumer's Consume takes the same).
using ReplayedObservation = std::function<void(const kernel::Observation&, std::uint64_t seq,
                                               std::span<const kernel::Record>)>;

// Applies run `run_id`'s observations with seq <= at (0: all) to `model`;
// `on_applied` (if set) sees each one. Returns how many observations were
// applied; the error names the seq that failed to decode. The rows are read
// on a thread of their own meanwhile (read_ahead.h): `on_applied` must not
// use `db`.
std::expected<std::uint64_t, std::string> ReplayRun(Database& db, std::int64_t run_id,
                                                    std::uint64_t at, kernel::Kernel& model,
                                                    const ReplayedObservation& on_applied = {});

// The records run `run_id` stored, in order (seq <= at; 0: all), time_ns as
// the live run stamped them.
std::expected<std::vector<kernel::Record>, std::string> StoredRecords(Database& db,
                                                                      std::int64_t run_id,
                                                                      std::uint64_t at);

// The same, handed to `on_records` one observation's records at a time:
// a long run's are never all in memory. As in ReplayRun, `on_records` must
// not use `db`.
using StoredObservation = std::function<void(std::span<const kernel::Record>)>;
std::expected<void, std::string> ForEachStoredObservation(Database& db, std::int64_t run_id,
                                                          std::uint64_t at,
                                                          const StoredObservation& on_records);

// A narrator for a stored run: told what its tables know that no record
// says (the names of tasks there before the run, each task's clone flags).
std::expected<kernel::Narrator, std::string> NarratorFor(Database& db, std::int64_t run_id);

}  // namespace sentry::inspect
