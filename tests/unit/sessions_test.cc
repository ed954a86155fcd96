// Sessions and process groups: setsid/setpgid rules and orphaned groups.
#include "sentry/kernel/narrate.h"
#include "tests/unit/model_test_util.h"

namespace sentry::kernel::testing {
namespace {

class SessionsTest : public ModelTest {
 protected:
  // Session leader 200 on terminal 34816; job 300 in the foreground, job 400
  // in the background (no signal is ever for it).
  void LeaderWithForegroundAndBackgroundJobs() {
    StartWorkload();
    Apply(ControllingTty{.tid = ThreadId(200), .tty_nr = 34816});
    Fork(200, 300);
    SetPgid(300, 0, 0, 0);
    Fork(200, 400);
    SetPgid(400, 0, 0, 0);
    Apply(ForegroundGroup{.tid = ThreadId(200), .pgid = ProcessGroupId(300)});
  }
};

TEST_F(SessionsTest, SetsidTwiceIsEperm) {
  StartWorkload();
  EXPECT_EQ(Info(200).sid, 200);
  EXPECT_EQ(Info(200).pgid, 200);
  SetSid(200, -abi::kEPERM);  // the host agrees: already a session leader
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  ASSERT_EQ(CountLast(RecordKind::kSyscallResult), 1u);
  EXPECT_EQ(last_records.front().value, -abi::kEPERM);
}

TEST_F(SessionsTest, SetsidByGroupLeaderIsEpermAndChildCanSetsid) {
  StartWorkload();
  Fork(200, 300);
  SetPgid(300, 0, 0, 0);  // 300 leads group 300
  SetSid(300, -abi::kEPERM);
  Fork(200, 301);
  SetSid(301, 301);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  EXPECT_EQ(Info(301).sid, 301);
  EXPECT_EQ(Info(301).pgid, 301);
  EXPECT_EQ(Count(RecordKind::kSessionCreated), 3u);  // 100 (pre-existing), 200, 301
}

TEST_F(SessionsTest, HostDisagreeingWithSetsidIsADivergenceAndTheHostWins) {
  StartWorkload();
  Fork(200, 300);
  SetSid(300, -abi::kEPERM);  // the model predicts success
  EXPECT_EQ(Divergences(), 1u);
  EXPECT_EQ(Info(300).sid, 200);  // no change: the host refused
}

TEST_F(SessionsTest, SetpgidIntoAnotherSessionIsEperm) {
  StartWorkload();
  Fork(200, 300);
  SetSid(300, 300);  // 300 leads a new session; group 300 lives there
  Fork(200, 301);
  SetPgid(301, 0, 300, -abi::kEPERM);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  EXPECT_EQ(Info(301).pgid, 200);
  // The parent moving a child that left for another session: EPERM too.
  SetPgid(200, 300, 200, -abi::kEPERM);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(SessionsTest, JoinAfterExecIsEacces) {
  StartWorkload();
  Fork(200, 300);
  SetPgid(200, 300, 300, 0);  // before exec: allowed, new group 300
  EXPECT_EQ(Info(300).pgid, 300);
  ExecAs(300, "job");
  SetPgid(200, 300, 200, -abi::kEACCES);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
  EXPECT_EQ(Info(300).pgid, 300);
}

TEST_F(SessionsTest, SetpgidErrnoRules) {
  StartWorkload();
  Fork(200, 300);
  Fork(300, 400);  // grandchild of 200
  // Each failure's record names the call as written and the rule behind it.
  const auto rule_of_last = [&] {
    for (const Record& r : last_records) {
      if (r.kind == RecordKind::kSyscallResult) return std::pair{r.rule, r.detail};
    }
    return std::pair{Rule::kNone, std::string()};
  };
  SetPgid(200, 400, 400, -abi::kESRCH);  // not our child
  EXPECT_EQ(rule_of_last(), std::pair(Rule::kSetPgidNotChild, std::string("setpgid(400, 400)")));
  SetPgid(200, 999, 0, -abi::kESRCH);  // no such process
  EXPECT_EQ(rule_of_last().first, Rule::kSetPgidNoSuchProcess);
  SetPgid(200, 300, -1, -abi::kEINVAL);  // negative pgid
  EXPECT_EQ(rule_of_last().first, Rule::kSetPgidNegative);
  SetPgid(200, 300, 12345, -abi::kEPERM);  // no such group
  EXPECT_EQ(rule_of_last().first, Rule::kSetPgidGroupElsewhere);
  SetPgid(200, 0, 0, -abi::kEPERM);  // session leader
  EXPECT_EQ(rule_of_last().first, Rule::kSetPgidSessionLeader);
  Thread(300, 301);
  SetPgid(200, 301, 0, -abi::kEINVAL);  // not a thread group leader
  EXPECT_EQ(rule_of_last().first, Rule::kSetPgidNotAProcess);
  SetPgid(200, 300, 300, 0);  // success: no rule
  EXPECT_EQ(rule_of_last().first, Rule::kNone);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

// The sentence of each failure says what was asked and the rule, in words.
TEST_F(SessionsTest, AFailedSetpgidIsToldWithTheCallAndItsRule) {
  StartWorkload();
  Fork(200, 300);
  Narrator narrator;
  SetPgid(200, 0, 0, -abi::kEPERM);
  std::string told;
  for (const Sentence& s : narrator.Narrate(last_records)) told += s.text + "\n";
  EXPECT_NE(told.find("called setpgid(0, 0), which failed with EPERM: a session leader cannot "
                      "change its process group (setpgid(2): EPERM)"),
            std::string::npos)
      << told;
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(SessionsTest, JoiningAGroupAndGroupsDisappearWithTheirLastMember) {
  StartWorkload();
  Fork(200, 300);
  SetPgid(300, 0, 0, 0);
  Fork(200, 301);
  SetPgid(301, 0, 300, 0);
  EXPECT_EQ(Info(301).pgid, 300);
  Exit(300, 0);
  Wait(200, WaitRequest::FromWait4(300, 0), 300, abi::kCLD_EXITED, 0);
  EXPECT_EQ(Count(RecordKind::kProcessGroupGone), 0u);  // 301 is still in it
  Exit(301, 0);
  Wait(200, WaitRequest::FromWait4(301, 0), 301, abi::kCLD_EXITED, 0);
  ASSERT_EQ(Count(RecordKind::kProcessGroupGone), 1u);
  EXPECT_EQ(All(RecordKind::kProcessGroupGone)[0].value, 300);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

// A job (group 400) whose only link to the session is its parent 300, in
// group 300. When 300 exits, 400 is reparented to the sentry (another
// session): the group is newly orphaned.
class OrphanTest : public ModelTest {
 protected:
  void SetUpJob() {
    StartWorkload();
    Fork(200, 300);
    SetPgid(300, 0, 0, 0);
    Fork(300, 400);
    SetPgid(400, 0, 0, 0);
    Fork(400, 401);  // second member of group 400
  }
};

TEST_F(OrphanTest, NewlyOrphanedGroupWithAStoppedMemberIsPredictedHupAndCont) {
  SetUpJob();
  EXPECT_FALSE(kernel.ProcessGroups()[0].orphan);
  Stop(401, abi::kSIGTSTP);
  Exit(300, 0);
  const auto predicted = All(RecordKind::kSignalPredicted);
  ASSERT_EQ(predicted.size(), 4u);  // HUP and CONT to each member
  EXPECT_EQ(predicted[0].value, abi::kSIGHUP);
  EXPECT_EQ(predicted[1].value, abi::kSIGCONT);
  EXPECT_EQ(predicted[0].value2, static_cast<std::int64_t>(SignalCause::kOrphanedGroup));
  EXPECT_EQ(predicted[0].other_tid.value, 300);  // caused by 300's exit
  EXPECT_EQ(Info(400).ppid, 100);                // adopted by the subreaper
  EXPECT_EQ(kernel.Stats().outstanding_predictions, 4u);
  // The host delivers them; the predictions are settled.
  for (int tid : {400, 401}) {
    for (int sig : {abi::kSIGHUP, abi::kSIGCONT}) {
      Apply(SignalDelivered{
          .tid = ThreadId(tid), .signo = sig, .code = abi::kSI_KERNEL, .sender = ThreadId(0)});
    }
  }
  EXPECT_EQ(kernel.Stats().outstanding_predictions, 0u);
  EXPECT_EQ(Info(401).state, 'R');  // SIGCONT ended the stop
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(OrphanTest, NoPredictionWhenNoMemberIsStopped) {
  SetUpJob();
  Exit(300, 0);
  EXPECT_EQ(Count(RecordKind::kSignalPredicted), 0u);
  auto groups = kernel.ProcessGroups();
  auto job = std::find_if(groups.begin(), groups.end(), [](auto& g) { return g.pgid == 400; });
  ASSERT_NE(job, groups.end());
  EXPECT_TRUE(job->orphan);
}

TEST_F(OrphanTest, ExitOfTheLastConnectingMemberOrphansItsOwnGroup) {
  // Group 300 = {300, 301 (child of 300)}; only 300 links it to the session.
  StartWorkload();
  Fork(200, 300);
  SetPgid(300, 0, 0, 0);
  Fork(300, 301);
  Stop(301);
  Exit(300, 0);
  const auto predicted = All(RecordKind::kSignalPredicted);
  ASSERT_EQ(predicted.size(), 2u);
  EXPECT_EQ(predicted[0].tid.value, 301);
}

TEST_F(OrphanTest, GroupStillConnectedElsewhereIsNotOrphaned) {
  SetUpJob();
  // 200 (group 200) also has a child in group 400: the group keeps a link.
  Fork(200, 500);
  SetPgid(500, 0, 400, 0);
  Stop(401);
  Exit(300, 0);
  EXPECT_EQ(Count(RecordKind::kSignalPredicted), 0u);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(SessionsTest, ForegroundGroupAndControllingTerminal) {
  StartWorkload();
  Apply(ControllingTty{.tid = ThreadId(200), .tty_nr = 34816});
  Fork(200, 300);
  SetPgid(300, 0, 0, 0);
  Apply(ForegroundGroup{.tid = ThreadId(200), .pgid = ProcessGroupId(300)});
  EXPECT_EQ(Info(200).tpgid, 300);
  EXPECT_EQ(Info(300).tty_nr, 34816);
  Exit(300, 0);
  Wait(200, WaitRequest::FromWait4(-1, 0), 300, abi::kCLD_EXITED, 0);
  // Like Linux's tty->pgrp, the terminal keeps naming the emptied group.
  EXPECT_EQ(Info(200).tpgid, 300);
}

// Linux disassociate_ctty(on_exit): the session leader's exit hangs up the
// pty's foreground group (SIGHUP only) and the session loses its terminal.
TEST_F(SessionsTest, SessionLeaderExitHangsUpTheForegroundGroup) {
  LeaderWithForegroundAndBackgroundJobs();
  Exit(200, 0);
  const auto predicted = All(RecordKind::kSignalPredicted);
  ASSERT_EQ(predicted.size(), 1u);
  EXPECT_EQ(predicted[0].tid.value, 300);
  EXPECT_EQ(predicted[0].value, abi::kSIGHUP);
  EXPECT_EQ(predicted[0].value2, static_cast<std::int64_t>(SignalCause::kSessionLeaderExit));
  EXPECT_EQ(Info(300).tty_nr, 0);
  EXPECT_EQ(Info(400).tpgid, -1);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

// Linux TIOCNOTTY -> disassociate_ctty(0): the leader giving its terminal up
// hangs up the foreground group with SIGHUP and SIGCONT, the leader too when
// it is in that group; anyone else's TIOCNOTTY leaves the session's terminal.
TEST_F(SessionsTest, LeaderDroppingItsTerminalHangsUpAndContinuesTheForeground) {
  LeaderWithForegroundAndBackgroundJobs();
  Apply(DropControllingTty{.tid = ThreadId(300)});  // not the leader
  EXPECT_EQ(Count(RecordKind::kSignalPredicted), 0u);
  EXPECT_EQ(Info(300).tty_nr, 34816);
  Apply(DropControllingTty{.tid = ThreadId(200)});
  const auto predicted = All(RecordKind::kSignalPredicted);
  ASSERT_EQ(predicted.size(), 2u);
  for (const auto& p : predicted) {
    EXPECT_EQ(p.tid.value, 300);
    EXPECT_EQ(p.value2, static_cast<std::int64_t>(SignalCause::kTerminalDropped));
  }
  EXPECT_EQ(predicted[0].value, abi::kSIGHUP);
  EXPECT_EQ(predicted[1].value, abi::kSIGCONT);
  EXPECT_EQ(Info(300).tty_nr, 0);
  EXPECT_EQ(Info(200).tpgid, -1);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(SessionsTest, SessionLeaderInTheForegroundHangsUpNobodyElse) {
  StartWorkload();
  Apply(ControllingTty{.tid = ThreadId(200), .tty_nr = 34816});
  Fork(200, 300);
  SetPgid(300, 0, 0, 0);
  Exit(200, 0);  // 200's own group was in the foreground
  EXPECT_EQ(Count(RecordKind::kSignalPredicted), 0u);
  EXPECT_EQ(Info(300).tty_nr, 0);
}

}  // namespace
}  // namespace sentry::kernel::testing
