// The observe platform (`run --observe`, platform/observer.h): the
// scenarios run natively and under it must agree (output, exit status, no
// divergence, nothing left unreaped), tell the same story as the ptrace
// platform where both can see it, and leave ptrace free for the workload.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sentry/kernel/record.h"
#include "tests/platform/platform_test_util.h"

namespace sentry::platform {
namespace {

using kernel::RecordKind;
using testing::Compare;
using testing::Outcome;
using testing::RunInNewSession;
using testing::RunTraced;
using testing::TempPath;
using testing::Traced;

// The scenarios whose every event the observe platform sees in an order
// the model can check. Those it cannot follow yet are in README's
// "Watching without ptrace".
const std::vector<std::string> kObservable = {"fork-exec-wait",
                                              "threads",
                                              "nonleader-exec",
                                              "spawn",
                                              "job-control",
                                              "orphaned-group",
                                              "tstp-orphaned",
                                              "sigchld-ign",
                                              "nocldwait",
                                              "daemon",
                                              "adopted-zombie",
                                              "clone-exit-signal",
                                              "session-errors",
                                              "fan-out",
                                              "killed",
                                              "pdeathsig",
                                              "churn",
                                              "killed-in-clone",
                                              "killed-in-clone-subreaper",
                                              "shape",
                                              "core-dump",
                                              "killed-making-threads",
                                              "killed-after-reap",
                                              "killed-after-reap-subreaper",
                                              "kill-stopped",
                                              "kill-continued",
                                              "adopt-during-poll",
                                              "poll-while-children-exit",
                                              "adopt-by-exiting-subreaper"};

TEST(ObserveTest, ScenariosAgreeWithTheHost) {
  for (const std::string& mode : kObservable) {
    SCOPED_TRACE(mode);
    Compare(mode, {"--observe"});
  }
}

// How many records of each kind a run made, for the kinds both platforms
// see the same way (a run's tids differ, its story must not).
std::map<RecordKind, std::size_t> Story(const Traced& t) {
  std::map<RecordKind, std::size_t> counts;
  for (const kernel::Record& r : t.records) {
    switch (r.kind) {
      case RecordKind::kTaskCreated:
      case RecordKind::kExec:
      case RecordKind::kExitInitiated:
      case RecordKind::kZombie:
      case RecordKind::kReaped:
      case RecordKind::kReparented:
      case RecordKind::kSessionCreated:
      case RecordKind::kGroupStopCompleted:
      case RecordKind::kGroupContinued:
        ++counts[r.kind];
        break;
      default:
        break;
    }
  }
  return counts;
}

TEST(ObserveTest, TellsTheSameStoryAsPtrace) {
  // Deterministic scenarios: every task, exec, exit, reap, adoption and
  // stop happens whatever the timing.
  for (const std::string mode : {"fork-exec-wait", "threads", "nonleader-exec", "job-control",
                                 "orphaned-group", "daemon", "fan-out"}) {
    SCOPED_TRACE(mode);
    const Traced traced = RunTraced({mode}, {});
    const Traced observed = RunTraced({mode}, {"--observe"});
    EXPECT_EQ(Story(observed), Story(traced));
  }
}

TEST(ObserveTest, StraceAndGdbWorkInside) {
  // Under ptrace a workload cannot trace its own children: proof that the
  // test tells the platforms apart.
  const Outcome traced = RunInNewSession({SENTRY_BINARY, "run", "--no-fuse", "--no-db", "--",
                                          "strace", "-f", "-o", "/dev/null", "true"},
                                         "strace-traced");
  EXPECT_NE(traced.exit_code, 0) << traced.err;
  const Outcome strace = RunInNewSession(
      {SENTRY_BINARY, "run", "--observe", "--no-fuse", "--no-db", "--", "strace", "-f", "true"},
      "strace-observed");
  EXPECT_EQ(strace.exit_code, 0) << strace.err;
  EXPECT_NE(strace.err.find("execve(\"/usr/bin/true\""), std::string::npos) << strace.err;
  const Outcome gdb =
      RunInNewSession({SENTRY_BINARY, "run", "--observe", "--no-fuse", "--no-db", "--", "gdb",
                       "-nx", "-batch", "-ex", "run", "--args", "true"},
                      "gdb-observed");
  EXPECT_EQ(gdb.exit_code, 0) << gdb.err;
  EXPECT_NE(gdb.out.find("exited normally"), std::string::npos) << gdb.out << gdb.err;
}

TEST(ObserveTest, TheRunTableSaysWhichPlatform) {
  const std::string db = TempPath("platform.db");
  const Outcome observed = RunInNewSession(
      {SENTRY_BINARY, "run", "--observe", "--no-fuse", "--db", db, "--", "true"}, "observe-db");
  ASSERT_EQ(observed.exit_code, 0) << observed.err;
  const Outcome traced =
      RunInNewSession({SENTRY_BINARY, "run", "--no-fuse", "--db", db, "--", "true"}, "ptrace-db");
  ASSERT_EQ(traced.exit_code, 0) << traced.err;
  const Outcome runs =
      RunInNewSession({SENTRY_BINARY, "inspect", "--db", db, "--format", "csv", "runs"}, "runs");
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  const auto first = runs.out.find("observe");
  EXPECT_NE(first, std::string::npos) << runs.out;
  EXPECT_NE(runs.out.find("ptrace", first), std::string::npos) << runs.out;
  for (const char* suffix : {"", "-wal", "-shm"}) unlink((db + suffix).c_str());
}

TEST(ObserveTest, WhatNeedsAHeldTaskIsRefused) {
  for (const char* option : {"--step", "--pidns", "--max-tasks=5"}) {
    const Outcome o = RunInNewSession(
        {SENTRY_BINARY, "run", "--observe", option, "--no-fuse", "--no-db", "--", "true"},
        "refused");
    EXPECT_EQ(o.exit_code, 2) << option;
    EXPECT_NE(o.err.find("cannot work with --observe"), std::string::npos) << o.err;
  }
}

}  // namespace
}  // namespace sentry::platform
