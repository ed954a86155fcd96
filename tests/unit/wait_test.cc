// wait4/waitid: eligibility, WNOHANG, WNOWAIT, clone children, group status.
#include "tests/unit/model_test_util.h"

namespace sentry::kernel::testing {
namespace {

using WaitTest = ModelTest;

TEST_F(WaitTest, ExitSignalZeroChildIsVisibleOnlyToWcloneOrWall) {
  StartWorkload();
  Fork(200, 300, /*exit_signal=*/0);
  Exit(300, 5);
  EXPECT_TRUE(Predict(200, WaitRequest::FromWait4(-1, abi::kWNOHANG)).echild);
  EXPECT_EQ(Predict(200, WaitRequest::FromWait4(-1, abi::kWCLONE)).candidates.size(), 1u);
  EXPECT_EQ(Predict(200, WaitRequest::FromWait4(-1, abi::kWALL)).candidates.size(), 1u);
  Wait(200, WaitRequest::FromWait4(-1, abi::kWNOHANG), -abi::kECHILD);
  Wait(200, WaitRequest::FromWait4(-1, abi::kWALL), 300, abi::kCLD_EXITED, 5);
  EXPECT_FALSE(Exists(300));
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

// The host decides a WNOHANG wait somewhere between its entry and its result:
// a child that became waitable in between may or may not be reported.
TEST_F(WaitTest, WnohangMayMissWhatBecameWaitableDuringTheWait) {
  StartWorkload();
  Fork(200, 300);
  const auto poll = WaitRequest::FromWait4(-1, abi::kWNOHANG);
  Apply(WaitStart{.tid = ThreadId(200), .request = poll});
  Exit(300, 0);
  Wait(200, poll, 0);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  // Waitable before the wait began: nothing to report is a divergence.
  Apply(WaitStart{.tid = ThreadId(200), .request = poll});
  Wait(200, poll, 0);
  EXPECT_EQ(Divergences(), 1u);
  Apply(WaitStart{.tid = ThreadId(200), .request = poll});
  Wait(200, poll, 300, abi::kCLD_EXITED, 0);
  EXPECT_FALSE(Exists(300));
  EXPECT_EQ(Divergences(), 1u) << DumpDivergences();
}

// Likewise a continue reported by a wait that looked before the child's
// exit became waitable: the model already has the exit, the host was right.
TEST_F(WaitTest, ContinueReportedBeforeAnExitThatCameDuringTheWait) {
  StartWorkload();
  Fork(200, 300);
  Apply(GroupStop{.tid = ThreadId(300), .signo = abi::kSIGTSTP});
  Apply(GroupContinue{.tid = ThreadId(300)});
  const auto jobs = WaitRequest::FromWait4(-1, abi::kWUNTRACED | abi::kWCONTINUED);
  Apply(WaitStart{.tid = ThreadId(200), .request = jobs});
  Exit(300, 0);
  Wait(200, jobs, 300, abi::kCLD_CONTINUED, abi::kSIGCONT);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  EXPECT_TRUE(Exists(300));  // not reaped: that was the continue
  // Waitable before the wait began, the exit is what must be reported.
  Apply(WaitStart{.tid = ThreadId(200), .request = jobs});
  Wait(200, jobs, 300, abi::kCLD_CONTINUED, abi::kSIGCONT);
  EXPECT_EQ(Divergences(), 1u);
  Apply(WaitStart{.tid = ThreadId(200), .request = jobs});
  Wait(200, jobs, 300, abi::kCLD_EXITED, 0);
  EXPECT_FALSE(Exists(300));
}

TEST_F(WaitTest, SigchldChildIsInvisibleToWcloneAlone) {
  StartWorkload();
  Fork(200, 300);
  Exit(300, 0);
  EXPECT_TRUE(Predict(200, WaitRequest::FromWait4(-1, abi::kWCLONE)).echild);
}

TEST_F(WaitTest, WnowaitDoesNotConsume) {
  StartWorkload();
  Fork(200, 300);
  Exit(300, 4);
  const auto peek = WaitRequest::FromWaitid(abi::kP_PID, 300, abi::kWEXITED | abi::kWNOWAIT);
  Wait(200, peek, 300, abi::kCLD_EXITED, 4);
  Wait(200, peek, 300, abi::kCLD_EXITED, 4);
  EXPECT_TRUE(Exists(300));
  EXPECT_EQ(Info(300).state, 'Z');
  Wait(200, WaitRequest::FromWaitid(abi::kP_PID, 300, abi::kWEXITED), 300, abi::kCLD_EXITED, 4);
  EXPECT_FALSE(Exists(300));
  const auto reaped = All(RecordKind::kReaped);
  ASSERT_EQ(reaped.size(), 1u);
  EXPECT_EQ(reaped[0].other_tid.value, 200);  // who reaped it
  EXPECT_EQ(reaped[0].value2, static_cast<std::int64_t>(ReapCause::kWait));
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(WaitTest, APidfdWaitNamesOneChildAsAPidDoes) {
  // waitid(P_PIDFD) reaches the model with the pid the descriptor refers to
  // (the platform reads it): Linux kernel_waitid waits for that child alone.
  StartWorkload();
  Fork(200, 300);
  Fork(200, 301);
  Exit(300, 4);
  const auto pidfd_of_301 =
      WaitRequest::FromWaitid(abi::kP_PIDFD, 301, abi::kWEXITED | abi::kWNOHANG);
  const auto p = Predict(200, pidfd_of_301);
  EXPECT_FALSE(p.echild);
  EXPECT_TRUE(p.candidates.empty());  // 300's exit is not 301's
  Wait(200, pidfd_of_301, 0, 0, 0);
  // A pidfd whose process is no child (or was reaped: id 0) finds none.
  EXPECT_TRUE(Predict(200, WaitRequest::FromWaitid(abi::kP_PIDFD, 0, abi::kWEXITED)).echild);
  Wait(200, WaitRequest::FromWaitid(abi::kP_PIDFD, 300, abi::kWEXITED), 300, abi::kCLD_EXITED, 4);
  EXPECT_FALSE(Exists(300));
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(WaitTest, APollMayHaveWalkedBeforeAFellowThreadsReap) {
  // Thread 201 polls for 300 (WNOHANG) while thread 200 blocks in a wait
  // for it; 300 dies and 200 reaps it. The host's poll found 300 still
  // running (0) before the reap, but its result is told after: with no
  // child left the model would say ECHILD. Linux orders the poll's walk
  // and the reap by tasklist_lock: either may have come first.
  StartWorkload();
  Thread(200, 201);
  Fork(200, 300);
  const auto poll = WaitRequest::FromWait4(300, abi::kWNOHANG);
  Apply(WaitStart{.tid = ThreadId(201), .request = poll});
  Exit(300, 1);
  Wait(200, WaitRequest::FromWait4(300, 0), 300, abi::kCLD_EXITED, 1);
  Wait(201, poll, 0, 0, 0);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  // A poll begun after the reap has nothing to walk: only ECHILD is right.
  Apply(WaitStart{.tid = ThreadId(201), .request = poll});
  Wait(201, poll, 0, 0, 0);
  EXPECT_EQ(Divergences(), 1u);
}

TEST_F(WaitTest, ConsumingWaitPrefersTheGroupExitStatus) {
  // The leader calls pthread_exit(0); later another thread calls
  // exit_group(3). Linux (and the model) report 3, also with WNOWAIT (checked
  // on the host: gVisor's seed reports the leader's 0 there).
  StartWorkload();
  Fork(200, 300);
  Thread(300, 301);
  Exit(300, 0, /*group=*/false);
  Exit(301, 3, /*group=*/true);
  auto p = Predict(200, WaitRequest::FromWait4(300, 0));
  ASSERT_EQ(p.candidates.size(), 1u);
  EXPECT_EQ(p.candidates[0].status, 3);
  EXPECT_EQ(p.candidates[0].wait_status, 0x300u);
  Wait(200, WaitRequest::FromWaitid(abi::kP_PID, 300, abi::kWEXITED | abi::kWNOWAIT), 300,
       abi::kCLD_EXITED, 3);
  Wait(200, WaitRequest::FromWait4(300, 0), 300, abi::kCLD_EXITED, 3);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(WaitTest, WnohangWithLiveChildrenIsNothingYet) {
  StartWorkload();
  Fork(200, 300);
  const auto p = Predict(200, WaitRequest::FromWait4(-1, abi::kWNOHANG));
  EXPECT_FALSE(p.echild);
  EXPECT_TRUE(p.candidates.empty());
  Wait(200, WaitRequest::FromWait4(-1, abi::kWNOHANG), 0);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  // A host claiming nothing-yet while the model has a zombie: divergence.
  Exit(300, 0);
  Wait(200, WaitRequest::FromWait4(-1, abi::kWNOHANG), 0);
  EXPECT_EQ(Divergences(), 1u);
}

TEST_F(WaitTest, NoChildrenIsEchildAndAHostDisagreeingIsADivergence) {
  StartWorkload();
  EXPECT_TRUE(Predict(200, WaitRequest::FromWait4(-1, 0)).echild);
  Fork(200, 300);
  Wait(200, WaitRequest::FromWait4(-1, abi::kWNOHANG), -abi::kECHILD);
  EXPECT_EQ(Divergences(), 1u);
}

TEST_F(WaitTest, WaitByPidAndByProcessGroup) {
  StartWorkload();
  Fork(200, 300);
  Fork(200, 301);
  SetPgid(200, 301, 301, 0);
  Exit(300, 1);
  Exit(301, 2);
  // wait4(0): only the caller's own group (200) -> 300.
  auto own = Predict(200, WaitRequest::FromWait4(0, 0));
  ASSERT_EQ(own.candidates.size(), 1u);
  EXPECT_EQ(own.candidates[0].pid, 300);
  auto group = Predict(200, WaitRequest::FromWait4(-301, 0));
  ASSERT_EQ(group.candidates.size(), 1u);
  EXPECT_EQ(group.candidates[0].pid, 301);
  EXPECT_TRUE(Predict(200, WaitRequest::FromWait4(-999, 0)).echild);
  EXPECT_TRUE(Predict(200, WaitRequest::FromWait4(12345, 0)).echild);
  // Any: both may be reported; the host picks.
  EXPECT_EQ(Predict(200, WaitRequest::FromWait4(-1, 0)).candidates.size(), 2u);
  Wait(200, WaitRequest::FromWait4(-1, 0), 301, abi::kCLD_EXITED, 2);
  Wait(200, WaitRequest::FromWait4(-1, 0), 300, abi::kCLD_EXITED, 1);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(WaitTest, ASiblingThreadMayReapChildrenOfAnotherThread) {
  StartWorkload();
  Thread(200, 201);
  Fork(201, 300);  // child of thread 201
  Exit(300, 0);
  EXPECT_EQ(Predict(200, WaitRequest::FromWait4(-1, 0)).candidates.size(), 1u);
  EXPECT_TRUE(Predict(200, WaitRequest::FromWait4(-1, abi::kWNOTHREAD)).echild);
  Wait(200, WaitRequest::FromWait4(-1, 0), 300, abi::kCLD_EXITED, 0);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(WaitTest, WrongStatusFromTheHostIsADivergenceAndTheHostWins) {
  StartWorkload();
  Fork(200, 300);
  Exit(300, 1);
  Wait(200, WaitRequest::FromWait4(300, 0), 300, abi::kCLD_EXITED, 2);
  EXPECT_EQ(Divergences(), 1u);
  EXPECT_FALSE(Exists(300));
}

TEST_F(WaitTest, HostReapingAChildTheModelThoughtAliveFinishesIt) {
  StartWorkload();
  Fork(200, 300);
  Thread(300, 301);
  Wait(200, WaitRequest::FromWait4(300, 0), 300, abi::kCLD_KILLED, abi::kSIGKILL);
  EXPECT_EQ(Divergences(), 1u);
  EXPECT_FALSE(Exists(300));
  EXPECT_FALSE(Exists(301));
  EXPECT_EQ(kernel.Stats().live_tasks, 2u);
}

TEST_F(WaitTest, WaitWithoutAStatusPointerTakesTheModelsEvent) {
  // wait(NULL): the host names the child but not what happened to it.
  StartWorkload();
  Fork(200, 300);
  Fork(200, 301);
  Exit(300, 2);
  Stop(301);
  Wait(200, WaitRequest::FromWait4(300, 0), 300, /*code=*/0, 0);
  EXPECT_FALSE(Exists(300));
  Wait(200, WaitRequest::FromWait4(301, abi::kWUNTRACED), 301, 0, 0);
  EXPECT_TRUE(Predict(200, WaitRequest::FromWait4(301, abi::kWUNTRACED | abi::kWNOHANG))
                  .candidates.empty());  // the stop was consumed
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  Wait(200, WaitRequest::FromWait4(-1, abi::kWNOHANG), 999, 0, 0);  // no such child
  EXPECT_EQ(Divergences(), 1u);
}

TEST_F(WaitTest, ZombieWithoutWexitedIsNotEligible) {
  // Linux wait_consider_task: a reapable zombie does not clear ECHILD for a
  // waitid without WEXITED.
  StartWorkload();
  Fork(200, 300);
  Exit(300, 0);
  EXPECT_TRUE(Predict(200, WaitRequest::FromWaitid(abi::kP_ALL, 0, abi::kWSTOPPED)).echild);
}

TEST_F(WaitTest, ChildUsageAccumulatesOnReap) {
  StartWorkload();
  Fork(200, 300);
  Apply(ExitBegin{.tid = ThreadId(300), .status = {}, .group = true});
  Apply(ExitEnd{.tid = ThreadId(300),
                .status = {},
                .usage = Usage{.utime_ns = 5000, .stime_ns = 7000, .maxrss_kb = 900}});
  Wait(200, WaitRequest::FromWait4(300, 0), 300, abi::kCLD_EXITED, 0);
  const Usage u = Info(200).children_usage;
  EXPECT_EQ(u.utime_ns, 5000);
  EXPECT_EQ(u.stime_ns, 7000);
  EXPECT_EQ(u.maxrss_kb, 900);
}

}  // namespace
}  // namespace sentry::kernel::testing
