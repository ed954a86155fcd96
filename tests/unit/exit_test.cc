// The exit path: zombies, release, auto-reap and exit notification.
#include "tests/unit/model_test_util.h"

namespace sentry::kernel::testing {
namespace {

using ExitTest = ModelTest;

TEST_F(ExitTest, LeaderStaysZombieUntilItsLastThreadDies) {
  StartWorkload();
  Fork(200, 300);
  Thread(300, 301);
  Exit(300, 0, /*group=*/false);  // the leader calls pthread_exit
  EXPECT_EQ(Info(300).state, 'Z');
  EXPECT_EQ(Info(300).num_threads, 2);
  EXPECT_EQ(Count(RecordKind::kParentNotified), 0u);
  // Not waitable while its group has a live thread; but not ECHILD either.
  auto p = Predict(200, WaitRequest::FromWait4(-1, abi::kWNOHANG));
  EXPECT_FALSE(p.echild);
  EXPECT_TRUE(p.candidates.empty());
  Exit(301, 7, /*group=*/false);
  EXPECT_EQ(Count(RecordKind::kParentNotified), 1u);
  p = Predict(200, WaitRequest::FromWait4(-1, abi::kWNOHANG));
  ASSERT_EQ(p.candidates.size(), 1u);
  EXPECT_EQ(p.candidates[0].pid, 300);
  EXPECT_EQ(p.candidates[0].status, 0);  // the leader's own status: no group exit
  Wait(200, WaitRequest::FromWait4(-1, 0), 300, abi::kCLD_EXITED, 0);
  EXPECT_FALSE(Exists(300));
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(ExitTest, NonLeaderIsReleasedAtOnce) {
  StartWorkload();
  Thread(200, 201);
  EXPECT_EQ(Info(200).num_threads, 2);
  Exit(201, 0, /*group=*/false);
  ASSERT_EQ(Count(RecordKind::kReaped), 1u);
  const Record reaped = All(RecordKind::kReaped)[0];
  EXPECT_EQ(reaped.tid.value, 201);
  EXPECT_EQ(reaped.value2, static_cast<std::int64_t>(ReapCause::kThread));
  EXPECT_FALSE(Exists(201));
  EXPECT_EQ(Info(200).num_threads, 1);
}

TEST_F(ExitTest, SigIgnAutoReapsAndALaterWaitIsEchild) {
  StartWorkload();
  Ignore(200);
  Fork(200, 300);
  Exit(300, 3);
  EXPECT_FALSE(Exists(300));
  ASSERT_EQ(Count(RecordKind::kReaped), 1u);
  EXPECT_EQ(All(RecordKind::kReaped)[0].value2, static_cast<std::int64_t>(ReapCause::kIgnored));
  EXPECT_EQ(All(RecordKind::kParentNotified)[0].value, 0);  // no SIGCHLD sent
  EXPECT_TRUE(Predict(200, WaitRequest::FromWait4(-1, 0)).echild);
  Wait(200, WaitRequest::FromWait4(-1, 0), -abi::kECHILD);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(ExitTest, SigIgnSurvivesExecButAHandlerDoesNot) {
  StartWorkload();
  Ignore(200);
  ExecAs(200, "sh2");
  EXPECT_EQ(Info(200).sigchld, SigChldDisposition::kIgnore);
  Apply(SigChldAction{
      .tid = ThreadId(200), .disposition = SigChldDisposition::kHandler, .nocldwait = true});
  ExecAs(200, "sh3");
  EXPECT_EQ(Info(200).sigchld, SigChldDisposition::kDefault);
  EXPECT_FALSE(Info(200).nocldwait);
}

TEST_F(ExitTest, NoCldWaitAutoReapsButStillSignals) {
  StartWorkload();
  Apply(SigChldAction{
      .tid = ThreadId(200), .disposition = SigChldDisposition::kHandler, .nocldwait = true});
  Fork(200, 300);
  Exit(300, 0);
  EXPECT_FALSE(Exists(300));
  EXPECT_EQ(All(RecordKind::kParentNotified)[0].value, abi::kSIGCHLD);
  EXPECT_EQ(All(RecordKind::kReaped)[0].value2, static_cast<std::int64_t>(ReapCause::kNoCldWait));
  Wait(200, WaitRequest::FromWait4(-1, 0), -abi::kECHILD);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(ExitTest, SigIgnDoesNotApplyToANonSigchldExitSignal) {
  StartWorkload();
  Ignore(200);
  Fork(200, 300, /*exit_signal=*/abi::kSIGTERM + 0);  // clone(..., SIGUSR-ish)
  Exit(300, 0);
  EXPECT_TRUE(Exists(300));
  EXPECT_EQ(Info(300).state, 'Z');
}

TEST_F(ExitTest, DeathBySignalWithCoreEncodesTheStatus) {
  StartWorkload();
  Fork(200, 300);
  Killed(300, abi::kSIGSEGV, /*core=*/true);
  auto p = Predict(200, WaitRequest::FromWait4(300, 0));
  ASSERT_EQ(p.candidates.size(), 1u);
  EXPECT_EQ(p.candidates[0].code, abi::kCLD_DUMPED);
  EXPECT_EQ(p.candidates[0].wait_status, 0x80u | 11u);
  EXPECT_EQ(ExitStatus::FromWaitStatus(0x8b).ShellExitCode(), 139);
  Wait(200, WaitRequest::FromWait4(300, 0), 300, abi::kCLD_DUMPED, abi::kSIGSEGV);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(ExitTest, PidReuseGetsANewUniqueId) {
  StartWorkload();
  Fork(200, 300);
  const TaskUid first = Info(300).uid;
  const ThreadGroupUid first_tg = Info(300).tg_uid;
  Exit(300, 0);
  Wait(200, WaitRequest::FromWait4(300, 0), 300, abi::kCLD_EXITED, 0);
  Fork(200, 300);  // the host hands out 300 again
  EXPECT_NE(Info(300).uid, first);
  EXPECT_NE(Info(300).tg_uid, first_tg);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(ExitTest, ReusingAnIdTheModelStillHoldsIsADivergence) {
  StartWorkload();
  Fork(200, 300);
  const TaskUid first = Info(300).uid;
  Fork(200, 300);  // the model never saw 300 exit: the host is right, it is gone
  EXPECT_EQ(Divergences(), 1u);
  EXPECT_EQ(Info(300).ppid, 200);
  EXPECT_NE(Info(300).uid, first);
  const auto reaped = All(RecordKind::kReaped);
  ASSERT_EQ(reaped.size(), 1u);
  EXPECT_EQ(reaped[0].task, first);
  EXPECT_EQ(reaped[0].value2, static_cast<std::int64_t>(ReapCause::kForced));
  EXPECT_EQ(kernel.Stats().live_tasks, 3u);
}

TEST_F(ExitTest, UnknownTidsAreDivergencesNotCrashes) {
  StartWorkload();
  Exit(999, 0);
  Apply(GroupStop{.tid = ThreadId(998), .signo = abi::kSIGSTOP});
  Apply(Exec{.tid = ThreadId(997), .uid = 0, .gid = 0, .comm = "x", .argv = {}});
  Wait(996, WaitRequest::FromWait4(-1, 0), -abi::kECHILD);
  EXPECT_EQ(Divergences(), 5u);  // ExitBegin and ExitEnd each name 999
  Exit(200, 0);
  Exit(200, 0);  // twice
  EXPECT_EQ(Divergences(), 7u);
}

TEST_F(ExitTest, ExitStatusEncoding) {
  EXPECT_EQ((ExitStatus{.code = 3}).WaitStatus(), 0x300u);
  EXPECT_EQ((ExitStatus{.code = 0, .signo = 9}).WaitStatus(), 9u);
  EXPECT_EQ((ExitStatus{.code = 3}).ShellExitCode(), 3);
  EXPECT_EQ((ExitStatus{.code = 0, .signo = 9}).ShellExitCode(), 137);
  EXPECT_EQ(ExitStatus::FromWaitStatus(0x300), (ExitStatus{.code = 3}));
  const auto stopped = FromWait4Status(0x137f);
  EXPECT_EQ(stopped.code, abi::kCLD_STOPPED);
  EXPECT_EQ(stopped.status, abi::kSIGSTOP);
  EXPECT_EQ(FromWait4Status(0xffff).code, abi::kCLD_CONTINUED);
  EXPECT_EQ(FromWait4Status(0x8b).code, abi::kCLD_DUMPED);
  EXPECT_EQ(FromWait4Status(0x9).code, abi::kCLD_KILLED);
}

}  // namespace
}  // namespace sentry::kernel::testing
