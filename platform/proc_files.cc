#include "platform/proc_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

#include "platform/unique_fd.h"

namespace sentry::platform {

namespace {
// include/linux/sched.h
constexpr std::uint32_t kPfExiting = 0x4;
constexpr std::uint32_t kPfForkNoExec = 0x40;
constexpr std::uint32_t kPfSignaled = 0x400;
constexpr int kSigKill = 9;
}  // namespace

std::string ReadSmallFile(const std::string& path) {
  // Plain read(2): a task that dies between the open and the read makes the
  // read fail with ESRCH, which std::filebuf turns into an exception thrown
  // whatever the stream's exception mask (it ended a run: terminate).
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string out;
  if (!fd) return out;
  std::array<char, 4096> buf{};
  for (;;) {
    const ssize_t n = ::read(fd.Get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {};
    if (n == 0) return out;
    out.append(buf.data(), static_cast<std::size_t>(n));
    // A read of /proc gives all there is unless the buffer is full (seq_file
    // and cmdline alike): no second read just to see the end. One syscall
    // fewer per file, three per fork+exec.
    if (static_cast<std::size_t>(n) < buf.size()) return out;
  }
}

std::optional<ProcStat> ReadProcStat(pid_t pid) {
  const std::string stat = ReadSmallFile("/proc/" + std::to_string(pid) + "/stat");
  // comm, before the fields, may hold spaces and parentheses: they start
  // after the last ')'.
  const std::size_t close = stat.rfind(')');
  ProcStat out;
  int tpgid = 0;
  // Skipped between flags and num_threads: fault counts, times, priority, nice.
  if (close == std::string::npos ||
      std::sscanf(stat.c_str() + close + 1,
                  " %c %d %d %d %d %d %u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %d", &out.state,
                  &out.ppid, &out.pgrp, &out.session, &out.tty_nr, &tpgid, &out.flags,
                  &out.num_threads) != 8) {
    return std::nullopt;
  }
  return out;
}

std::string ReadStatus(pid_t pid) {
  return ReadSmallFile("/proc/" + std::to_string(pid) + "/status");
}

std::string StatusField(pid_t pid, const char* name) {
  return StatusField(ReadStatus(pid), name);
}

std::string StatusField(const std::string& status, const char* name) {
  const std::string key = std::string("\n") + name + ":";
  const std::size_t at = status.find(key);
  if (at == std::string::npos) return {};
  const std::size_t start = at + key.size();
  return status.substr(start, status.find('\n', start) - start);
}

bool AsleepInWait(pid_t tid) {
  return ReadSmallFile("/proc/" + std::to_string(tid) + "/wchan").starts_with("do_wait");
}

std::optional<PidfdTarget> ReadPidfd(pid_t tid, int fd) {
  if (fd < 0) return std::nullopt;
  // The pid as the reader's procfs numbers it: the sentry's, the root's.
  const std::string info =
      ReadSmallFile("/proc/" + std::to_string(tid) + "/fdinfo/" + std::to_string(fd));
  const auto field = [&](const char* key) -> std::optional<std::string> {
    const std::string line = std::string("\n") + key + ":\t";
    const std::size_t at = info.find(line);
    if (at == std::string::npos) return std::nullopt;
    const std::size_t start = at + line.size();
    return info.substr(start, info.find('\n', start) - start);
  };
  const auto pid = field("Pid");
  const auto flags = field("flags");
  if (!pid || !flags) return std::nullopt;  // not a pidfd
  return PidfdTarget{.pid = static_cast<pid_t>(std::strtol(pid->c_str(), nullptr, 10)),
                     .nonblocking = (std::strtoul(flags->c_str(), nullptr, 8) & O_NONBLOCK) != 0};
}

std::vector<pid_t> ThreadsOnTheHost(pid_t tid) {
  std::vector<pid_t> threads;
  // /proc/TID/task lists the whole group for any of its threads.
  const std::unique_ptr<DIR, int (*)(DIR*)> dir(
      ::opendir(("/proc/" + std::to_string(tid) + "/task").c_str()), &::closedir);
  if (!dir) return threads;
  while (const dirent* entry = ::readdir(dir.get())) {
    const long id = std::strtol(entry->d_name, nullptr, 10);
    if (id > 0) threads.push_back(static_cast<pid_t>(id));
  }
  return threads;
}

std::vector<pid_t> ChildrenOnTheHost(pid_t tgid) {
  std::vector<pid_t> children;
  const std::string task = "/proc/" + std::to_string(tgid) + "/task/";
  for (const pid_t tid : ThreadsOnTheHost(tgid)) {
    std::istringstream list(ReadSmallFile(task + std::to_string(tid) + "/children"));
    pid_t child = 0;
    while (list >> child) children.push_back(child);
  }
  return children;
}

bool InCloneOrRunning(pid_t tid) {
  // /proc/TID/syscall: "running", or the syscall number first.
  const std::string syscall = ReadSmallFile("/proc/" + std::to_string(tid) + "/syscall");
  if (syscall.starts_with("running")) return true;
  const long nr = std::strtol(syscall.c_str(), nullptr, 10);
  return nr == SYS_clone || nr == SYS_fork || nr == SYS_vfork || nr == SYS_clone3;
}

bool LiveTraceeOf(pid_t pid, pid_t tracer) {
  const auto stat = ReadProcStat(pid);
  return stat && stat->state != 'Z' && stat->state != 'X' &&
         std::atoi(StatusField(pid, "TracerPid").c_str()) == tracer;
}

std::vector<std::int32_t> NestedTids(pid_t tid) {
  std::vector<std::int32_t> ids;
  std::istringstream line(StatusField(tid, "NSpid"));
  std::int32_t id = 0;
  line >> id;  // the sentry's own view: the root id
  while (line >> id) ids.push_back(id);
  return ids;
}

bool ExecedOnTheHost(const ProcStat& stat) {
  return (stat.flags & kPfForkNoExec) == 0;
}

bool DyingOnTheHost(pid_t tid) {
  // Pending signals first, flags second: a thread that takes its SIGKILL
  // between the two reads has set PF_SIGNALED by the second.
  const std::string pending = StatusField(tid, "SigPnd");
  if (pending.empty()) return false;  // gone
  const unsigned long long mask = std::strtoull(pending.c_str(), nullptr, 16);
  if ((mask & (1ULL << (kSigKill - 1))) != 0) return true;
  const auto stat = ReadProcStat(tid);
  return stat && (stat->flags & (kPfExiting | kPfSignaled)) != 0;
}

namespace {

// Bits are signal - 1. Default ignore: SIGCHLD, SIGCONT, SIGURG, SIGWINCH;
// default stop: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU. Everything else ends it.
unsigned long long HarmlessByDefault() {
  unsigned long long harmless = 0;
  for (const int signo : {SIGCHLD, SIGCONT, SIGURG, SIGWINCH, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}) {
    harmless |= 1ULL << (signo - 1);
  }
  return harmless;
}

// A signal mask field of /proc/PID/status ("SigPnd", ...); 0 if absent.
unsigned long long MaskField(const std::string& status, const char* name) {
  const std::string key = std::string("\n") + name + ":";
  const std::size_t at = status.find(key);
  return at == std::string::npos ? 0 : std::strtoull(status.c_str() + at + key.size(), nullptr, 16);
}

}  // namespace

bool EndsByAPendingSignal(pid_t pid) {
  const std::string status = ReadSmallFile("/proc/" + std::to_string(pid) + "/status");
  const std::size_t state = status.find("\nState:\t");
  if (state == std::string::npos) return false;  // gone
  const char letter = status[state + 8];
  if (letter == 'T' || letter == 't' || letter == 'Z' || letter == 'X') return false;
  const unsigned long long pending = MaskField(status, "SigPnd") | MaskField(status, "ShdPnd");
  return (pending & ~(MaskField(status, "SigBlk") | MaskField(status, "SigIgn") |
                      MaskField(status, "SigCgt") | HarmlessByDefault())) != 0;
}

bool IgnoresSignal(pid_t pid, int signo) {
  if (signo <= 0 || signo > 64) return false;
  const std::string status = ReadSmallFile("/proc/" + std::to_string(pid) + "/status");
  if (status.empty()) return true;  // gone: it takes nothing
  return (MaskField(status, "SigIgn") & (1ULL << (signo - 1))) != 0;
}

bool IsPending(pid_t tid, int signo) {
  if (signo <= 0 || signo > 64) return false;
  const std::string status = ReadSmallFile("/proc/" + std::to_string(tid) + "/status");
  const unsigned long long pending = MaskField(status, "SigPnd") | MaskField(status, "ShdPnd");
  return (pending & (1ULL << (signo - 1))) != 0;
}

namespace {

bool IsHarmlessByDefault(int signo) {
  return (HarmlessByDefault() & (1ULL << (signo - 1))) != 0;
}

}  // namespace

bool InExecve(pid_t tid) {
  const std::string syscall = ReadSmallFile("/proc/" + std::to_string(tid) + "/syscall");
  const long nr = std::strtol(syscall.c_str(), nullptr, 10);
  return !syscall.empty() && std::isdigit(static_cast<unsigned char>(syscall[0])) != 0 &&
         (nr == SYS_execve || nr == SYS_execveat);
}

kernel::SignalDisposition DispositionOf(pid_t pid, int signo) {
  using kernel::SignalDisposition;
  if (signo <= 0 || signo > 64) return SignalDisposition::kUnknown;
  if (signo == SIGKILL || signo == SIGSTOP) return SignalDisposition::kDefault;  // fixed
  const std::string status = ReadSmallFile("/proc/" + std::to_string(pid) + "/status");
  if (status.empty()) return SignalDisposition::kUnknown;
  const unsigned long long bit = 1ULL << (signo - 1);
  if ((MaskField(status, "SigIgn") & bit) != 0) return SignalDisposition::kIgnore;
  if ((MaskField(status, "SigCgt") & bit) != 0) return SignalDisposition::kHandler;
  return SignalDisposition::kDefault;
}

bool EndsByADeliveredSignal(kernel::SignalDisposition disposition, int signo) {
  if (signo <= 0 || signo > 64) return false;
  return disposition == kernel::SignalDisposition::kDefault && !IsHarmlessByDefault(signo);
}

bool EndsByADeliveredSignal(pid_t pid, int signo) {
  if (signo <= 0 || signo > 64 || IsHarmlessByDefault(signo)) return false;  // no read
  return EndsByADeliveredSignal(DispositionOf(pid, signo), signo);
}

std::vector<std::string> ReadCmdline(pid_t pid) {
  return SplitCmdline(ReadSmallFile("/proc/" + std::to_string(pid) + "/cmdline"));
}

std::vector<std::string> SplitCmdline(std::string_view area) {
  std::vector<std::string> argv;
  for (std::size_t start = 0; start < area.size();) {
    const std::size_t end = area.find('\0', start);
    argv.emplace_back(area.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return argv;
}

}  // namespace sentry::platform
