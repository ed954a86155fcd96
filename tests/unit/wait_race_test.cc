// Waits racing other tasks' changes: what a wait that ran while the host
// changed something may legitimately have seen (Linux do_wait walks the
// children once, under tasklist_lock, somewhere between the syscall's entry
// and its result), and what a SIGKILL changes at once.
#include "tests/unit/model_test_util.h"

namespace sentry::kernel::testing {
namespace {

using WaitRaceTest = ModelTest;

// A zombie adopted while the subreaper's WNOHANG wait ran may be missed.
TEST_F(WaitRaceTest, AZombieAdoptedDuringAWaitMayBeMissed) {
  StartWorkload();
  Apply(SetSubreaper{.tid = ThreadId(200), .enabled = true});
  Fork(200, 300);
  Fork(300, 400);
  Exit(400, 5);  // a zombie of 300's
  const auto poll = WaitRequest::FromWait4(-1, abi::kWNOHANG);
  Apply(WaitStart{.tid = ThreadId(200), .request = poll});
  Exit(300, 0);  // 400 goes to the subreaper 200, during its wait
  EXPECT_EQ(Info(400).ppid, 200);
  Wait(200, poll, 0);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  // Once the child is its before the wait, missing it is a divergence.
  Apply(WaitStart{.tid = ThreadId(200), .request = poll});
  Wait(200, poll, 0);
  EXPECT_EQ(Divergences(), 1u);
  const Record d = All(RecordKind::kDivergence).back();
  EXPECT_NE(d.detail.find("pid 300"), std::string::npos) << d.detail;
}

// A child that left the process group a P_PGID wait names while the wait ran
// may still be in its walk: ECHILD and "a child" are both right.
TEST_F(WaitRaceTest, AChildLeavingTheWaitedGroupDuringTheWait) {
  StartWorkload();
  Fork(200, 300);
  const auto own_group = WaitRequest::FromWait4(0, abi::kWNOHANG);
  Apply(WaitStart{.tid = ThreadId(200), .request = own_group});
  SetPgid(300, 0, 0, 0);    // 300 leads a group of its own now
  Wait(200, own_group, 0);  // the walk came first: 300 was there
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  Exit(300, 4);
  Apply(WaitStart{.tid = ThreadId(200), .request = own_group});
  Wait(200, own_group, -abi::kECHILD);  // long gone from the group: right
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  Fork(200, 500);
  Apply(WaitStart{.tid = ThreadId(200), .request = own_group});
  Wait(200, own_group, -abi::kECHILD);  // 500 was in the group all along
  EXPECT_EQ(Divergences(), 1u);
  EXPECT_NE(All(RecordKind::kDivergence).back().detail.find("pid 500"), std::string::npos);
}

// A wait for its own group (wait4(0), waitid(P_PGID, 0)) looks at the group
// the caller was in at the syscall's entry (Linux resolves it there), even
// when its parent moves it before the result: a child left in that group is
// still what it reports; the group it was moved to has none. Once the wait
// began in the new group, the old one is no longer looked at.
TEST_F(WaitRaceTest, AWaitForItsOwnGroupKeepsTheGroupItStartedIn) {
  StartWorkload();
  Fork(200, 300);
  Fork(300, 400);  // in 300's group, 200's
  Exit(400, 1);
  const auto own_group = WaitRequest::FromWait4(0, abi::kWNOHANG);
  Apply(WaitStart{.tid = ThreadId(300), .request = own_group});
  SetPgid(200, 300, 300, 0);                       // the parent moves 300 into a group of its own
  Wait(300, own_group, 400, abi::kCLD_EXITED, 1);  // the entry came first
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  // ECHILD from the group it left (400 is gone), though the group it was
  // moved back into has a child.
  Fork(300, 500);
  SetPgid(300, 500, 200, 0);  // back into the parent's group, 200
  Apply(WaitStart{.tid = ThreadId(300), .request = own_group});
  SetPgid(200, 300, 200, 0);            // 300 back too, during the wait
  Wait(300, own_group, -abi::kECHILD);  // the entry came first again
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  // Started in the group it is in now: ECHILD is wrong, 500 is there.
  Apply(WaitStart{.tid = ThreadId(300), .request = own_group});
  Wait(300, own_group, -abi::kECHILD);
  EXPECT_EQ(Divergences(), 1u);
}

// SIGKILL ends what a wait can report of a stop or a continue at once (Linux
// complete_signal sets signal->flags to SIGNAL_GROUP_EXIT alone).
TEST_F(WaitRaceTest, AGroupExitEndsTheStopAndTheContinue) {
  StartWorkload();
  Fork(200, 300);
  Stop(300);
  const auto jobs = WaitRequest::FromWait4(-1, abi::kWUNTRACED | abi::kWCONTINUED | abi::kWNOHANG);
  EXPECT_EQ(Predict(200, jobs).candidates.size(), 1u);
  Apply(GroupContinue{.tid = ThreadId(300)});
  ASSERT_EQ(Predict(200, jobs).candidates.size(), 1u);
  EXPECT_EQ(Predict(200, jobs).candidates[0].event, WaitEvent::kContinue);
  Apply(ExitBegin{.tid = ThreadId(300),
                  .status = ExitStatus{.code = 0, .signo = abi::kSIGKILL, .core = false},
                  .group = true});
  EXPECT_TRUE(Predict(200, jobs).candidates.empty());
  Apply(WaitStart{.tid = ThreadId(200), .request = jobs});
  Wait(200, jobs, 0);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

// A stop superseded by a continue (or a continue by a new stop) while a wait
// ran may be what that wait reports; not after.
TEST_F(WaitRaceTest, AStopSupersededDuringTheWaitMayBeReported) {
  StartWorkload();
  Fork(200, 300);
  const auto jobs = WaitRequest::FromWait4(300, abi::kWUNTRACED | abi::kWCONTINUED);
  Stop(300);
  Apply(WaitStart{.tid = ThreadId(200), .request = jobs});
  Apply(GroupContinue{.tid = ThreadId(300)});
  Wait(200, jobs, 300, abi::kCLD_STOPPED, abi::kSIGSTOP);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  Apply(WaitStart{.tid = ThreadId(200), .request = jobs});
  Stop(300);
  Wait(200, jobs, 300, abi::kCLD_CONTINUED, abi::kSIGCONT);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  // The stop stands; a continue reported now is a divergence.
  Apply(WaitStart{.tid = ThreadId(200), .request = jobs});
  Wait(200, jobs, 300, abi::kCLD_CONTINUED, abi::kSIGCONT);
  EXPECT_EQ(Divergences(), 1u);
}

// A fork that came before a setpgid moved its creator, told after it: the
// child keeps the group the host forked it into.
TEST_F(WaitRaceTest, AForkBeforeItsCreatorsMoveKeepsTheOldGroup) {
  StartWorkload();
  Fork(200, 300);
  SetPgid(200, 300, 300, 0);  // the parent moves 300 to a group of its own
  Apply(Clone{.parent = ThreadId(300),
              .child = ThreadId(400),
              .flags = 0,
              .exit_signal = abi::kSIGCHLD,
              .nested_tids = {},
              .error = 0,
              .pgid = 200});
  EXPECT_EQ(Info(400).pgid, 200);
  EXPECT_EQ(Info(300).pgid, 300);
  Fork(300, 500);  // no word from the host: the creator's group
  EXPECT_EQ(Info(500).pgid, 300);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

}  // namespace
}  // namespace sentry::kernel::testing
