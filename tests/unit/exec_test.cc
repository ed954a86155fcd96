// exec, including from a non-leader thread.
#include "tests/unit/model_test_util.h"

namespace sentry::kernel::testing {
namespace {

using ExecTest = ModelTest;

TEST_F(ExecTest, ExecUpdatesTheImageAndMarksTheGroup) {
  StartWorkload();
  Fork(200, 300);
  EXPECT_EQ(Info(300).comm, "sh");
  ExecAs(300, "ls");
  EXPECT_EQ(Info(300).comm, "ls");
  EXPECT_EQ(Info(300).argv, std::vector<std::string>{"ls"});
  EXPECT_EQ(Count(RecordKind::kExec), 2u);
}

TEST_F(ExecTest, ExecFromANonLeaderThreadSwapsTids) {
  StartWorkload();
  Fork(200, 300);
  Thread(300, 301);
  Thread(300, 302);
  Fork(300, 400);  // a child of the old leader thread
  const TaskUid execing = Info(301).uid;
  const ThreadGroupUid group = Info(300).tg_uid;
  // Linux kills the other threads; 302's exit report arrives later.
  Apply(ExitBegin{.tid = ThreadId(300), .status = {}, .group = false});
  Apply(Exec{.tid = ThreadId(301), .uid = 0, .gid = 0, .comm = "new", .argv = {"new"}});
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  EXPECT_FALSE(Exists(301));  // the exec-ing thread's old tid is gone
  const TaskInfo leader = Info(300);
  EXPECT_EQ(leader.uid, execing);  // same thread, the leader's tid
  EXPECT_EQ(leader.tg_uid, group);
  EXPECT_EQ(leader.comm, "new");
  EXPECT_EQ(leader.ppid, 200);
  EXPECT_TRUE(leader.leader);
  EXPECT_EQ(Info(400).ppid, 300);  // the old leader's child stays with the group
  // The old leader was released, never waitable.
  const auto reaped = All(RecordKind::kReaped);
  ASSERT_EQ(reaped.size(), 1u);
  EXPECT_EQ(reaped[0].value2, static_cast<std::int64_t>(ReapCause::kExec));
  EXPECT_NE(reaped[0].task, execing);
  // 302 was killed by the exec; its exit report still arrives.
  EXPECT_EQ(Info(302).exit_state, ExitState::kInitiated);
  Apply(ExitEnd{.tid = ThreadId(302), .status = {}, .usage = {}});
  EXPECT_FALSE(Exists(302));
  EXPECT_EQ(Info(300).num_threads, 1);
  // The group lives on and exits normally.
  Exit(300, 9);
  Wait(200, WaitRequest::FromWait4(300, 0), 300, abi::kCLD_EXITED, 9);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(ExecTest, AnExecNotAnnouncedStillKillsTheOtherThreads) {
  // Under load the old leader's exit event is skipped (a SIGKILL pending in
  // ptrace_stop), so the exec is the first the tracer hears of de_thread: the
  // threads it ends were still killed by the exec, and their records say so.
  StartWorkload();
  Fork(200, 300);
  Thread(300, 301);
  Thread(300, 302);
  Apply(Exec{.tid = ThreadId(301), .uid = 0, .gid = 0, .comm = "new", .argv = {"new"}});
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  const auto killed = All(RecordKind::kExitInitiated);
  ASSERT_EQ(killed.size(), 2u);  // the old leader and 302
  for (const Record& r : killed) EXPECT_EQ(r.rule, Rule::kKilledByExec);
  Apply(ExitEnd{.tid = ThreadId(302), .status = {}, .usage = {}});
  EXPECT_EQ(Info(300).num_threads, 1);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(ExecTest, ExecResetsTheTerminationSignal) {
  // Checked on the host: a clone(exit signal 0) child that execs becomes
  // visible to a plain waitpid.
  StartWorkload();
  Fork(200, 300, /*exit_signal=*/0);
  ExecAs(300, "true");
  Exit(300, 0);
  EXPECT_EQ(Predict(200, WaitRequest::FromWait4(-1, 0)).candidates.size(), 1u);
}

}  // namespace
}  // namespace sentry::kernel::testing
