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

// The host's "Key:\tvalue" line of a status file, without the key.
std::optional<std::string> StatusValue(const std::string& status, std::string_view key) {
  std::size_t pos = 0;
  while (pos < status.size()) {
    const std::size_t end = status.find('\n', pos);
    const std::string_view line(status.data() + pos,
                                (end == std::string::npos ? status.size() : end) - pos);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
      std::string_view value = line.substr(key.size() + 1);
      while (!value.empty() && value.front() == '\t') value.remove_prefix(1);
      return std::string(value);
    }
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return std::nullopt;
}

// Ids in every namespace from the view down: the model's for one level, the
// host's deeper levels otherwise (the model shows one id per query).
std::string NsIds(const TaskInfo& t, std::int32_t view_id, const std::optional<std::string>& host,
                  std::string_view key) {
  if (t.nspid.size() <= 1 || !host) return std::to_string(view_id);
  const auto line = StatusValue(*host, key);
  if (!line) return std::to_string(view_id);
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (pos <= line->size()) {
    const std::size_t tab = line->find('\t', pos);
    parts.push_back(line->substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
    if (tab == std::string::npos) break;
    pos = tab + 1;
  }
  if (parts.size() < t.nspid.size()) return std::to_string(view_id);
  std::string out = std::to_string(view_id);
  for (std::size_t i = parts.size() - t.nspid.size() + 1; i < parts.size(); ++i) {
    out += "\t" + parts[i];
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
  std::string out = fmt::format("{} ({})", t.tid, t.comm);
  for (const std::string& field : f) {
    out += ' ';
    out += field;
  }
  out += '\n';
  return out;
}

std::string RenderStatus(const TaskInfo& t, const std::optional<std::string>& host_status) {
  const auto host = [&](std::string_view key, std::string_view fallback) {
    if (host_status) {
      if (auto v = StatusValue(*host_status, key)) return *v;
    }
    return std::string(fallback);
  };
  const std::string uid = std::to_string(t.uid_creds);
  const std::string gid = std::to_string(t.gid_creds);
  const std::string ids4 = fmt::format("{0}\t{0}\t{0}\t{0}", uid);
  const std::string gids4 = fmt::format("{0}\t{0}\t{0}\t{0}", gid);
  const std::optional<char> host_state =
      host_status ? StatusValue(*host_status, "State").and_then([](const std::string& s) {
        return s.empty() ? std::nullopt : std::optional<char>(s[0]);
      })
                  : std::nullopt;
  std::string out;
  const auto line = [&](std::string_view key, const std::string& value) {
    out += fmt::format("{}:\t{}\n", key, value);
  };
  line("Name", t.comm);
  line("Umask", host("Umask", "0022"));
  line("State", StateName(ViewState(t, host_state)));
  line("Tgid", std::to_string(t.tgid));
  line("Ngid", host("Ngid", "0"));
  line("Pid", std::to_string(t.tid));
  line("PPid", std::to_string(t.ppid));
  line("TracerPid", "0");
  line("Uid", host("Uid", ids4));
  line("Gid", host("Gid", gids4));
  line("FDSize", host("FDSize", "0"));
  line("Groups", host("Groups", ""));
  line("NStgid", NsIds(t, t.tgid, host_status, "NStgid"));
  line("NSpid", NsIds(t, t.tid, host_status, "NSpid"));
  line("NSpgid", NsIds(t, t.pgid, host_status, "NSpgid"));
  line("NSsid", NsIds(t, t.sid, host_status, "NSsid"));
  // Memory lines exist only while the task has an address space.
  for (const char* key : {"VmPeak", "VmSize", "VmLck", "VmPin", "VmHWM", "VmRSS", "RssAnon",
                          "RssFile", "RssShmem", "VmData", "VmStk", "VmExe", "VmLib", "VmPTE",
                          "VmSwap", "HugetlbPages", "CoreDumping", "THP_enabled"}) {
    if (host_status) {
      if (auto v = StatusValue(*host_status, key)) line(key, *v);
    }
  }
  line("Threads", std::to_string(t.num_threads));
  line("SigQ", host("SigQ", "0/0"));
  for (const char* key : {"SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt"}) {
    line(key, host(key, "0000000000000000"));
  }
  for (const char* key :
       {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp",
        "Seccomp_filters", "Speculation_Store_Bypass", "SpeculationIndirectBranch", "Cpus_allowed",
        "Cpus_allowed_list", "Mems_allowed", "Mems_allowed_list", "voluntary_ctxt_switches",
        "nonvoluntary_ctxt_switches"}) {
    if (host_status) {
      if (auto v = StatusValue(*host_status, key)) line(key, *v);
    }
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

std::string RenderComm(const TaskInfo& t) {
  return t.comm + "\n";
}

std::string RenderChildren(const TaskInfo& t) {
  std::string out;
  for (std::int32_t child : t.children) out += std::to_string(child) + " ";
  return out;
}

}  // namespace sentry::fusefs
