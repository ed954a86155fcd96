#include "inspect/queries.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <span>
#include <unordered_set>

#include "inspect/db_replay.h"
#include "inspect/words.h"
#include "sentry/kernel/abi.h"
#include "sentry/kernel/describe.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/narrate.h"

namespace sentry::inspect {

namespace {

std::expected<Answer, std::string> Query(Database& db, std::string_view sql,
                                         const std::function<void(Statement&)>& bind = {}) {
  auto stmt = db.Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  if (bind) bind(*stmt);
  return Answer(std::move(*stmt));
}

Cell Text(std::string text) {
  return Cell{.text = std::move(text), .number = false};
}
Cell Number(std::int64_t n) {
  return Cell{.text = std::to_string(n), .number = true};
}

// The model as of observation `at` of `run` (0: all of them).
std::expected<void, std::string> Rebuild(Database& db, std::int64_t run, std::uint64_t at,
                                         kernel::Kernel& model) {
  auto applied = ReplayRun(db, run, at, model);
  if (!applied) return std::unexpected(applied.error());
  if (*applied == 0) return std::unexpected(fmt::format("run {} has no observations", run));
  return {};
}

// Why nobody has reaped zombie `z` yet, in words, as the model sees it.
std::string WhyUnreaped(const kernel::Kernel& model, const kernel::TaskInfo& z,
                        std::int32_t sentry_pid, const PidNumbering& numbering) {
  if (z.ppid == 0) return "its parent is outside the sandbox";
  const auto parent = model.FindTask(kernel::ThreadId(z.ppid));
  if (!parent) return fmt::format("its parent {} is gone", numbering.ShownOrZero(z.ppid));
  const auto parent_id = numbering.Shown(parent->tgid);
  const std::string who = parent_id
                              ? fmt::format("its parent {} ({})", *parent_id, parent->comm)
                              : fmt::format("its parent {} (outside the namespace)", parent->comm);
  if (parent->tgid == sentry_pid) return who + " is the sentry, which reaps it next";
  if (parent->exit_state != kernel::ExitState::kNone) {
    std::string text = who + " is exiting too";
    if (const auto reaper = model.Reaper(z.tg_uid); reaper && reaper->next_parent != 0)
      text += fmt::format("; {} adopts it", numbering.ShownOrZero(reaper->next_parent));
    return text;
  }
  if (parent->state == 'T' || parent->state == 't') return who + " is stopped";
  std::string text = who + " has not waited for it";
  if (parent->sigchld == kernel::SigChldDisposition::kHandler)
    text += " (it has a SIGCHLD handler, which has not reaped it)";
  return text;
}

}  // namespace

std::expected<std::int64_t, std::string> ResolveRun(Database& db,
                                                    std::optional<std::int64_t> wanted) {
  auto last = db.QueryInt("SELECT coalesce(max(run_id), 0) FROM run");
  if (!last) return std::unexpected(last.error());
  if (*last == 0) return std::unexpected(db.Path() + ": no runs recorded yet");
  if (!wanted) return *last;
  auto stmt = db.Prepare("SELECT count(*) FROM run WHERE run_id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *wanted);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (stmt->Int(0) == 0) {
    return std::unexpected(
        fmt::format("{}: no run {} (runs are 1 to {}; `sentry inspect runs` "
                    "lists them)",
                    db.Path(), *wanted, *last));
  }
  return *wanted;
}

std::expected<Answer, std::string> RunsTable(Database& db) {
  return Query(db,
               "SELECT run_id AS run, state, exit_code AS exit, "
               "strftime('%Y-%m-%d %H:%M:%S', start_ts / 1000000000, 'unixepoch', 'localtime') "
               "AS started, printf('%.3f', (end_ts - start_ts) / 1e9) AS seconds, "
               "(SELECT count(*) FROM process p WHERE p.run_id = run.run_id) AS processes, "
               "records, divergences, platform, command FROM run ORDER BY run_id");
}

std::expected<Answer, std::string> WaitsTable(Database& db, std::int64_t run, bool all,
                                              const PidNumbering& numbering) {
  // `asked` is the call's argument as the waiter passed it; a reported
  // child's id is taken from its process (`result` is as the waiter's
  // namespace numbers it). In the namespace, the ids come from each
  // process's ns_pids, the host's beside them.
  const bool ns = numbering.InNamespace();
  return Query(
      db,
      fmt::format(
          // Seconds to the microsecond; round(ts / 1e9, 6) would be a printf
          // and a parse per row (SQLite's round with digits).
          "SELECT h.seq, round(h.ts / 1e3) / 1e6 AS time, {waiter} AS waiter, h.waiter_comm, "
          "h.target AS asked, h.options, CASE WHEN h.result > 0 THEN {child} END AS child, "
          "h.target_comm AS child_comm, h.returned, CASE h.consumed WHEN 1 THEN 'yes' WHEN 0 "
          "THEN 'no (WNOWAIT)' END AS consumed{host_ids} FROM wait_history h{joins} WHERE "
          "h.run_id = ?1 AND (?2 OR h.result > 0) ORDER BY h.seq",
          fmt::arg("waiter", ns ? PidNumbering::NamespaceIdSql("wp.ns_pids") : "h.waiter_pid"),
          fmt::arg("child", ns ? PidNumbering::NamespaceIdSql("cp.ns_pids")
                               : "coalesce(h.target_pid, h.result)"),
          fmt::arg("host_ids", ns ? ", h.waiter_pid AS waiter_host_pid, CASE WHEN h.result > 0 "
                                    "THEN h.target_pid END AS child_host_pid"
                                  : ""),
          fmt::arg("joins",
                   ns ? " JOIN wait w ON w.run_id = h.run_id AND w.seq = h.seq "
                        "LEFT JOIN process wp ON wp.run_id = w.run_id AND wp.upid = w.waiter_upid "
                        "LEFT JOIN process cp ON cp.run_id = w.run_id AND cp.upid = w.target_upid"
                      : "")),
      [&](Statement& s) { s.Bind(1, run).Bind(2, std::int64_t{all ? 1 : 0}); });
}

std::expected<std::int64_t, std::string> ObservationCount(Database& db, std::int64_t run) {
  return db.QueryInt(
      fmt::format("SELECT coalesce(max(seq), 0) FROM observation WHERE run_id = {}", run));
}

std::expected<Answer, std::string> TimelineTable(Database& db, std::int64_t run,
                                                 std::optional<std::int32_t> pid,
                                                 const PidNumbering& numbering, std::uint64_t at) {
  auto start = db.QueryInt(fmt::format("SELECT start_time_ns FROM run WHERE run_id = {}", run));
  if (!start) return std::unexpected(start.error());
  // With PID: the sentences about a task that had that id (in the
  // namespace, every task that had it, if it reused it).
  std::unordered_set<kernel::TaskUid> tasks;
  if (pid) {
    auto had = db.Prepare("SELECT utid FROM thread WHERE run_id = ?1 AND tid = ?2");
    if (!had) return std::unexpected(had.error());
    for (const std::int32_t host : numbering.HostIdsOf(*pid)) {
      had->Reset();
      had->Bind(1, run).Bind(2, std::int64_t{host});
      for (;;) {
        auto row = had->Step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        tasks.insert(kernel::TaskUid(static_cast<std::uint64_t>(had->Int(0))));
      }
    }
    if (tasks.empty()) return std::unexpected(fmt::format("run {} has no process {}", run, *pid));
  }
  auto narrator = NarratorFor(db, run);
  if (!narrator) return std::unexpected(narrator.error());
  if (numbering.InNamespace()) narrator->NumberInNamespace(numbering.ForNarrator());
  // The run told in order, as it is read (a sentence may rest on an earlier
  // one): the sentences kept go out as they are made.
  return Answer({"seq", "time", "event"},
                [&db, run, at, start = *start, tasks = std::move(tasks), filter = pid.has_value(),
                 narrator = std::move(*narrator)](const RowSink& sink) mutable {
                  return ForEachStoredObservation(
                      db, run, at, [&](std::span<const kernel::Record> rs) {
                        for (kernel::Sentence& s : narrator.Narrate(rs)) {
                          if (filter && !tasks.contains(s.subject) && !tasks.contains(s.other))
                            continue;
                          sink({Number(static_cast<std::int64_t>(s.seq)),
                                SecondsCell(s.time_ns - start), Text(std::move(s.text))});
                        }
                      });
                });
}

std::expected<Answer, std::string> PsTable(Database& db, std::int64_t run, std::uint64_t at,
                                           const PidNumbering& numbering_in) {
  kernel::Kernel model;
  if (auto ok = Rebuild(db, run, at, model); !ok) return std::unexpected(ok.error());
  ResultTable t{.columns = {"PID", "PPID", "PGID", "SID", "TTY", "STAT", "COMMAND"}, .rows = {}};
  if (numbering_in.InNamespace()) t.columns.emplace_back("HOST PID");
  const auto processes = model.Processes();
  const PidNumbering numbering = numbering_in.AtMoment(processes);
  for (const kernel::TaskInfo& p : processes) {
    const auto pid = numbering.Shown(p.tgid);
    if (!pid) continue;  // outside the namespace: its ps lists it not
    t.rows.push_back({Number(*pid), Number(numbering.ShownOrZero(p.ppid)),
                      Number(numbering.ShownOrZero(p.pgid)), Number(numbering.ShownOrZero(p.sid)),
                      Text(kernel::TtyName(p.tty_nr)), Text(kernel::PsStat(p)),
                      Text(kernel::PsCommand(p))});
    if (numbering.InNamespace()) t.rows.back().push_back(Number(p.tgid));
  }
  return t;
}

std::expected<Answer, std::string> ZombiesTable(Database& db, std::int64_t run, std::uint64_t at,
                                                const PidNumbering& numbering_in) {
  kernel::Kernel model;
  if (auto ok = Rebuild(db, run, at, model); !ok) return std::unexpected(ok.error());
  auto sentry_pid = db.QueryInt(fmt::format("SELECT sentry_pid FROM run WHERE run_id = {}", run));
  if (!sentry_pid) return std::unexpected(sentry_pid.error());
  ResultTable t{.columns = {"PID", "PPID", "COMMAND", "STATUS", "WHY NOT REAPED"}, .rows = {}};
  if (numbering_in.InNamespace()) t.columns.emplace_back("HOST PID");
  const auto processes = model.Processes();
  const PidNumbering numbering = numbering_in.AtMoment(processes);
  for (const kernel::TaskInfo& p : processes) {
    const auto pid = numbering.Shown(p.tgid);
    if (p.state != 'Z' || !pid) continue;
    t.rows.push_back(
        {Number(*pid), Number(numbering.ShownOrZero(p.ppid)), Text(p.comm),
         Text(ExitStatusInWords(p.exit_status)),
         Text(WhyUnreaped(model, p, static_cast<std::int32_t>(*sentry_pid), numbering))});
    if (numbering.InNamespace()) t.rows.back().push_back(Number(p.tgid));
  }
  return t;
}

namespace {

// The tree numbered in the workload's namespace: the processes it has, its
// init at the root.
std::expected<Answer, std::string> NamespaceTreeTable(Database& db, std::int64_t run) {
  auto stmt = db.Prepare(fmt::format(
      "SELECT {}, coalesce({}, 0), t.depth, t.comm, t.state, t.status, t.pid "
      "FROM process_tree t JOIN process p ON p.run_id = t.run_id AND p.upid = t.upid "
      "LEFT JOIN process pp ON pp.run_id = p.run_id AND pp.upid = p.parent_upid "
      "WHERE t.run_id = ?1 AND instr(p.ns_pids, ' ') > 0 ORDER BY t.path",
      PidNumbering::NamespaceIdSql("p.ns_pids"), PidNumbering::NamespaceIdSql("pp.ns_pids")));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, run);
  ResultTable t{.columns = {"PID", "PPID", "COMMAND", "STATE", "STATUS", "HOST PID"}, .rows = {}};
  std::optional<std::int64_t> top;  // the init's depth: the first row in the tree's order
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const Statement& s = *stmt;
    if (!top) top = s.Int(2);
    const auto indent = static_cast<std::size_t>(std::max<std::int64_t>(s.Int(2) - *top, 0) * 2);
    t.rows.push_back({Number(s.Int(0)), Number(s.Int(1)),
                      Text(std::string(indent, ' ') + std::string(s.Text(3))),
                      Text(std::string(s.Text(4))),
                      s.IsNull(5) ? Cell{} : Text(std::string(s.Text(5))), Number(s.Int(6))});
  }
  return t;
}

}  // namespace

std::expected<Answer, std::string> TreeTable(Database& db, std::int64_t run, std::uint64_t at,
                                             const PidNumbering& numbering) {
  if (at == 0 && numbering.InNamespace()) return NamespaceTreeTable(db, run);
  if (at == 0) {
    return Query(db,
                 // The sentry has no exit in its own log: once its run is over,
                 // it is no longer alive.
                 "SELECT pid AS PID, ppid AS PPID, substr(printf('%*s', depth * 2, ''), 1) || "
                 "comm AS COMMAND, CASE WHEN state = 'alive' AND pid = (SELECT sentry_pid FROM "
                 "run WHERE run_id = ?1) AND (SELECT state FROM run WHERE run_id = ?1) != "
                 "'running' THEN 'ended with its run' ELSE state END AS STATE, status AS STATUS "
                 "FROM process_tree WHERE run_id = ?1 ORDER BY path",
                 [&](Statement& s) { s.Bind(1, run); });
  }
  kernel::Kernel model;
  if (auto ok = Rebuild(db, run, at, model); !ok) return std::unexpected(ok.error());
  auto processes = model.Processes();
  const PidNumbering moment = numbering.AtMoment(processes);
  // Numbered in the namespace: its processes only, its init a root.
  std::erase_if(processes, [&](const kernel::TaskInfo& p) { return !moment.Shown(p.tgid); });
  std::map<std::int32_t, std::vector<const kernel::TaskInfo*>> children;
  std::map<std::int32_t, bool> present;
  for (const auto& p : processes) present[p.tgid] = true;
  std::vector<const kernel::TaskInfo*> roots;
  for (const auto& p : processes) {
    if (present.contains(p.ppid)) {
      children[p.ppid].push_back(&p);
    } else {
      roots.push_back(&p);
    }
  }
  ResultTable t{.columns = {"PID", "PGID", "SID", "STAT", "COMMAND"}, .rows = {}};
  if (numbering.InNamespace()) t.columns.emplace_back("HOST PID");
  std::function<void(const kernel::TaskInfo&, int)> walk = [&](const kernel::TaskInfo& p,
                                                               int depth) {
    t.rows.push_back(
        {Number(moment.ShownOrZero(p.tgid)), Number(moment.ShownOrZero(p.pgid)),
         Number(moment.ShownOrZero(p.sid)), Text(std::string(1, p.state)),
         Text(std::string(static_cast<std::size_t>(depth) * 2, ' ') + kernel::PsCommand(p))});
    if (numbering.InNamespace()) t.rows.back().push_back(Number(p.tgid));
    for (const kernel::TaskInfo* c : children[p.tgid]) walk(*c, depth + 1);
  };
  for (const kernel::TaskInfo* r : roots) walk(*r, 0);
  return t;
}

std::expected<Answer, std::string> SqlTable(Database& db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc =
      sqlite3_prepare_v2(db.Get(), sql.c_str(), static_cast<int>(sql.size()), &raw, &tail);
  Statement stmt(raw);
  if (rc != SQLITE_OK) return std::unexpected(db.ErrorMessage());
  if (raw == nullptr) return std::unexpected(std::string("no statement given"));
  const std::string_view rest(tail != nullptr ? tail : "");
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos)
    return std::unexpected(std::string("one statement at a time, please"));
  return Answer(std::move(stmt));
}

}  // namespace sentry::inspect
