#include "platform/observe_events.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>

#include <cstring>
#include <string>

#include "platform/bpf/observe_record.h"
#include "platform/proc_files.h"
#include "sentry/kernel/abi.h"

namespace sentry::platform {

namespace {

namespace abi = kernel::abi;
using kernel::ThreadId;

// Copies a record of type T out of the ring (which guarantees 8-byte
// alignment only of the whole record), or nullopt when it is too short.
template <typename T>
std::optional<T> As(std::span<const char> record) {
  if (record.size() < sizeof(T)) return std::nullopt;
  T value{};
  std::memcpy(&value, record.data(), sizeof value);
  return value;
}

// A syscall's result: Linux's restart codes mean the call runs again.
bool Restarts(long long ret) {
  return ret <= -512 && ret >= -516;
}

kernel::WaitRequest RequestOf(pid_t tid, int nr, const unsigned long long* args, int pidfd_pid) {
  if (nr == OBSERVE_NR_WAIT4) {
    return kernel::WaitRequest::FromWait4(static_cast<std::int32_t>(args[0]),
                                          static_cast<std::uint32_t>(args[2]));
  }
  auto request =
      kernel::WaitRequest::FromWaitid(static_cast<int>(args[0]), static_cast<std::int32_t>(args[1]),
                                      static_cast<std::uint32_t>(args[3]));
  // A pidfd stands for its process, as the caller's namespace numbers it (the
  // initial one's here: BPF runs only there) and with its own WNOHANG.
  // The process is the program's, read at do_wait's start (by now it may be
  // reaped, and the fdinfo says -1); O_NONBLOCK is the descriptor's, while
  // it is open.
  if (request.idtype == abi::kP_PIDFD) {
    const auto target = ReadPidfd(tid, static_cast<int>(args[1]));
    request.id = pidfd_pid > 0 ? pidfd_pid : target && target->pid > 0 ? target->pid : 0;
    if (target && target->nonblocking) request.options |= abi::kWNOHANG;
  }
  return request;
}

std::optional<ObservedEvent> DecodeExec(std::span<const char> record) {
  constexpr std::size_t kFixed = sizeof(observe_exec) - OBSERVE_ARGV_MAX;
  if (record.size() < kFixed) return std::nullopt;
  observe_exec head{};
  std::memcpy(&head, record.data(), kFixed);
  std::vector<std::string> argv;
  if (head.argv_len <= OBSERVE_ARGV_MAX && record.size() >= kFixed + head.argv_len) {
    argv = SplitCmdline(std::string_view(record.data() + kFixed, head.argv_len));
  } else {
    argv = ReadCmdline(head.header.tid);  // too long for a record
  }
  return kernel::Exec{.tid = ThreadId(head.former_tid),
                      .uid = head.euid,
                      .gid = head.egid,
                      .comm = std::string(head.comm, strnlen(head.comm, sizeof head.comm)),
                      .argv = std::move(argv)};
}

std::optional<ObservedEvent> DecodeSyscall(const observe_syscall& r) {
  const ThreadId tid(r.header.tid);
  if (Restarts(r.ret)) return std::nullopt;
  switch (r.nr) {
    case OBSERVE_NR_WAIT4:
    case OBSERVE_NR_WAITID: {
      kernel::WaitDone done{.tid = tid,
                            .request = RequestOf(r.header.tid, r.nr, r.args, r.pidfd_pid),
                            .result = r.ret,
                            .code = 0,
                            .status = 0};
      if (r.ret < 0) return done;
      if (r.nr == OBSERVE_NR_WAIT4) {
        if (r.ret > 0 && r.args[1] != 0) {
          const auto decoded = kernel::FromWait4Status(static_cast<std::uint32_t>(r.status));
          done.code = decoded.code;
          done.status = decoded.status;
        }
      } else if (r.args[2] != 0) {
        // waitid returns 0; the child is in the siginfo (si_pid 0: nothing yet).
        done.result = r.child_pid;
        done.code = r.child_code;
        done.status = r.child_status;
      }
      return done;
    }
    case OBSERVE_NR_SETPGID:
      return kernel::SetPgid{.tid = tid,
                             .pid = static_cast<std::int32_t>(r.args[0]),
                             .pgid = static_cast<std::int32_t>(r.args[1]),
                             .result = r.ret};
    case OBSERVE_NR_SETSID:
      return kernel::SetSid{.tid = tid, .result = r.ret};
    case OBSERVE_NR_RT_SIGACTION: {
      if (r.ret != 0) return std::nullopt;
      const auto handler = r.sigchld_handler;
      const auto disposition = handler == reinterpret_cast<std::uint64_t>(SIG_IGN)
                                   ? kernel::SigChldDisposition::kIgnore
                               : handler == reinterpret_cast<std::uint64_t>(SIG_DFL)
                                   ? kernel::SigChldDisposition::kDefault
                                   : kernel::SigChldDisposition::kHandler;
      return kernel::SigChldAction{.tid = tid,
                                   .disposition = disposition,
                                   .nocldwait = (r.sigchld_flags & SA_NOCLDWAIT) != 0};
    }
    case OBSERVE_NR_PRCTL:
      if (r.ret != 0) return std::nullopt;
      if (r.args[0] == PR_SET_CHILD_SUBREAPER) {
        return kernel::SetSubreaper{.tid = tid, .enabled = r.args[1] != 0};
      }
      return kernel::SetPdeathsig{.tid = tid, .signo = static_cast<int>(r.args[1])};
    default:
      return std::nullopt;
  }
}

kernel::SignalDelivered Delivered(const observe_signal& r) {
  const bool from_process = r.code <= 0;  // SI_USER, SI_QUEUE, SI_TKILL
  const auto disposition =
      r.handler == reinterpret_cast<std::uint64_t>(SIG_IGN)   ? kernel::SignalDisposition::kIgnore
      : r.handler == reinterpret_cast<std::uint64_t>(SIG_DFL) ? kernel::SignalDisposition::kDefault
                                                              : kernel::SignalDisposition::kHandler;
  return kernel::SignalDelivered{.tid = ThreadId(r.header.tid),
                                 .signo = r.signo,
                                 .code = r.code,
                                 .sender = ThreadId(from_process ? r.sender : 0),
                                 .disposition = disposition};
}

}  // namespace

std::optional<ObservedEvent> DecodeObserveRecord(std::span<const char> record) {
  const auto header = As<observe_header>(record);
  if (!header) return std::nullopt;
  switch (header->kind) {
    case OBSERVE_CLONE: {
      const auto r = As<observe_clone>(record);
      if (!r) return std::nullopt;
      const bool thread = (r->flags & CLONE_THREAD) != 0;
      return kernel::Clone{.parent = ThreadId(r->header.tid),
                           .child = ThreadId(r->child),
                           .flags = r->flags,
                           .exit_signal = thread ? 0 : r->exit_signal,
                           .nested_tids = {},
                           .error = 0};
    }
    case OBSERVE_EXEC:
      return DecodeExec(record);
    case OBSERVE_EXIT: {
      const auto r = As<observe_exit>(record);
      if (!r) return std::nullopt;
      const auto status =
          kernel::ExitStatus::FromWaitStatus(static_cast<std::uint32_t>(r->exit_code));
      return ObservedExit{.tid = r->header.tid,
                          .tgid = r->header.tgid,
                          .exec_killer = r->exec_killer,
                          .status = status,
                          // As the ptrace platform says it: exit_group, a fatal
                          // signal, or a group already exiting; but a thread's
                          // own exit(2) is its own, even when a group exit began
                          // meanwhile (the flag is read without the siglock the
                          // sender holds: its record may come after this one).
                          .group = r->syscall == OBSERVE_NR_EXIT_GROUP || status.Signaled() ||
                                   (r->group_exit != 0 && r->syscall != OBSERVE_NR_EXIT),
                          .last_thread = r->group_dead != 0,
                          .usage = {.utime_ns = static_cast<std::int64_t>(r->utime_ns),
                                    .stime_ns = static_cast<std::int64_t>(r->stime_ns),
                                    .maxrss_kb = 0}};
    }
    case OBSERVE_EXIT_END:
      return ObservedExitEnd{.tid = header->tid};
    case OBSERVE_WAIT_START: {
      const auto r = As<observe_wait_start>(record);
      if (!r) return std::nullopt;
      return ObservedWaitStart{
          kernel::WaitStart{.tid = ThreadId(r->header.tid),
                            .request = RequestOf(r->header.tid, r->nr, r->args, r->pidfd_pid)}};
    }
    case OBSERVE_SYSCALL: {
      const auto r = As<observe_syscall>(record);
      if (!r) return std::nullopt;
      return DecodeSyscall(*r);
    }
    case OBSERVE_SIGNAL_DELIVER: {
      const auto r = As<observe_signal>(record);
      if (!r) return std::nullopt;
      return ObservedSignal{Delivered(*r)};
    }
    case OBSERVE_GROUP_EXIT: {
      const auto r = As<observe_signal>(record);
      if (!r) return std::nullopt;
      ObservedGroupExit exit{.tid = r->header.tid, .signo = r->signo, .delivered = {}};
      if (r->signo != SIGKILL) exit.delivered = Delivered(*r);
      return exit;
    }
    case OBSERVE_SIGCONT: {
      const auto r = As<observe_signal>(record);
      if (!r) return std::nullopt;
      // include/linux/sched/signal.h: SIGNAL_CLD_STOPPED, SIGNAL_CLD_CONTINUED.
      constexpr unsigned kCldStopped = 0x10;
      constexpr unsigned kCldContinued = 0x20;
      using Found = ObservedContinue::Found;
      return ObservedContinue{.continued = kernel::GroupContinue{.tid = ThreadId(r->header.tid)},
                              .found = (r->group_flags & kCldContinued) != 0 ? Found::kStopComplete
                                       : (r->group_flags & kCldStopped) != 0 ? Found::kStopUnderWay
                                                                             : Found::kNoStop};
    }
    case OBSERVE_CHILD_STOPPED: {
      const auto r = As<observe_signal>(record);
      if (!r) return std::nullopt;
      return ObservedChildStopped{.child = r->header.tid};
    }
    default:
      return std::nullopt;
  }
}

}  // namespace sentry::platform
