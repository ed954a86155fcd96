#include "sentry/kernel/describe.h"

#include <fmt/format.h>

#include <map>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/task_stop.h"

namespace sentry::kernel {

std::string TtyName(std::int64_t tty_nr) {
  if (tty_nr == 0) return "?";
  // Linux's new_encode_dev layout: minor's low byte, major, minor's high bits.
  const auto nr = static_cast<std::uint32_t>(tty_nr);
  const std::uint32_t major_nr = (nr >> 8U) & 0xfffU;
  const std::uint32_t minor_nr = (nr & 0xffU) | ((nr >> 12U) & 0xfff00U);
  if (major_nr >= 136 && major_nr <= 143)
    return fmt::format("pts/{}", (major_nr - 136) * 256 + minor_nr);
  if (major_nr == 4 && minor_nr < 64) return fmt::format("tty{}", minor_nr);
  if (major_nr == 4) return fmt::format("ttyS{}", minor_nr - 64);
  return fmt::format("tty({},{})", major_nr, minor_nr);
}

std::string PsStat(const TaskInfo& p) {
  std::string stat(1, p.state);
  if (p.sid == p.tgid) stat += 's';
  if (p.num_threads > 1) stat += 'l';
  if (p.tpgid > 0 && p.pgid == p.tpgid) stat += '+';
  return stat;
}

std::string PsCommand(const TaskInfo& p) {
  if (p.state == 'Z') return "[" + p.comm + "] <defunct>";
  std::string command;
  for (const auto& arg : p.argv) command += (command.empty() ? "" : " ") + arg;
  if (command.empty()) command = "[" + p.comm + "]";
  return command;
}

std::string ProcessTable(const std::vector<TaskInfo>& processes) {
  std::string out = fmt::format("{:>7} {:>7} {:>7} {:>7} {:<6} {:<4} {:>5} {}\n", "PID", "PPID",
                                "PGID", "SID", "TTY", "STAT", "UID", "COMMAND");
  for (const auto& p : processes) {
    out += fmt::format("{:>7} {:>7} {:>7} {:>7} {:<6} {:<4} {:>5} {}\n", p.tgid, p.ppid, p.pgid,
                       p.sid, TtyName(p.tty_nr), PsStat(p), p.uid_creds, PsCommand(p));
  }
  return out;
}

std::string GroupsAndSessions(const std::vector<SessionInfo>& sessions,
                              const std::vector<ProcessGroupInfo>& groups,
                              const std::vector<TaskInfo>& processes, std::int32_t except) {
  std::map<std::int32_t, const TaskInfo*> by_pid;
  for (const TaskInfo& p : processes) by_pid[p.tgid] = &p;
  // By id and session: a stale group (ProcessGroupInfo::stale) shares its id
  // with the one the host made, in another session.
  std::map<std::pair<std::int32_t, std::int32_t>, const ProcessGroupInfo*> by_pgid;
  for (const ProcessGroupInfo& g : groups) by_pgid.emplace(std::pair(g.pgid, g.sid), &g);
  std::string out;
  for (const SessionInfo& s : sessions) {
    std::string body;
    bool any = false;
    for (const std::int32_t pgid : s.groups) {
      const auto g = by_pgid.find(std::pair(pgid, s.sid));
      if (g == by_pgid.end()) continue;
      std::vector<std::string> marks;
      if (s.tty_nr != 0 && s.foreground_pgid == pgid) marks.emplace_back("foreground");
      if (g->second->orphan) marks.emplace_back("orphaned");
      std::string mark;
      for (const auto& m : marks) mark += fmt::format(" [{}]", m);
      body += fmt::format("|  +- process group {}{}\n", pgid, mark);
      for (const std::int32_t member : g->second->members) {
        const auto p = by_pid.find(member);
        if (p == by_pid.end()) continue;
        any = any || member != except;
        const TaskInfo& t = *p->second;
        const char* state = t.state == 'Z'   ? "zombie"
                            : t.state == 'T' ? "stopped"
                            : t.state == 't' ? "traced"
                                             : "";
        body += fmt::format("|  |    {:>7} {:<4} ppid {:<7} {}{}{}\n", t.tgid, PsStat(t), t.ppid,
                            PsCommand(t), *state != 0 ? "  <- " : "", state);
      }
    }
    if (!any) continue;
    std::string head = fmt::format("+- session {}", s.sid);
    if (const auto leader = by_pid.find(s.sid); leader != by_pid.end() && s.leader_alive) {
      head += fmt::format(", led by {} ({})", s.sid, leader->second->comm);
    } else {
      head += ", its leader gone";
    }
    head += s.tty_nr != 0 ? fmt::format(", terminal {}", TtyName(s.tty_nr)) : ", no terminal";
    out += head;
    out += '\n';
    out += body;
  }
  return out;
}

}  // namespace sentry::kernel
