#include "fusefs/render_task.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace sentry::fusefs {

namespace {

using kernel::ExitState;
using kernel::TaskInfo;

std::int64_t Ticks(std::int64_t ns) {
  static const long hz = ::sysconf(_SC_CLK_TCK);
  return ns / (1'000'000'000 / hz);
}

// The host stat line's fields after "(comm)": [0] is field 3 (state).
std::vector<std::string> HostStatFields(const std::optional<std::string>& line) {
  std::vector<std::string> fields;
  if (!line) return fields;
  const std::size_t close = line->rfind(')');
  if (close == std::string::npos) return fields;
  std::string_view rest(*line);
  rest.remove_prefix(close + 1);
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\n')) ++i;
    const std::size_t start = i;
    while (i < rest.size() && rest[i] != ' ' && rest[i] != '\n') ++i;
    if (i > start) fields.emplace_back(rest.substr(start, i - start));
  }
  return fields;
}

// The name a task gives itself (prctl PR_SET_NAME, pthread_setname_np,
// a write to its comm file) changes no state the model sees: the live
// task's host name is the one to show, the model's (exec's) without it.
std::string_view NameOf(const TaskInfo& t, const std::optional<std::string>& host_stat) {
  if (!host_stat) return t.comm;
  const std::size_t open = host_stat->find('(');
  const std::size_t close = host_stat->rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return t.comm;
  return std::string_view(*host_stat).substr(open + 1, close - open - 1);
}

const char* StateName(char state) {
  switch (state) {
    case 'R':
      return "R (running)";
    case 'S':
      return "S (sleeping)";
    case 'D':
      return "D (disk sleep)";
    case 'T':
      return "T (stopped)";
    case 't':
      return "t (tracing stop)";
    case 'X':
      return "X (dead)";
    case 'Z':
      return "Z (zombie)";
    default:
      return "R (running)";
  }
}

// Ids in every namespace from the view down: the model's for the view's
// level, the host's line (`host_value`, tab-separated, root first) for the
// deeper ones (the model shows one id per query).
std::string NsIds(const TaskInfo& t, std::int32_t view_id, std::string_view host_value) {
  std::string out = std::to_string(view_id);
  if (t.nspid.size() <= 1) return out;
  std::vector<std::string_view> parts;
  for (std::size_t pos = 0; pos <= host_value.size();) {
    const std::size_t tab = host_value.find('\t', pos);
    const std::size_t end = tab == std::string_view::npos ? host_value.size() : tab;
    parts.push_back(host_value.substr(pos, end - pos));
    pos = end + 1;
  }
  if (parts.size() < t.nspid.size()) return out;
  for (std::size_t i = parts.size() - t.nspid.size() + 1; i < parts.size(); ++i) {
    out += '\t';
    out += parts[i];
  }
  return out;
}

// The model's value for a status line, if the model knows that one.
std::optional<std::string> ModelStatusValue(const TaskInfo& t, std::string_view key,
                                            std::string_view host_value) {
  if (key == "Name") return host_value.empty() ? t.comm : std::string(host_value);
  if (key == "State") {
    return StateName(
        ViewState(t, host_value.empty() ? std::nullopt : std::optional<char>(host_value.front())));
  }
  if (key == "Tgid") return std::to_string(t.tgid);
  if (key == "Pid") return std::to_string(t.tid);
  if (key == "PPid") return std::to_string(t.ppid);
  if (key == "TracerPid") return std::string("0");
  if (key == "NStgid") return NsIds(t, t.tgid, host_value);
  if (key == "NSpid") return NsIds(t, t.tid, host_value);
  if (key == "NSpgid") return NsIds(t, t.pgid, host_value);
  if (key == "NSsid") return NsIds(t, t.sid, host_value);
  if (key == "Threads") return std::to_string(t.num_threads);
  return std::nullopt;
}

// Without the host (a replay, a task gone): what the model knows, the rest
// as procfs shows a task with nothing pending, blocked or caught.
std::string ModelOnlyStatus(const TaskInfo& t) {
  const std::string uid = std::to_string(t.uid_creds);
  const std::string gid = std::to_string(t.gid_creds);
  const std::string id = std::to_string(t.tid);
  std::string out;
  const auto line = [&](std::string_view key, std::string_view value) {
    out += key;
    out += ":\t";
    out += value;
    out += '\n';
  };
  line("Name", t.comm);
  line("Umask", "0022");
  line("State", StateName(ViewState(t, std::nullopt)));
  line("Tgid", std::to_string(t.tgid));
  line("Ngid", "0");
  line("Pid", id);
  line("PPid", std::to_string(t.ppid));
  line("TracerPid", "0");
  line("Uid", fmt::format("{0}\t{0}\t{0}\t{0}", uid));
  line("Gid", fmt::format("{0}\t{0}\t{0}\t{0}", gid));
  line("FDSize", "0");
  line("Groups", "");
  line("NStgid", std::to_string(t.tgid));
  line("NSpid", id);
  line("NSpgid", std::to_string(t.pgid));
  line("NSsid", std::to_string(t.sid));
  line("Threads", std::to_string(t.num_threads));
  line("SigQ", "0/0");
  for (const char* key : {"SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt"}) {
    line(key, "0000000000000000");
  }
  return out;
}

}  // namespace

char ViewState(const TaskInfo& t, std::optional<char> host_state) {
  switch (t.state) {
    case 'Z':
    case 'X':
    case 'T':
    case 't':
    case 'D':
      return t.state;
    default:
      break;
  }
  if (!host_state) return t.state;
  // A running task the host shows stopped is held by the sentry's ptrace for
  // a moment (a seccomp or event stop): the workload would see it running.
  if (*host_state == 't' || *host_state == 'T') return 'R';
  // The host may already show a zombie whose exit the model has not seen.
  if (*host_state == 'Z' || *host_state == 'X') return t.state;
  return *host_state;
}

std::string RenderStat(const TaskInfo& t, const std::optional<std::string>& host_stat,
                       bool thread) {
  std::vector<std::string> f = HostStatFields(host_stat);
  if (f.size() < 50) {
    // No host values: the model's own, zeros where nothing is known.
    f.assign(50, "0");
    f[18 - 3] = "20";                    // priority
    f[25 - 3] = "18446744073709551615";  // rsslim: RLIM_INFINITY
    f[14 - 3] = std::to_string(Ticks(t.usage.utime_ns));
    f[15 - 3] = std::to_string(Ticks(t.usage.stime_ns));
    f[16 - 3] = std::to_string(Ticks(t.children_usage.utime_ns));
    f[17 - 3] = std::to_string(Ticks(t.children_usage.stime_ns));
    f[22 - 3] = std::to_string(Ticks(t.start_time_ns));
  }
  const std::optional<char> host_state =
      host_stat && !f[0].empty() ? std::optional<char>(f[0][0]) : std::nullopt;
  f[3 - 3] = std::string(1, ViewState(t, host_state));
  f[4 - 3] = std::to_string(t.ppid);
  f[5 - 3] = std::to_string(t.pgid);
  f[6 - 3] = std::to_string(t.sid);
  f[7 - 3] = std::to_string(t.tty_nr);
  f[8 - 3] = std::to_string(t.tpgid);
  f[20 - 3] = std::to_string(t.num_threads);
  if (!thread || t.leader) f[38 - 3] = std::to_string(t.termination_signal);
  const bool exited = t.exit_state == ExitState::kZombie || t.exit_state == ExitState::kDead;
  if (f.size() >= 50) f.resize(50);
  f[52 - 3] = exited ? std::to_string(t.exit_status.WaitStatus()) : "0";
  std::string out = fmt::format("{} ({})", t.tid, NameOf(t, host_stat));
  for (const std::string& field : f) {
    out += ' ';
    out += field;
  }
  out += '\n';
  return out;
}

std::string RenderStatus(const TaskInfo& t, const std::optional<std::string>& host_status) {
  if (!host_status) return ModelOnlyStatus(t);
  // The host's lines in the host's order, with the model's values where it
  // knows them: one pass over the text.
  std::string out;
  out.reserve(host_status->size() + 64);
  std::string_view rest(*host_status);
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    const std::size_t colon = line.find(':');
    std::optional<std::string> value;
    if (colon != std::string_view::npos) {
      std::string_view host_value = line.substr(colon + 1);
      while (!host_value.empty() && (host_value.front() == '\t' || host_value.front() == ' ')) {
        host_value.remove_prefix(1);
      }
      value = ModelStatusValue(t, line.substr(0, colon), host_value);
    }
    if (value) {
      out += line.substr(0, colon);
      out += ":\t";
      out += *value;
    } else {
      out += line;
    }
    out += '\n';
  }
  return out;
}

std::string RenderStatm(const std::optional<std::string>& host_statm) {
  return host_statm ? *host_statm : std::string("0 0 0 0 0 0 0\n");
}

std::string RenderCmdline(const TaskInfo& t) {
  // A zombie has no address space left to read its arguments from.
  if (t.exit_state == ExitState::kZombie || t.exit_state == ExitState::kDead) return {};
  std::string out;
  for (const std::string& arg : t.argv) {
    out += arg;
    out += '\0';
  }
  return out;
}

std::string RenderComm(const TaskInfo& t, const std::optional<std::string>& host_comm) {
  return host_comm && !host_comm->empty() ? *host_comm : t.comm + "\n";
}

std::string RenderWchan(const TaskInfo& t, const std::optional<std::string>& host_wchan) {
  if (!host_wchan) return "0";
  // Every stop of a traced task is ptrace's: untraced, a stopped job waits
  // in do_signal_stop, and a task the sentry holds for a moment runs.
  if (*host_wchan == "ptrace_stop") return t.state == 'T' ? "do_signal_stop" : "0";
  return *host_wchan;
}

std::string RenderChildren(const TaskInfo& t) {
  std::string out;
  for (std::int32_t child : t.children) out += std::to_string(child) + " ";
  return out;
}

}  // namespace sentry::fusefs
