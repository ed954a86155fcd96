#include "inspect/export_dot.h"

#include <fmt/format.h>

#include <map>

#include "inspect/db_replay.h"
#include "sentry/kernel/describe.h"
#include "sentry/kernel/kernel.h"

namespace sentry::inspect {

namespace {

// A dot string literal's body.
std::string Quoted(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::expected<void, std::string> ExportDot(Database& db, std::int64_t run,
                                           const PidNumbering& numbering, std::ostream& out) {
  auto stmt = db.Prepare(
      "SELECT upid, pid, comm, coalesce(status, state), parent_upid, last_parent_upid, "
      "reaper_upid FROM process_summary WHERE run_id = ?1 ORDER BY upid");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, run);
  std::string nodes;
  std::string edges;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const Statement& s = *stmt;
    const std::int64_t upid = s.Int(0);
    nodes += fmt::format("  p{} [label=\"{} {}\\n{}\"];\n", upid, numbering.Label(s.Int(1)),
                         Quoted(s.Text(2)), Quoted(s.Text(3)));
    if (!s.IsNull(4)) edges += fmt::format("  p{} -> p{};\n", s.Int(4), upid);
    if (!s.IsNull(5) && (s.IsNull(4) || s.Int(5) != s.Int(4))) {
      edges += fmt::format("  p{} -> p{} [style=dashed, label=\"adopted\"];\n", s.Int(5), upid);
    }
    if (!s.IsNull(6) && (s.IsNull(4) || s.Int(6) != s.Int(4)) &&
        (s.IsNull(5) || s.Int(6) != s.Int(5))) {
      edges +=
          fmt::format("  p{} -> p{} [color=red, style=bold, label=\"reaped\"];\n", s.Int(6), upid);
    }
  }
  out << fmt::format("digraph \"sentry run {}\" {{\n  node [shape=box, fontname=monospace];\n", run)
      << nodes << edges << "}\n";
  return {};
}

std::expected<void, std::string> ExportDotAt(Database& db, std::int64_t run, std::uint64_t at,
                                             const PidNumbering& numbering, std::ostream& out) {
  auto sentry = db.QueryInt(fmt::format("SELECT sentry_pid FROM run WHERE run_id = {}", run));
  if (!sentry) return std::unexpected(sentry.error());
  kernel::Kernel model;
  auto applied = ReplayRun(db, run, at, model);
  if (!applied) return std::unexpected(applied.error());
  if (*applied < at) {
    return std::unexpected(
        fmt::format("run {} has {} observations: --at {} is past its end", run, *applied, at));
  }
  const auto processes = model.Processes();
  std::map<std::int32_t, const kernel::TaskInfo*> by_pid;
  for (const auto& p : processes) by_pid[p.tgid] = &p;
  // By id and session: a stale group (ProcessGroupInfo::stale) shares its id
  // with the one the host made, in another session.
  std::map<std::pair<std::int32_t, std::int32_t>, const kernel::ProcessGroupInfo*> by_pgid;
  const auto groups = model.ProcessGroups();
  for (const auto& g : groups) by_pgid.emplace(std::pair(g.pgid, g.sid), &g);
  std::string body;
  std::string edges;
  int clusters = 0;  // a cluster's name: ids may repeat
  for (const kernel::SessionInfo& s : model.Sessions()) {
    std::string boxes;
    bool workload = false;
    for (const std::int32_t pgid : s.groups) {
      const auto g = by_pgid.find(std::pair(pgid, s.sid));
      if (g == by_pgid.end()) continue;
      std::string label = fmt::format("process group {}", numbering.Label(pgid));
      if (s.tty_nr != 0 && s.foreground_pgid == pgid) label += " (foreground)";
      if (g->second->orphan) label += " (orphaned)";
      boxes += fmt::format("    subgraph cluster_g{}_{} {{\n      label=\"{}\";\n", pgid,
                           ++clusters, label);
      for (const std::int32_t member : g->second->members) {
        const auto p = by_pid.find(member);
        if (p == by_pid.end()) continue;
        workload = workload || member != *sentry;
        const kernel::TaskInfo& t = *p->second;
        const char* style = t.state == 'Z'   ? ", style=\"dashed,filled\", fillcolor=grey90"
                            : t.state == 'T' ? ", style=filled, fillcolor=khaki1"
                                             : "";
        const char* state = t.state == 'Z' ? "zombie" : t.state == 'T' ? "stopped" : "";
        boxes += fmt::format("      p{} [label=\"{} {}\\n{}{}{}\"{}];\n", t.tgid,
                             numbering.Label(t.tgid), Quoted(t.comm), kernel::PsStat(t),
                             *state != 0 ? " " : "", state, style);
        if (t.ppid != 0 && by_pid.contains(t.ppid) && t.ppid != *sentry)
          edges += fmt::format("  p{} -> p{};\n", t.ppid, t.tgid);
      }
      boxes += "    }\n";
    }
    if (!workload) continue;
    body += fmt::format(
                "  subgraph cluster_s{}_{} {{\n    label=\"session {}{}\";\n    style=rounded;\n",
                s.sid, ++clusters, numbering.Label(s.sid),
                s.tty_nr != 0 ? fmt::format(", terminal {}", kernel::TtyName(s.tty_nr))
                              : std::string()) +
            boxes + "  }\n";
  }
  out << fmt::format(
             "digraph \"sentry run {} at {}\" {{\n  node [shape=box, fontname=monospace];\n", run,
             at)
      << body << edges << "}\n";
  return {};
}

}  // namespace sentry::inspect
