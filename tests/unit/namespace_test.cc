// PID namespaces: nested ids, lookups both ways, init's death.
#include <algorithm>

#include "tests/unit/model_test_util.h"

namespace sentry::kernel::testing {
namespace {

using NamespaceTest = ModelTest;

TEST_F(NamespaceTest, NestedNamespacesTranslateIds) {
  StartWorkload();
  ForkNested(200, 300, {1}, abi::kCLONE_NEWPID);
  ASSERT_EQ(Count(RecordKind::kNamespaceCreated), 1u);
  const NamespaceUid inner = kernel.NamespaceOf(ThreadId(300)).value_or(NamespaceUid{});
  EXPECT_NE(inner, kernel.RootNamespace());
  // The host names the grandchild's inner id...
  ForkNested(300, 301, {7});
  // ...or the model allocates it as Linux would (next after the last).
  Fork(300, 302);
  // A second level.
  ForkNested(301, 303, {9, 1}, abi::kCLONE_NEWPID);
  const NamespaceUid innermost = kernel.NamespaceOf(ThreadId(303)).value_or(NamespaceUid{});
  ASSERT_TRUE(inner && innermost);

  EXPECT_EQ(Info(1, inner).uid, Info(300).uid);  // the same task, seen from inside
  EXPECT_EQ(Info(1, inner).ppid, 0);             // its parent is outside the namespace
  EXPECT_FALSE(kernel.FindTask(ThreadId(300), inner).has_value());
  EXPECT_EQ(Info(300).ppid, 200);
  EXPECT_EQ(Info(7, inner).tid, 7);
  EXPECT_EQ(Info(7, inner).ppid, 1);
  EXPECT_EQ(Info(302).nspid, (std::vector<std::int32_t>{302, 8}));
  EXPECT_EQ(Info(303).nspid, (std::vector<std::int32_t>{303, 9, 1}));
  EXPECT_EQ(Info(9, inner).nspid, (std::vector<std::int32_t>{9, 1}));
  EXPECT_EQ(Info(1, innermost).ppid, 0);
  EXPECT_FALSE(kernel.FindTask(ThreadId(300), innermost).has_value());
  // Processes() lists what a namespace can see.
  EXPECT_EQ(kernel.Processes(inner).size(), 4u);
  EXPECT_EQ(kernel.Processes(innermost).size(), 1u);
  EXPECT_EQ(kernel.Processes().size(), 6u);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(NamespaceTest, DyingInitKillsItsNamespaceAndReapsEveryChildBeforeItsExitEnds) {
  StartWorkload();
  ForkNested(200, 300, {1}, abi::kCLONE_NEWPID);
  Fork(300, 301);
  Fork(301, 302);
  Exit(301, 0);
  EXPECT_EQ(Info(302).ppid, 300);  // the namespace's init adopts it
  Fork(300, 303);
  Exit(303, 0);
  EXPECT_EQ(Info(303).state, 'Z');  // init has not waited for it
  Fork(300, 304);
  Fork(304, 305);
  // The host's order: init's exit begins, it tears the namespace down, and
  // only once everything else is gone does its own exit end.
  Apply(ExitBegin{.tid = ThreadId(300), .status = ExitStatus{.code = 0}, .group = true});
  std::vector<std::int32_t> killed;
  for (const Record& r : All(RecordKind::kSignalPredicted)) {
    EXPECT_EQ(r.value, abi::kSIGKILL);
    EXPECT_EQ(r.value2, static_cast<std::int64_t>(SignalCause::kNamespaceInit));
    killed.push_back(r.tid.value);
  }
  std::sort(killed.begin(), killed.end());
  EXPECT_EQ(killed, (std::vector<std::int32_t>{302, 304, 305}));  // not the zombies
  const auto reaped_by_init = [&](std::int32_t tid) {
    for (const Record& r : All(RecordKind::kReaped)) {
      if (r.tid.value == tid) {
        return r.other_tid.value == 300 &&
               r.value2 == static_cast<std::int64_t>(ReapCause::kNamespaceExit);
      }
    }
    return false;
  };
  EXPECT_TRUE(reaped_by_init(301));  // zombies it had are reaped at once
  EXPECT_TRUE(reaped_by_init(303));
  Killed(304, abi::kSIGKILL);
  EXPECT_EQ(Info(305).ppid, 300);  // the dying init still adopts...
  Killed(305, abi::kSIGKILL);
  EXPECT_TRUE(reaped_by_init(305));  // ...and reaps each child as it dies
  EXPECT_TRUE(reaped_by_init(304));
  Killed(302, abi::kSIGKILL);
  EXPECT_TRUE(reaped_by_init(302));
  Apply(ExitEnd{.tid = ThreadId(300), .status = ExitStatus{.code = 0}, .usage = {}});
  // init itself is a zombie for its parent outside the namespace.
  Wait(200, WaitRequest::FromWait4(300, 0), 300, abi::kCLD_EXITED, 0);
  EXPECT_EQ(kernel.Stats().namespaces, 1u);  // the inner namespace is freed
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(NamespaceTest, InitsWholeExitAtOnceStillKillsItsNamespace) {
  // Observed at once (begin and end together), the teardown still happens.
  StartWorkload();
  ForkNested(200, 300, {1}, abi::kCLONE_NEWPID);
  Fork(300, 301);
  Exit(300, 0);
  ASSERT_EQ(Count(RecordKind::kSignalPredicted), 1u);
  Killed(301, abi::kSIGKILL);
  EXPECT_FALSE(Exists(301));
  Wait(200, WaitRequest::FromWait4(300, 0), 300, abi::kCLD_EXITED, 0);
  EXPECT_EQ(kernel.Stats().namespaces, 1u);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(NamespaceTest, ASignalsSenderIsNamedAsTheReceiversNamespaceSeesIt) {
  StartWorkload();
  ForkNested(200, 300, {1}, abi::kCLONE_NEWPID);
  ForkNested(300, 301, {2});
  Apply(SignalDelivered{
      .tid = ThreadId(301), .signo = abi::kSIGTERM, .code = 0, .sender = ThreadId(1)});
  const auto delivered = All(RecordKind::kSignalDelivered);
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].other_tid.value, 300);  // init, by its host id
}

TEST_F(NamespaceTest, UnshareStartsTheNextChildInANewNamespace) {
  StartWorkload();
  Apply(UnsharePidNamespace{.tid = ThreadId(200)});
  ForkNested(200, 300, {1});
  EXPECT_EQ(Info(300).nspid, (std::vector<std::int32_t>{300, 1}));
  EXPECT_EQ(Count(RecordKind::kNamespaceCreated), 1u);
  Fork(200, 301);
  EXPECT_EQ(Info(301).nspid, (std::vector<std::int32_t>{301, 2}));
  EXPECT_EQ(Info(200).nspid, (std::vector<std::int32_t>{200}));
}

// A terminal's foreground group in a PID namespace whose every task is gone
// (a --pidns init as the interactive job): as Linux's tty->pgrp keeps its
// struct pid, and with it the namespace, the session still names the group.
TEST_F(NamespaceTest, ForegroundGroupOutlivesItsNamespace) {
  StartWorkload();
  Apply(ControllingTty{.tid = ThreadId(200), .tty_nr = 34816});
  ForkNested(200, 300, {1}, abi::kCLONE_NEWPID);
  SetPgid(200, 300, 300, 0);
  Apply(ForegroundGroup{.tid = ThreadId(200), .pgid = ProcessGroupId(300)});
  Exit(300, 0);
  Wait(200, WaitRequest::FromWait4(300, 0), 300, abi::kCLD_EXITED, 0);
  EXPECT_FALSE(Exists(300));
  EXPECT_EQ(Info(200).tpgid, 300);  // read after its namespace emptied
  Exit(200, 0);                     // the session leader hangs up a foreground that has no member
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

}  // namespace
}  // namespace sentry::kernel::testing
