// Task stops: the conditions that keep a task from running.
//
// As in gVisor, a task has at most one *internal* stop (part of its own
// control flow: a group stop, waiting for a vfork child, waiting for sibling
// threads to die during exec, a ptrace stop) and any number of *external*
// stops (pauses imposed from outside: per task, or on the whole task set).
#pragma once

#include <cstdint>
#include <string_view>

namespace sentry::kernel {

enum class StopKind : std::uint8_t {
  kNone = 0,
  kGroupStop = 1,  // SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU
  kVfork = 2,      // vfork parent waiting for the child to exec or exit
  kExec = 3,       // exec-ing thread waiting for its siblings to exit
  kTrace = 4,      // ptrace stop shown to the workload
};

std::string_view StopKindName(StopKind kind);

// The phase of a group stop in a thread group (Linux: SIGNAL_STOP_STOPPED and
// group_stop_count).
enum class GroupStopPhase : std::uint8_t {
  kNone = 0,
  kInitiated = 1,  // some live threads have not yet stopped
  kComplete = 2,   // every live thread is stopped
};

}  // namespace sentry::kernel
