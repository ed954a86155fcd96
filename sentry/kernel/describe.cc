#include "sentry/kernel/describe.h"

#include <fmt/format.h>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/task_stop.h"

namespace sentry::kernel {

namespace {

std::string Status(std::int64_t wait_status) {
  const auto es = ExitStatus::FromWaitStatus(static_cast<std::uint32_t>(wait_status));
  if (es.Signaled()) {
    return fmt::format("killed by {}{}", abi::SignalName(es.signo),
                       es.core ? " (core dumped)" : "");
  }
  return fmt::format("exit {}", es.code);
}

}  // namespace

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

std::string SignalSenderName(const Record& r) {
  if (r.other_task) return std::to_string(r.other_tid.value);
  if (r.other_tid) return fmt::format("pid {} (outside the workload)", r.other_tid.value);
  // si_code <= 0 (SI_USER, SI_QUEUE, SI_TKILL): a process sent it, but its
  // id is 0 in the receiver's namespace.
  return r.value2 <= 0 ? "a process outside its PID namespace" : "the kernel";
}

std::string DescribeRecord(const Record& r) {
  const std::int32_t tid = r.tid.value;
  const std::int32_t other = r.other_tid.value;
  std::string what;
  switch (r.kind) {
    case RecordKind::kTaskCreated:
      what = other != 0 ? fmt::format("{} created by {}", tid, other)
                        : fmt::format("{} appeared", tid);
      break;
    case RecordKind::kCloneFailed:
      what = fmt::format("clone by {} failed: {}", tid, abi::ErrnoName(static_cast<int>(r.value)));
      break;
    case RecordKind::kExec:
      what = fmt::format("{} exec {}", tid, r.detail);
      break;
    case RecordKind::kExitInitiated:
      what = fmt::format("{} exiting: {}", tid, Status(r.value));
      break;
    case RecordKind::kZombie:
      what = fmt::format("{} is a zombie: {}", tid, Status(r.value));
      break;
    case RecordKind::kParentNotified:
      what = r.value != 0 ? fmt::format("{} sent {} to its parent {}", tid,
                                        abi::SignalName(static_cast<int>(r.value)), other)
                          : fmt::format("{} did not signal its parent {}", tid, other);
      break;
    case RecordKind::kReaped:
      what = other != 0 ? fmt::format("{} reaped by {}: {} ({})", tid, other, Status(r.value),
                                      ReapCauseName(static_cast<ReapCause>(r.value2)))
                        : fmt::format("{} reaped: {} ({})", tid, Status(r.value),
                                      ReapCauseName(static_cast<ReapCause>(r.value2)));
      break;
    case RecordKind::kReparented:
      what = r.value2 == 0 ? fmt::format("{} reparented from {} to {}", tid, r.value, other)
                           : fmt::format(
                                 "{} reparented from {} to {}: the host's answer ({} had "
                                 "not yet begun to exit when it adopted)",
                                 tid, r.value, other, other);
      break;
    case RecordKind::kSessionCreated:
      what = fmt::format("session {} created", r.value);
      break;
    case RecordKind::kSessionGone:
      what = fmt::format("session {} gone", r.value);
      break;
    case RecordKind::kProcessGroupCreated:
      what = fmt::format("process group {} created in session {}", r.value, r.value2);
      break;
    case RecordKind::kProcessGroupGone:
      what = fmt::format("process group {} gone", r.value);
      break;
    case RecordKind::kProcessGroupJoined:
      what = fmt::format("{} moved from process group {} to {}", tid, r.value2, r.value);
      break;
    case RecordKind::kSyscallResult: {
      static constexpr const char* kNames[] = {"setsid", "setpgid", "wait", "clone"};
      const auto idx = static_cast<std::size_t>(r.value2);
      // Results are the caller's namespace's ids; lines name tasks by their
      // host ids: setsid's new sid is the caller's own id.
      const bool own_id = idx == static_cast<std::size_t>(SyscallKind::kSetSid) && r.value > 0;
      what = fmt::format("{} {} returned {}", tid, idx < 4 ? kNames[idx] : "syscall",
                         r.value < 0 ? std::string(abi::ErrnoName(static_cast<int>(-r.value)))
                         : own_id    ? std::to_string(tid)
                                     : std::to_string(r.value));
      break;
    }
    case RecordKind::kGroupStopInitiated:
      what =
          fmt::format("{} group stop begins ({})", tid, abi::SignalName(static_cast<int>(r.value)));
      break;
    case RecordKind::kGroupStopCompleted:
      what = fmt::format("{} stopped ({}); parent {} notified", tid,
                         abi::SignalName(static_cast<int>(r.value)), other);
      break;
    case RecordKind::kGroupContinued:
      what = fmt::format("{} continued{}", tid, r.value != 0 ? " (stop was incomplete)" : "");
      break;
    case RecordKind::kStopChanged:
      what = fmt::format("{} stop: {}, external {}", tid,
                         StopKindName(static_cast<StopKind>(r.value)), r.value2);
      break;
    case RecordKind::kSignalDelivered:
      what = fmt::format("{} got {} from {}", tid, abi::SignalName(static_cast<int>(r.value)),
                         SignalSenderName(r));
      break;
    case RecordKind::kSignalPredicted:
      what = IsSentryCause(static_cast<SignalCause>(r.value2))
                 ? fmt::format("the sentry {} sent {} to {}: {}", other,
                               abi::SignalName(static_cast<int>(r.value)), tid,
                               SignalCauseName(static_cast<SignalCause>(r.value2)))
                 : fmt::format("predict {} to {}: {}", abi::SignalName(static_cast<int>(r.value)),
                               tid, SignalCauseName(static_cast<SignalCause>(r.value2)));
      break;
    case RecordKind::kWaitReturned:
      // The child by its host id, as every other line names it (the result
      // itself is its id in the waiter's namespace).
      what = fmt::format("{} wait returned {}", tid,
                         r.value < 0 ? std::string(abi::ErrnoName(static_cast<int>(-r.value)))
                         : r.value > 0 && r.other_tid ? std::to_string(other)
                                                      : std::to_string(r.value));
      break;
    case RecordKind::kDispositionChanged: {
      static constexpr const char* kDisp[] = {"SIG_DFL", "SIG_IGN", "handler"};
      what = fmt::format("{} SIGCHLD -> {}{}", tid, kDisp[static_cast<std::size_t>(r.value) % 3],
                         r.value2 != 0 ? " SA_NOCLDWAIT" : "");
      break;
    }
    case RecordKind::kSubreaperChanged:
      what = fmt::format("{} {} a child subreaper", tid, r.value != 0 ? "is now" : "is no longer");
      break;
    case RecordKind::kPdeathsigChanged:
      what =
          fmt::format("{} parent death signal {}", tid, abi::SignalName(static_cast<int>(r.value)));
      break;
    case RecordKind::kForegroundChanged:
      what = r.value2 == 0
                 ? fmt::format("{}'s session no longer has a controlling terminal", tid)
                 : fmt::format("terminal {} foreground group {}", TtyName(r.value2), r.value);
      break;
    case RecordKind::kNamespaceCreated:
      what = fmt::format("{} is init of a new PID namespace (depth {})", tid, r.value);
      break;
    case RecordKind::kDivergence:
      what = fmt::format("DIVERGENCE: {}", r.detail);
      break;
  }
  return fmt::format("#{} {}", r.seq, what);
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

}  // namespace sentry::kernel
