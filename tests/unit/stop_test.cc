// Group stops, continues, vfork/exec stops, external stops and state letters.
#include "tests/unit/model_test_util.h"

namespace sentry::kernel::testing {
namespace {

using StopTest = ModelTest;

TEST_F(StopTest, GroupStopCompletesOnlyWhenEveryLiveThreadAcknowledged) {
  StartWorkload();
  Fork(200, 300);
  Thread(300, 301);
  Thread(300, 302);
  Stop(300);
  EXPECT_EQ(Count(RecordKind::kGroupStopInitiated), 1u);
  Stop(301);
  EXPECT_EQ(Count(RecordKind::kGroupStopCompleted), 0u);
  EXPECT_TRUE(
      Predict(200, WaitRequest::FromWait4(-1, abi::kWUNTRACED | abi::kWNOHANG)).candidates.empty());
  Stop(302);
  ASSERT_EQ(Count(RecordKind::kGroupStopCompleted), 1u);
  EXPECT_EQ(All(RecordKind::kGroupStopCompleted)[0].other_tid.value, 200);  // parent told
  EXPECT_EQ(Info(300).state, 'T');
  auto p = Predict(200, WaitRequest::FromWait4(-1, abi::kWUNTRACED));
  ASSERT_EQ(p.candidates.size(), 1u);
  EXPECT_EQ(p.candidates[0].event, WaitEvent::kStop);
  EXPECT_EQ(p.candidates[0].wait_status, 0x137fu);
  // Without WUNTRACED the stop is not reported; the child is still eligible.
  p = Predict(200, WaitRequest::FromWait4(-1, abi::kWNOHANG));
  EXPECT_FALSE(p.echild);
  EXPECT_TRUE(p.candidates.empty());
  Wait(200, WaitRequest::FromWait4(-1, abi::kWUNTRACED), 300, abi::kCLD_STOPPED, abi::kSIGSTOP);
  EXPECT_TRUE(Predict(200, WaitRequest::FromWait4(-1, abi::kWUNTRACED | abi::kWNOHANG))
                  .candidates.empty());  // consumed
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(StopTest, AThreadExitingMidStopCompletesIt) {
  StartWorkload();
  Fork(200, 300);
  Thread(300, 301);
  Stop(300, abi::kSIGTSTP);
  Exit(301, 0, /*group=*/false);  // the one the stop waited for
  ASSERT_EQ(Count(RecordKind::kGroupStopCompleted), 1u);
  EXPECT_EQ(All(RecordKind::kGroupStopCompleted)[0].value, abi::kSIGTSTP);
  EXPECT_EQ(Predict(200, WaitRequest::FromWait4(-1, abi::kWUNTRACED)).candidates.size(), 1u);
}

// A thread whose exit event was seen is left out of a group stop; on the
// host it takes part until it is PF_EXITING, set only after that stop. So a
// wait that finds the stop not yet complete is no divergence.
TEST_F(StopTest, AStopBesideAThreadInItsExitIsNotCertain) {
  StartWorkload();
  Fork(200, 300);
  Thread(300, 301);
  const ExitStatus done{.code = 0, .signo = 0, .core = false};
  Apply(ExitBegin{.tid = ThreadId(301), .status = done, .group = false});
  Stop(300);
  ASSERT_EQ(Count(RecordKind::kGroupStopCompleted), 1u);
  const auto p = Predict(200, WaitRequest::FromWait4(-1, abi::kWUNTRACED | abi::kWNOHANG));
  ASSERT_EQ(p.candidates.size(), 1u);
  EXPECT_FALSE(p.candidates[0].certain);
  Wait(200, WaitRequest::FromWait4(-1, abi::kWUNTRACED | abi::kWNOHANG), 0);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(StopTest, AnAcknowledgedThreadExitingDoesNotCompleteIt) {
  StartWorkload();
  Fork(200, 300);
  Thread(300, 301);
  Thread(300, 302);
  Stop(301);
  Exit(301, 0, /*group=*/false);  // acknowledged, then killed: un-acknowledges
  EXPECT_EQ(Count(RecordKind::kGroupStopCompleted), 0u);
  Stop(300);
  EXPECT_EQ(Count(RecordKind::kGroupStopCompleted), 0u);
  Stop(302);
  EXPECT_EQ(Count(RecordKind::kGroupStopCompleted), 1u);
}

TEST_F(StopTest, SigcontDuringAnInitiatedStop) {
  StartWorkload();
  Fork(200, 300);
  Thread(300, 301);
  Stop(300);
  Apply(GroupContinue{.tid = ThreadId(300)});
  ASSERT_EQ(Count(RecordKind::kGroupContinued), 1u);
  EXPECT_EQ(All(RecordKind::kGroupContinued)[0].value, 1);  // interrupted an initiated stop
  EXPECT_EQ(Info(300).state, 'R');
  // The stop never completed: nothing for WUNTRACED; WCONTINUED reports.
  auto p = Predict(200, WaitRequest::FromWait4(-1, abi::kWUNTRACED | abi::kWNOHANG));
  EXPECT_TRUE(p.candidates.empty());
  p = Predict(200, WaitRequest::FromWait4(-1, abi::kWCONTINUED));
  ASSERT_EQ(p.candidates.size(), 1u);
  EXPECT_EQ(p.candidates[0].wait_status, 0xffffu);
  Wait(200, WaitRequest::FromWait4(-1, abi::kWCONTINUED), 300, abi::kCLD_CONTINUED, abi::kSIGCONT);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(StopTest, SigcontAfterACompleteStopViaSignalDelivery) {
  StartWorkload();
  Fork(200, 300);
  Stop(300, abi::kSIGTSTP);
  Wait(200, WaitRequest::FromWait4(300, abi::kWUNTRACED), 300, abi::kCLD_STOPPED, abi::kSIGTSTP);
  Apply(SignalDelivered{.tid = ThreadId(300),
                        .signo = abi::kSIGCONT,
                        .code = abi::kSI_USER,
                        .sender = ThreadId(200)});
  EXPECT_EQ(All(RecordKind::kGroupContinued)[0].value, 0);
  EXPECT_EQ(All(RecordKind::kSignalDelivered)[0].other_tid.value, 200);
  Wait(200, WaitRequest::FromWait4(300, abi::kWCONTINUED), 300, abi::kCLD_CONTINUED, abi::kSIGCONT);
  // A new stop clears the continue.
  Stop(300);
  EXPECT_TRUE(Predict(200, WaitRequest::FromWait4(300, abi::kWCONTINUED | abi::kWNOHANG))
                  .candidates.empty());
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(StopTest, GroupExitCancelsAGroupStop) {
  StartWorkload();
  Fork(200, 300);
  Stop(300);
  Killed(300, abi::kSIGKILL);
  const auto p = Predict(200, WaitRequest::FromWait4(300, abi::kWUNTRACED));
  ASSERT_EQ(p.candidates.size(), 1u);
  EXPECT_EQ(p.candidates[0].event, WaitEvent::kExit);
}

TEST_F(StopTest, VforkParentWaitsUntilTheChildExecs) {
  StartWorkload();
  Fork(200, 300, abi::kSIGCHLD, abi::kCLONE_VM | abi::kCLONE_VFORK);
  EXPECT_EQ(Info(200).state, 'D');
  EXPECT_EQ(Info(200).stop, StopKind::kVfork);
  ExecAs(300, "true");
  EXPECT_EQ(Info(200).state, 'R');
  Apply(VforkDone{.parent = ThreadId(200)});  // arrives after exec: harmless
  EXPECT_EQ(Info(200).state, 'R');
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(StopTest, VforkParentIsReleasedByTheChildsExitOrVforkDone) {
  StartWorkload();
  Fork(200, 300, abi::kSIGCHLD, abi::kCLONE_VM | abi::kCLONE_VFORK);
  Exit(300, 127);
  EXPECT_EQ(Info(200).stop, StopKind::kNone);
  Fork(200, 301, abi::kSIGCHLD, abi::kCLONE_VM | abi::kCLONE_VFORK);
  Apply(VforkDone{.parent = ThreadId(200)});
  EXPECT_EQ(Info(200).stop, StopKind::kNone);
}

TEST_F(StopTest, ExecStopWaitsForSiblings) {
  StartWorkload();
  Thread(200, 201);
  Apply(ExecStart{.tid = ThreadId(200)});
  EXPECT_EQ(Info(200).stop, StopKind::kExec);
  Apply(ExitBegin{.tid = ThreadId(201), .status = {}, .group = false});
  Apply(ExitEnd{.tid = ThreadId(201), .status = {}, .usage = {}});
  EXPECT_EQ(Info(200).stop, StopKind::kNone);
}

TEST_F(StopTest, ExternalStopsPerTaskAndForTheTaskSet) {
  StartWorkload();
  Fork(200, 300);
  Apply(ExternalStop{.tid = ThreadId(0), .stopped = true});
  EXPECT_EQ(Info(300).external_stops, 1);
  EXPECT_EQ(Info(300).state, 'D');
  Fork(200, 301);  // new tasks inherit the task set's pause
  EXPECT_EQ(Info(301).external_stops, 1);
  Apply(ExternalStop{.tid = ThreadId(300), .stopped = true});
  EXPECT_EQ(Info(300).external_stops, 2);
  Apply(ExternalStop{.tid = ThreadId(0), .stopped = false});
  EXPECT_EQ(Info(301).external_stops, 0);
  EXPECT_EQ(Info(300).external_stops, 1);
  Apply(ExternalStop{.tid = ThreadId(300), .stopped = false});
  EXPECT_EQ(Info(300).state, 'R');
  Apply(ExternalStop{.tid = ThreadId(300), .stopped = false});  // unbalanced
  EXPECT_EQ(Divergences(), 1u);
}

TEST_F(StopTest, StateLetters) {
  StartWorkload();
  Fork(200, 300);
  EXPECT_EQ(Info(300).state, 'R');
  Apply(WaitStart{.tid = ThreadId(200), .request = WaitRequest::FromWait4(-1, 0)});
  EXPECT_EQ(Info(200).state, 'S');
  Apply(TraceStop{.tid = ThreadId(300), .stopped = true});
  EXPECT_EQ(Info(300).state, 't');
  Apply(TraceStop{.tid = ThreadId(300), .stopped = false});
  Exit(300, 0);
  EXPECT_EQ(Info(300).state, 'Z');
  Wait(200, WaitRequest::FromWait4(-1, 0), 300, abi::kCLD_EXITED, 0);
  EXPECT_EQ(Info(200).state, 'R');
}

}  // namespace
}  // namespace sentry::kernel::testing
