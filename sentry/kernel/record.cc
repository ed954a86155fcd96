#include "sentry/kernel/record.h"

#include <array>

namespace sentry::kernel {
namespace {

constexpr std::array kRecordKindNames = {
#define SENTRY_RECORD_NAME(name, text) std::string_view{text},
    SENTRY_RECORD_KINDS(SENTRY_RECORD_NAME)
#undef SENTRY_RECORD_NAME
};

}  // namespace

std::string_view RecordKindName(RecordKind kind) {
  return kRecordKindNames.at(static_cast<std::size_t>(kind));
}

std::optional<RecordKind> RecordKindFromName(std::string_view name) {
  for (std::size_t i = 0; i < kRecordKindNames.size(); ++i) {
    if (kRecordKindNames[i] == name) return static_cast<RecordKind>(i);
  }
  return std::nullopt;
}

std::string_view ReapCauseName(ReapCause cause) {
  switch (cause) {
    case ReapCause::kWait:
      return "wait";
    case ReapCause::kIgnored:
      return "parent ignores SIGCHLD";
    case ReapCause::kNoCldWait:
      return "parent set SA_NOCLDWAIT";
    case ReapCause::kNoParent:
      return "no parent in the sandbox";
    case ReapCause::kThread:
      return "thread released";
    case ReapCause::kExec:
      return "replaced by a thread's exec";
    case ReapCause::kForced:
      return "its id was reused: gone unseen";
    case ReapCause::kNamespaceExit:
      return "its PID namespace's init exited";
  }
  return "?";
}

std::string_view SignalCauseName(SignalCause cause) {
  switch (cause) {
    case SignalCause::kOrphanedGroup:
      return "process group newly orphaned with a stopped member";
    case SignalCause::kParentDeath:
      return "parent death signal";
    case SignalCause::kNamespaceInit:
      return "PID namespace init exited";
    case SignalCause::kSessionLeaderExit:
      return "session leader exited: its terminal's foreground group is hung up";
    case SignalCause::kTerminalDropped:
      return "session leader gave up its terminal (TIOCNOTTY)";
    case SignalCause::kSentryFirstProcessExited:
      return "killed by the sentry: the first process exited (--wait-all waits instead)";
    case SignalCause::kSentryForwarded:
      return "sent by the sentry: a signal it got, forwarded to the workload";
    case SignalCause::kSentryInterrupted:
      return "killed by the sentry: interrupted twice";
    case SignalCause::kSentryQuitStepping:
      return "killed by the sentry: the user quit while stepping";
    case SignalCause::kSentryLate:
      return "killed by the sentry: created after the first process exited";
  }
  return "?";
}

}  // namespace sentry::kernel
