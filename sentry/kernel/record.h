// Record: what applying an observation did to the model.
//
// Records are state changes, predictions the model makes about what the host
// will do next, and divergences where the host did something other than what
// the model predicted (the host's fact wins; the record says what differed).
// One flat shape for every kind keeps records cheap and maps onto one SQL
// table; the table below says what the generic fields mean for each kind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sentry/kernel/ids.h"
#include "sentry/kernel/rule.h"

namespace sentry::kernel {

// kind                   subject (task/tid)   other (task/tid)       value          value2
#define SENTRY_RECORD_KINDS(X)                                                                     \
  X(kTaskCreated,                                                                                  \
    "task_created") /* new task            parent                 tgid       exit signal */        \
  X(kCloneFailed,                                                                                  \
    "clone_failed") /* caller              -                      errno      flags       */        \
  X(kExec, "exec")  /* exec-ing task       -                      tid before tid after   */        \
  X(kExitInitiated,                                                                                \
    "exit_initiated")  /* task                -                      wait status group(0/1) */     \
  X(kZombie, "zombie") /* task                -                      wait status -          */     \
  X(kParentNotified,                                                                               \
    "parent_notified") /* exited leader       parent                 signal     0/1 ignored */     \
  X(kReaped, "reaped") /* reaped task         reaper (0: automatic)  wait status ReapCause  */     \
  X(kReparented, "reparented") /* child               new parent             old parent tid  1:    \
                                  host's answer */                                                 \
  X(kSessionCreated,                                                                               \
    "session_created") /* leader              -                      sid        -           */     \
  X(kSessionGone, "session_gone") /* -                   -                      sid        - */    \
  X(kProcessGroupCreated,                                                                          \
    "pgrp_created") /* originator          -                      pgid       sid         */        \
  X(kProcessGroupGone,                                                                             \
    "pgrp_gone") /* -                   -                      pgid       sid         */           \
  X(kProcessGroupJoined,                                                                           \
    "pgrp_joined") /* thread group leader -                      new pgid   old pgid    */         \
  X(kSyscallResult,                                                                                \
    "syscall_result") /* caller              target                 result     SyscallKind */      \
  X(kGroupStopInitiated,                                                                           \
    "group_stop_initiated") /* first thread  -                      signal     -           */      \
  X(kGroupStopCompleted,                                                                           \
    "group_stop_completed") /* last thread   parent notified        signal     -           */      \
  X(kGroupContinued, "group_continued") /* leader              -                      1 if it      \
                                           interrupted an initiated stop */                        \
  X(kStopChanged, "stop_changed") /* task                -                      StopKind external  \
                                     stop count */                                                 \
  X(kSignalDelivered,                                                                              \
    "signal") /* receiver            sender                 signal     si_code     */              \
  X(kSignalPredicted,                                                                              \
    "signal_predicted") /* receiver (leader)   cause task             signal     SignalCause */    \
  X(kWaitReturned,                                                                                 \
    "wait_returned") /* waiter              child reported         result     CLD code    */       \
  X(kDispositionChanged, "sigchld_disposition") /* leader         - disposition nocldwait  */      \
  X(kSubreaperChanged, "subreaper")   /* leader              -                      0/1        -   */                                                                                              \
  X(kPdeathsigChanged, "pdeathsig")   /* task                -                      signal     -   */                                                                                              \
  X(kForegroundChanged, "foreground") /* session leader      -                      pgid tty_nr */ \
  X(kNamespaceCreated,                                                                             \
    "pidns_created") /* init task           -                      depth      -           */       \
  X(kDivergence, "divergence") /* task concerned      other party            model      host */

enum class RecordKind : std::uint8_t {
#define SENTRY_RECORD_ENUM(name, text) name,
  SENTRY_RECORD_KINDS(SENTRY_RECORD_ENUM)
#undef SENTRY_RECORD_ENUM
};

std::string_view RecordKindName(RecordKind kind);
std::optional<RecordKind> RecordKindFromName(std::string_view name);

// Why a task was reaped (kReaped value2).
enum class ReapCause : std::uint8_t {
  kWait = 0,           // a consuming wait by the parent's thread group
  kIgnored = 1,        // the parent's SIGCHLD is SIG_IGN
  kNoCldWait = 2,      // the parent's SIGCHLD has SA_NOCLDWAIT
  kNoParent = 3,       // nobody to notify (the parent is outside the model)
  kThread = 4,         // a non-leader thread: released at once
  kExec = 5,           // the old leader replaced by a non-leader's exec
  kForced = 6,         // the host reused its id: it must have been reaped unseen
  kNamespaceExit = 7,  // its PID namespace's init, dying, reaps every child
};

// Why a signal is predicted (kSignalPredicted value2).
enum class SignalCause : std::uint8_t {
  kOrphanedGroup = 0,      // a newly orphaned process group with a stopped member
  kParentDeath = 1,        // PR_SET_PDEATHSIG
  kNamespaceInit = 2,      // the namespace's init exited
  kSessionLeaderExit = 3,  // the session leader exited: hang-up of its terminal's foreground
  kTerminalDropped = 4,    // the session leader gave up its terminal (TIOCNOTTY)
  // Sent by the sentry itself (SentrySignal), which is no traced task.
  kSentryFirstProcessExited = 5,  // the first process exited: the rest is killed
  kSentryForwarded = 6,           // a signal the sentry got, forwarded to the workload
  kSentryInterrupted = 7,         // a second interrupt: everything is killed
  kSentryLate = 8,                // created after the first process's exit killed the rest
  kSentryQuitStepping = 9,        // the user quit a --step run
};
inline constexpr SignalCause kLastSignalCause = SignalCause::kSentryQuitStepping;

// The causes in words ("parent ignores SIGCHLD"), for sentences and tables.
std::string_view ReapCauseName(ReapCause cause);
std::string_view SignalCauseName(SignalCause cause);
// Whether the sentry itself sent the signal (the kSentry* causes).
constexpr bool IsSentryCause(SignalCause cause) {
  return cause >= SignalCause::kSentryFirstProcessExited;
}

// Which syscall a kSyscallResult / kDivergence concerns (value2 / detail).
enum class SyscallKind : std::uint8_t { kSetSid = 0, kSetPgid = 1, kWait = 2, kClone = 3 };

struct Record {
  std::uint64_t seq = 0;  // the observation that produced it (1-based)
  std::int64_t time_ns = 0;
  RecordKind kind = RecordKind::kDivergence;
  TaskUid task;
  ThreadId tid;
  TaskUid other_task;
  ThreadId other_tid;
  std::int64_t value = 0;
  std::int64_t value2 = 0;
  std::string detail;       // human-readable; always set for divergences
  Rule rule = Rule::kNone;  // the rule that decided the outcome, where one did

  bool operator==(const Record&) const = default;
};

}  // namespace sentry::kernel
