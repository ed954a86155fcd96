#include "inspect/explain.h"

#include <fmt/format.h>

#include <algorithm>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "inspect/db_replay.h"
#include "sentry/kernel/narrate.h"
#include "sentry/kernel/record.h"

namespace sentry::inspect {

namespace {

using kernel::RecordKind;

std::unexpected<std::string> Fail(std::string error) {
  return std::unexpected(std::move(error));
}

}  // namespace

std::expected<Answer, std::string> ExplainProcess(Database& db, std::int64_t run,
                                                  ExplainTarget target,
                                                  const PidNumbering& numbering) {
  // Which process: by upid, or the only one with this pid.
  std::int64_t upid = target.upid;
  if (upid == 0) {
    auto find = db.Prepare(
        "SELECT upid, comm, start_ts, ns_pids FROM process WHERE run_id = ? AND pid = ? ORDER BY "
        "upid");
    if (!find) return Fail(find.error());
    // Every process that had the id: in the namespace (which may have reused
    // it), or on the host.
    std::vector<std::string> candidates;
    for (const std::int32_t host_pid : numbering.HostIdsOf(target.pid)) {
      find->Reset();
      find->Bind(1, run).Bind(2, std::int64_t{host_pid});
      for (;;) {
        auto row = find->Step();
        if (!row) return Fail(row.error());
        if (!*row) break;
        if (numbering.IsNamespaceId(target.pid) &&
            PidNumbering::NamespaceIdIn(find->Text(3)) != target.pid) {
          continue;  // the host reused the pid of the one asked for
        }
        upid = find->Int(0);
        candidates.push_back(fmt::format("upid {} ({}, started at {:.3f}s)", find->Int(0),
                                         find->Text(1), static_cast<double>(find->Int(2)) / 1e9));
      }
    }
    if (candidates.empty()) return Fail(fmt::format("run {} has no process {}", run, target.pid));
    if (candidates.size() > 1) {
      std::string list;
      for (const auto& c : candidates) list += (list.empty() ? "" : "; ") + c;
      return Fail(
          fmt::format("pid {} was used by {} processes in run {}: {}; choose one with "
                      "--upid",
                      target.pid, candidates.size(), run, list));
    }
  }

  // Its tasks: every thread the process ever had.
  std::unordered_set<kernel::TaskUid> mine;
  {
    auto threads = db.Prepare("SELECT utid FROM thread WHERE run_id = ? AND upid = ?");
    if (!threads) return Fail(threads.error());
    threads->Bind(1, run).Bind(2, upid);
    for (;;) {
      auto row = threads->Step();
      if (!row) return Fail(row.error());
      if (!*row) break;
      mine.insert(kernel::TaskUid(static_cast<std::uint64_t>(threads->Int(0))));
    }
  }
  if (mine.empty()) return Fail(fmt::format("run {} has no upid {}", run, upid));
  auto start = db.QueryInt(fmt::format("SELECT start_time_ns FROM run WHERE run_id = {}", run));
  if (!start) return Fail(start.error());
  auto narrator = NarratorFor(db, run);
  if (!narrator) return Fail(narrator.error());
  if (numbering.InNamespace()) narrator->NumberInNamespace(numbering.ForNarrator());

  // The run told in order, as it is read (a sentence may rest on an earlier
  // one); the sentences about this process go out as they are made.
  return Answer(
      {"seq", "time", "event"},
      [&db, run, start = *start, mine = std::move(mine), narrator = std::move(*narrator)](
          const RowSink& sink) mutable -> std::expected<void, std::string> {
        bool zombie = false;
        bool reaped = false;
        auto told = ForEachStoredObservation(db, run, 0, [&](std::span<const kernel::Record> rs) {
          for (const kernel::Record& r : rs) {
            if (!mine.contains(r.task)) continue;
            // Its main thread's exit and reap (a thread's own are no zombie).
            if (r.kind == RecordKind::kParentNotified && r.value2 == 0) zombie = true;
            if (r.kind == RecordKind::kReaped &&
                static_cast<kernel::ReapCause>(r.value2) != kernel::ReapCause::kThread &&
                static_cast<kernel::ReapCause>(r.value2) != kernel::ReapCause::kExec)
              reaped = true;
          }
          for (kernel::Sentence& s : narrator.Narrate(rs)) {
            if (!mine.contains(s.subject) && !mine.contains(s.other)) continue;
            sink({Cell{.text = std::to_string(s.seq), .number = true},
                  SecondsCell(s.time_ns - start),
                  Cell{.text = std::move(s.text), .number = false}});
          }
        });
        if (!told) return told;
        if (zombie && !reaped) {
          sink({Cell{}, Cell{},
                Cell{.text = "the log ends with it still a zombie: `sentry inspect zombies` "
                             "says why nobody reaped it",
                     .number = false}});
        }
        return {};
      });
}

}  // namespace sentry::inspect
