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

// A thread began to exit (sched_process_exit): told as ExitBegin and, since
// exit_notify follows without a wait, ExitEnd. `exec_killer`: the thread
// whose exec kills this one (0: none).
struct ObservedExit {
  pid_t tid = 0;
  pid_t tgid = 0;
  pid_t exec_killer = 0;
  kernel::ExitStatus status;
  bool group = false;  // exit_group or a fatal signal: the whole group is exiting
  bool last_thread = false;  // its process has no other thread left
  kernel::Usage usage;
};

// A thread entered wait4 or waitid.
struct ObservedWaitStart {
  kernel::WaitStart start;
};

// A thread took a signal (signal_deliver), with its disposition then.
struct ObservedSignal {
  kernel::SignalDelivered delivered;
};

using ObservedEvent =
    std::variant<kernel::Clone, kernel::Exec, ObservedExit, ObservedWaitStart, kernel::WaitDone,
                 kernel::SetPgid, kernel::SetSid, kernel::SigChldAction, kernel::SetSubreaper,
                 kernel::SetPdeathsig, ObservedSignal, kernel::GroupContinue>;

// The event `record` tells; nullopt for a record too short or of a kind
// not known (a newer program's), or a call that told nothing (a restarted
// wait).
std::optional<ObservedEvent> DecodeObserveRecord(std::span<const char> record);

// The tid of the thread a record is about (0 for one too short).
pid_t ObserveRecordTid(std::span<const char> record);

}  // namespace sentry::platform
