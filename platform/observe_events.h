// What one record of the observe platform's ring says (bpf/observe.bpf.c),
// decoded into the model's Observations, or into the few events the observe
// platform must still act on before the model hears of them (a WNOHANG
// poll's start, a signal's delivery).
//
// Decoding reads the host only where a record cannot carry what it needs:
// an argument area longer than a record holds (/proc/PID/cmdline) and the
// process a pidfd names (its fdinfo), both while the task still runs.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "sentry/kernel/observation.h"

namespace sentry::platform {

// A thread began to exit (sched_process_exit): told as ExitBegin, its
// ExitEnd (status and usage here) once it is past exit_notify
// (ObservedExitEnd) or a wait has reported it. `exec_killer`: the thread
// whose exec kills this one (0: none).
struct ObservedExit {
  pid_t tid = 0;
  pid_t tgid = 0;
  pid_t exec_killer = 0;
  kernel::ExitStatus status;
  bool group = false;        // exit_group or a fatal signal: the whole group is exiting
  bool last_thread = false;  // its process has no other thread left
  kernel::Usage usage;
};

// A thread finished exiting (its last switch, after exit_notify).
struct ObservedExitEnd {
  pid_t tid = 0;
};

// A thread entered wait4 or waitid.
struct ObservedWaitStart {
  kernel::WaitStart start;
};

// A thread took a signal (signal_deliver), with its disposition then.
struct ObservedSignal {
  kernel::SignalDelivered delivered;
};

// A fatal signal sent to a process made its whole group exit (thread `tid`
// is the one it was sent to). `delivered`: as the ptrace platform sees a
// fatal signal taken (not for SIGKILL, which it never sees taken).
struct ObservedGroupExit {
  pid_t tid = 0;
  int signo = 0;
  std::optional<kernel::SignalDelivered> delivered;
};

// SIGCONT was sent to a process. What it found, from the group's flags
// just after (prepare_signal): a stop complete (SIGNAL_CLD_CONTINUED), one
// under way (SIGNAL_CLD_STOPPED: some thread took the stop signal, and a
// wait(WCONTINUED) reports the continue all the same), or none.
struct ObservedContinue {
  enum class Found : std::uint8_t { kNoStop, kStopUnderWay, kStopComplete };
  kernel::GroupContinue continued;
  Found found = Found::kNoStop;
};

// A child's group stop completed: its parent was sent SIGCHLD (CLD_STOPPED).
struct ObservedChildStopped {
  pid_t child = 0;
};

using ObservedEvent =
    std::variant<kernel::Clone, kernel::Exec, ObservedExit, ObservedExitEnd, ObservedWaitStart,
                 kernel::WaitDone, kernel::SetPgid, kernel::SetSid, kernel::SigChldAction,
                 kernel::SetSubreaper, kernel::SetPdeathsig, ObservedSignal, ObservedContinue,
                 ObservedChildStopped, ObservedGroupExit>;

// The event `record` tells; nullopt for a record too short or of a kind
// not known (a newer program's), or a call that told nothing (a restarted
// wait).
std::optional<ObservedEvent> DecodeObserveRecord(std::span<const char> record);

}  // namespace sentry::platform
