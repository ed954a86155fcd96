// Reparenting: to a live sibling thread, then the nearest subreaper, then
// init; PR_SET_PDEATHSIG; zombies re-notifying their new parent.
#include "tests/unit/model_test_util.h"

namespace sentry::kernel::testing {
namespace {

using ReparentTest = ModelTest;

TEST_F(ReparentTest, ToASiblingThreadThenToTheSubreaper) {
  StartWorkload();
  Fork(200, 300);
  Thread(300, 301);
  Fork(301, 400);  // forked by thread 301
  Apply(SetPdeathsig{.tid = ThreadId(400), .signo = abi::kSIGTERM});
  Exit(301, 0, /*group=*/false);
  // The child goes to the surviving thread 300 (same process, same ppid)...
  auto reparented = All(RecordKind::kReparented);
  ASSERT_EQ(reparented.size(), 1u);
  EXPECT_EQ(reparented[0].other_tid.value, 300);
  EXPECT_EQ(Info(400).ppid, 300);
  // ...and PR_SET_PDEATHSIG fires anyway: it follows the parent *thread*.
  auto predicted = All(RecordKind::kSignalPredicted);
  ASSERT_EQ(predicted.size(), 1u);
  EXPECT_EQ(predicted[0].value, abi::kSIGTERM);
  EXPECT_EQ(predicted[0].value2, static_cast<std::int64_t>(SignalCause::kParentDeath));
  // When the whole process exits, the child goes to the nearest subreaper.
  Exit(300, 0);
  EXPECT_EQ(Info(400).ppid, 100);
  Apply(ParentObserved{.tid = ThreadId(400), .parent = ThreadId(100)});
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

// A fatal signal inside clone skips the clone's event: the child is told
// after its creator's exit began. It still belongs to that creator, whose
// exit's end hands it to the subreaper; after that end, no clone is taken.
TEST_F(ReparentTest, CloneToldAfterItsCreatorsExitBeganIsReparentedByThatExit) {
  StartWorkload();
  Apply(SetSubreaper{.tid = ThreadId(200), .enabled = true});
  Fork(200, 300);
  const ExitStatus killed{.code = 0, .signo = abi::kSIGKILL, .core = false};
  Apply(ExitBegin{.tid = ThreadId(300), .status = killed, .group = true});
  Fork(300, 400);
  EXPECT_EQ(Info(400).ppid, 300);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  Apply(ExitEnd{.tid = ThreadId(300), .status = killed, .usage = {}});
  EXPECT_EQ(Info(400).ppid, 200);  // the subreaper, not the sentry
  Fork(300, 401);                  // the creator's exit is over: impossible
  EXPECT_FALSE(Exists(401));
  EXPECT_EQ(Divergences(), 1u);
}

TEST_F(ReparentTest, NearestSubreaperWins) {
  StartWorkload();
  Fork(200, 300);
  Apply(SetSubreaper{.tid = ThreadId(300), .enabled = true});
  Fork(300, 400);
  Fork(400, 500);
  Exit(400, 0);
  EXPECT_EQ(Info(500).ppid, 300);  // not the sentry (100)
}

TEST_F(ReparentTest, WithoutASubreaperOrphansLeaveTheModel) {
  Existing(100, 0, 100, 100, /*subreaper=*/false);
  Fork(100, 200);
  Fork(200, 300);
  Exit(200, 0);
  EXPECT_EQ(Info(300).ppid, 0);  // the host's init, outside the model
  Exit(300, 0);
  EXPECT_FALSE(Exists(300));  // init reaps it
  EXPECT_EQ(All(RecordKind::kReaped).back().value2,
            static_cast<std::int64_t>(ReapCause::kNoParent));
}

TEST_F(ReparentTest, ZombieReparentedToAnIgnoringParentIsReaped) {
  StartWorkload();
  Ignore(100);  // the subreaper ignores SIGCHLD
  Fork(200, 300);
  Fork(300, 400);
  Exit(400, 0);  // zombie, 300 never waits
  EXPECT_EQ(Info(400).state, 'Z');
  Exit(300, 0);
  EXPECT_FALSE(Exists(400));
}

TEST_F(ReparentTest, ZombieAdoptedBySubreaperIsWaitable) {
  StartWorkload();
  Fork(200, 300);
  Fork(300, 400);
  Exit(400, 6);
  Exit(300, 0);
  const auto p = Predict(100, WaitRequest::FromWait4(-1, 0));
  ASSERT_EQ(p.candidates.size(), 1u);  // 400 only: 300 is 200's
  EXPECT_EQ(p.candidates[0].pid, 400);
  Wait(100, WaitRequest::FromWait4(-1, 0), 400, abi::kCLD_EXITED, 6);
  EXPECT_EQ(All(RecordKind::kReaped).back().other_tid.value, 100);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(ReparentTest, HostParentDisagreeingIsADivergenceAndTheHostWins) {
  StartWorkload();
  Fork(200, 300);
  Fork(300, 400);
  Apply(ParentObserved{.tid = ThreadId(400), .parent = ThreadId(200)});
  EXPECT_EQ(Divergences(), 1u);
  EXPECT_EQ(Info(400).ppid, 200);
}

// Linux marks a task exiting (PF_EXITING) only after its exit event stop, so
// a subreaper whose exit the tracer has seen may still adopt. The model
// passes it over; the host's parent, read after the reparenting, decides.
TEST_F(ReparentTest, AnExitingSubreaperMayStillAdoptOnTheHost) {
  StartWorkload();
  Fork(200, 300);
  Apply(SetSubreaper{.tid = ThreadId(300), .enabled = true});
  Fork(300, 400);
  Fork(400, 500);
  const ExitStatus done{.code = 0, .signo = 0, .core = false};
  Apply(ExitBegin{.tid = ThreadId(300), .status = done, .group = true});
  Exit(400, 0);
  EXPECT_EQ(Info(500).ppid, 100);  // the model's guess: 300 was already exiting
  Apply(ParentObserved{.tid = ThreadId(500), .parent = ThreadId(300)});
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  EXPECT_EQ(Info(500).ppid, 300);
  const Record corrected = All(RecordKind::kReparented).back();
  EXPECT_EQ(corrected.other_tid.value, 300);
  EXPECT_EQ(corrected.value2, 1);
  // When 300's exit ends, 500 moves on to the sentry, as on the host.
  Apply(ExitEnd{.tid = ThreadId(300), .status = done, .usage = {}});
  EXPECT_EQ(Info(500).ppid, 100);
  Apply(ParentObserved{.tid = ThreadId(500), .parent = ThreadId(100)});
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

// Only an adopter the model passed over, and only while it is exiting: a
// subreaper that has become a zombie can no longer adopt.
TEST_F(ReparentTest, AZombieSubreaperAdoptingIsADivergence) {
  StartWorkload();
  Fork(200, 300);
  Apply(SetSubreaper{.tid = ThreadId(300), .enabled = true});
  Fork(300, 400);
  Fork(400, 500);
  const ExitStatus done{.code = 0, .signo = 0, .core = false};
  Apply(ExitBegin{.tid = ThreadId(300), .status = done, .group = true});
  Exit(400, 0);
  Apply(ExitEnd{.tid = ThreadId(300), .status = done, .usage = {}});
  Apply(ParentObserved{.tid = ThreadId(500), .parent = ThreadId(300)});
  EXPECT_EQ(Divergences(), 1u);
  EXPECT_EQ(Info(500).ppid, 100);
}

// A live subreaper is never passed over: the host naming another adopter is
// a divergence.
TEST_F(ReparentTest, ALiveSubreaperIsTheOnlyAnswer) {
  StartWorkload();
  Fork(200, 300);
  Apply(SetSubreaper{.tid = ThreadId(300), .enabled = true});
  Fork(300, 400);
  Fork(400, 500);
  Exit(400, 0);
  EXPECT_EQ(Info(500).ppid, 300);
  Apply(ParentObserved{.tid = ThreadId(500), .parent = ThreadId(100)});
  EXPECT_EQ(Divergences(), 1u);
}

TEST_F(ReparentTest, ClonedWithClonePArentSharesTheCallersParent) {
  StartWorkload();
  Fork(200, 300);
  Fork(300, 400, abi::kSIGCHLD, abi::kCLONE_PARENT);
  EXPECT_EQ(Info(400).ppid, 200);
}

}  // namespace
}  // namespace sentry::kernel::testing
