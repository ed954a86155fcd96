#include "inspect/db_replay.h"

#include <fmt/format.h>

#include "inspect/observation_columns.h"
#include "inspect/read_ahead.h"

namespace sentry::inspect {

std::expected<std::uint64_t, std::string> ReplayRun(Database& db, std::int64_t run_id,
                                                    std::uint64_t at, kernel::Kernel& model,
                                                    const ReplayedObservation& on_applied) {
  auto stmt = db.Prepare(
      "SELECT seq, time_ns, kind, tid, a, b, c, d, e, f, g, text, list FROM observation "
      "WHERE run_id = ?1 AND (?2 = 0 OR seq <= ?2) ORDER BY seq");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, run_id).Bind(2, static_cast<std::int64_t>(at));
  struct Decoded {
    std::uint64_t seq = 0;
    kernel::Observation observation;
  };
  auto decode = [&](const Statement& row) -> std::expected<Decoded, std::string> {
    ObservationColumns cols{
        .kind = row.Text(2), .tid = row.Int(3), .ints = {}, .text = {}, .list = {}};
    for (int i = 0; i < 7; ++i) cols.ints[static_cast<std::size_t>(i)] = row.Int(4 + i);
    if (!row.IsNull(11)) cols.text = std::string(row.Text(11));
    if (!row.IsNull(12)) cols.list = std::string(row.Text(12));
    auto body = FromColumns(cols);
    if (!body) {
      return std::unexpected(
          fmt::format("run {} observation {}: {}", run_id, row.Int(0), body.error()));
    }
    return Decoded{.seq = static_cast<std::uint64_t>(row.Int(0)),
                   .observation = {.time_ns = row.Int(1), .body = std::move(*body)}};
  };
  std::uint64_t applied = 0;
  auto read = ReadAhead<Decoded>(*stmt, decode, [&](std::vector<Decoded>& rows) {
    for (const Decoded& d : rows) {
      const auto records = model.Apply(d.observation);
      if (on_applied) on_applied(d.observation, d.seq, records);
      ++applied;
    }
  });
  if (!read) return std::unexpected(read.error());
  return applied;
}

std::expected<void, std::string> ForEachStoredObservation(Database& db, std::int64_t run_id,
                                                          std::uint64_t at,
                                                          const StoredObservation& on_records) {
  auto stmt = db.Prepare(
      "SELECT seq, time_ns, kind, utid, tid, other_utid, other_tid, value, value2, detail, rule "
      "FROM record WHERE run_id = ?1 AND (?2 = 0 OR seq <= ?2) ORDER BY seq, idx");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, run_id).Bind(2, static_cast<std::int64_t>(at));
  auto to_record = [&](const Statement& row) -> std::expected<kernel::Record, std::string> {
    kernel::Record r;
    r.seq = static_cast<std::uint64_t>(row.Int(0));
    r.time_ns = row.Int(1);
    r.kind = static_cast<kernel::RecordKind>(row.Int(2));
    r.task = kernel::TaskUid(static_cast<std::uint64_t>(row.Int(3)));
    r.tid = kernel::ThreadId(static_cast<std::int32_t>(row.Int(4)));
    r.other_task = kernel::TaskUid(static_cast<std::uint64_t>(row.Int(5)));
    r.other_tid = kernel::ThreadId(static_cast<std::int32_t>(row.Int(6)));
    r.value = row.Int(7);
    r.value2 = row.Int(8);
    r.detail = std::string(row.Text(9));
    const std::int64_t rule = row.Int(10);
    if (rule < 0 || rule > static_cast<std::int64_t>(kernel::kLastRule)) {
      return std::unexpected(
          fmt::format("run {} record at observation {}: unknown rule {}", run_id, r.seq, rule));
    }
    r.rule = static_cast<kernel::Rule>(rule);
    return r;
  };
  std::vector<kernel::Record> group;  // one observation's
  auto read = ReadAhead<kernel::Record>(*stmt, to_record, [&](std::vector<kernel::Record>& rows) {
    for (kernel::Record& r : rows) {
      if (!group.empty() && r.seq != group.front().seq) {
        on_records(group);
        group.clear();
      }
      group.push_back(std::move(r));
    }
  });
  if (!read) return read;
  if (!group.empty()) on_records(group);
  return {};
}

std::expected<std::vector<kernel::Record>, std::string> StoredRecords(Database& db,
                                                                      std::int64_t run_id,
                                                                      std::uint64_t at) {
  std::vector<kernel::Record> out;
  auto done = ForEachStoredObservation(db, run_id, at, [&](std::span<const kernel::Record> rs) {
    out.insert(out.end(), rs.begin(), rs.end());
  });
  if (!done) return std::unexpected(done.error());
  return out;
}

std::expected<kernel::Narrator, std::string> NarratorFor(Database& db, std::int64_t run_id) {
  kernel::Narrator narrator;
  // The names no record gives (tasks there before the run, and a name the
  // platform gave at a clone, which a process that never exec'd keeps),
  // and how each task was cloned.
  auto stmt = db.Prepare(
      "SELECT t.utid, t.clone_flags, "
      "CASE WHEN t.creator_utid IS NULL OR p.exec_count = 0 THEN p.comm END "
      "FROM thread t LEFT JOIN process p ON p.run_id = t.run_id AND p.upid = t.upid "
      "WHERE t.run_id = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, run_id);
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const kernel::TaskUid task(static_cast<std::uint64_t>(stmt->Int(0)));
    if (!stmt->IsNull(1)) narrator.NoteCloneFlags(task, static_cast<std::uint64_t>(stmt->Int(1)));
    if (!stmt->IsNull(2)) narrator.Name(task, std::string(stmt->Text(2)));
  }
  return narrator;
}

}  // namespace sentry::inspect
