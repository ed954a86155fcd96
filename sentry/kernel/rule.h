// Rule: which of Linux's rules decided what a record says happened.
//
// A record states an outcome (an errno, a new parent, a signal's effect);
// the rule says why, so that a sentence can name it. The model sets it where
// it decides (PlanSetPgid, FindReparentTarget, BeginExit, the delivery of a
// signal); kNone where one rule is implied by the kind itself. The words for
// each rule live in one place, narrate.cc (RuleInWords); the names here are
// the stable keys of the JSON lines and of the SQL `rule` table.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sentry::kernel {

#define SENTRY_RULES(X)                                                              \
  X(kNone, "none")                                                                   \
  /* kExitInitiated: exec's de_thread killed this thread (another thread exec'd). */ \
  X(kKilledByExec, "killed_by_exec")                                                 \
  /* kReparented: which step of Linux's find_new_reaper chose the new parent. */     \
  X(kAdoptedByThread, "adopted_by_thread")                                           \
  X(kAdoptedBySubreaper, "adopted_by_subreaper")                                     \
  X(kAdoptedByNamespaceInit, "adopted_by_namespace_init")                            \
  X(kAdoptedOutside, "adopted_outside")                                              \
  /* kSyscallResult of setpgid(pid, pgid): why it failed (kernel/sys.c). */          \
  X(kSetPgidNegative, "setpgid_negative_pgid")                                       \
  X(kSetPgidNoSuchProcess, "setpgid_no_such_process")                                \
  X(kSetPgidNotAProcess, "setpgid_not_a_process")                                    \
  X(kSetPgidChildInOtherSession, "setpgid_child_in_other_session")                   \
  X(kSetPgidChildExeced, "setpgid_child_execed")                                     \
  X(kSetPgidNotChild, "setpgid_not_self_or_child")                                   \
  X(kSetPgidSessionLeader, "setpgid_session_leader")                                 \
  X(kSetPgidGroupElsewhere, "setpgid_group_not_in_session")                          \
  /* kSyscallResult of setsid(): why it failed. */                                   \
  X(kSetSidGroupLeader, "setsid_group_leader")                                       \
  /* kSignalDelivered: what the receiver's disposition made of the signal. */        \
  X(kSignalCaught, "signal_caught")                                                  \
  X(kSignalIgnored, "signal_ignored")                                                \
  X(kSignalIgnoredByDefault, "signal_ignored_by_default")                            \
  X(kSignalStops, "signal_stops")                                                    \
  X(kSignalKills, "signal_kills")                                                    \
  X(kSignalDumpsCore, "signal_dumps_core")                                           \
  X(kSignalDroppedByInit, "signal_dropped_by_init")                                  \
  X(kSignalStopInOrphanedGroup, "signal_stop_in_orphaned_group")

enum class Rule : std::uint8_t {
#define SENTRY_RULE_ENUM(name, text) name,
  SENTRY_RULES(SENTRY_RULE_ENUM)
#undef SENTRY_RULE_ENUM
};

inline constexpr Rule kLastRule = Rule::kSignalStopInOrphanedGroup;

std::string_view RuleName(Rule rule);
std::optional<Rule> RuleFromName(std::string_view name);

}  // namespace sentry::kernel
