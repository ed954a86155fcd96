#include "tests/unit/observation_samples.h"

#include "sentry/kernel/abi.h"

namespace sentry::kernel::testing {

std::vector<Observation> OneOfEachKind() {
  const ThreadId t(42);
  std::vector<ObservationBody> bodies = {
      TaskExisting{.tid = t,
                   .tgid = t,
                   .parent = ThreadId(1),
                   .pgid = ProcessGroupId(40),
                   .sid = SessionId(30),
                   .uid = 1000,
                   .gid = 100,
                   .subreaper = true,
                   .comm = "bash",
                   .argv = {"bash", "-c", "echo \"hi\"\n"}},
      Clone{.parent = t,
            .child = ThreadId(43),
            .flags = abi::kCLONE_THREAD | abi::kCLONE_VM,
            .exit_signal = 0,
            .nested_tids = {5, 1},
            .error = 0,
            .pgid = 0,
            .comm = "sentry-session"},
      ExecStart{.tid = t},
      Exec{.tid = ThreadId(43), .uid = 1, .gid = 2, .comm = "ls", .argv = {"ls", "-l"}},
      VforkDone{.parent = t},
      ExitBegin{.tid = t, .status = {.code = 0, .signo = 11, .core = true}, .group = true},
      ExitEnd{.tid = t,
              .status = {.code = 3, .signo = 0, .core = false},
              .usage = {.utime_ns = 1, .stime_ns = 2, .maxrss_kb = 3}},
      GroupStop{.tid = t, .signo = abi::kSIGTSTP},
      GroupContinue{.tid = t},
      SignalDelivered{
          .tid = t, .signo = abi::kSIGHUP, .code = abi::kSI_KERNEL, .sender = ThreadId(0)},
      SetSid{.tid = t, .result = -abi::kEPERM},
      SetPgid{.tid = t, .pid = 0, .pgid = 43, .result = 0},
      WaitStart{.tid = t, .request = WaitRequest::FromWait4(-1, abi::kWUNTRACED)},
      WaitDone{.tid = t,
               .request = WaitRequest::FromWaitid(abi::kP_PGID, 7, abi::kWEXITED | abi::kWNOWAIT),
               .result = 43,
               .code = abi::kCLD_KILLED,
               .status = 9},
      SigChldAction{.tid = t, .disposition = SigChldDisposition::kHandler, .nocldwait = true},
      SetSubreaper{.tid = t, .enabled = true},
      SetPdeathsig{.tid = t, .signo = abi::kSIGKILL},
      ParentObserved{.tid = t, .parent = ThreadId(7)},
      ControllingTty{.tid = t, .tty_nr = 34816},
      DropControllingTty{.tid = t},
      ForegroundGroup{.tid = t, .pgid = ProcessGroupId(43)},
      UnsharePidNamespace{.tid = t},
      TraceStop{.tid = t, .stopped = true},
      ExternalStop{.tid = ThreadId(0), .stopped = true},
      SentrySignal{.sender = ThreadId(1),
                   .tid = t,
                   .signo = abi::kSIGKILL,
                   .cause = SignalCause::kSentryFirstProcessExited},
  };
  std::vector<Observation> out;
  out.reserve(bodies.size());
  std::int64_t time = 1'700'000'000'000'000'000;
  for (auto& b : bodies) out.push_back(Observation{.time_ns = time++, .body = b});
  return out;
}

}  // namespace sentry::kernel::testing
