// `sentry replay` of a JSON-lines log: what it does with a log that a killed
// sentry cut short, lines out of order, a question past the end, a log that
// does not replay to its own records, and ids under --pidns.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fusefs/live_run.h"
#include "tests/platform/platform_test_util.h"

namespace sentry::platform {
namespace {

using fusefs::testing::LiveRun;
using testing::Outcome;
using testing::RunInNewSession;
using testing::Slurp;
using testing::TempPath;

class LogReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Outcome run =
        RunInNewSession({SENTRY_BINARY, "run", "--no-db", "--no-fuse", "--no-tty", "--log-records",
                         log_, "--", "/bin/sh", "-c", "sh -c 'exit 3'; true"},
                        "replay-source");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    std::istringstream in(Slurp(log_));
    for (std::string line; std::getline(in, line);) lines_.push_back(line);
    ASSERT_GT(lines_.size(), 10u);
  }
  void TearDown() override {
    unlink(log_.c_str());
    unlink(edited_.c_str());
  }

  // Writes `lines` (each with its newline, the last one's if `final_newline`).
  const std::string& Edited(const std::vector<std::string>& lines, bool final_newline = true) {
    std::ofstream out(edited_);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out << lines[i];
      if (i + 1 < lines.size() || final_newline) out << '\n';
    }
    return edited_;
  }

  Outcome Replay(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {SENTRY_BINARY, "replay"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunInNewSession(argv, "replay");
  }

  static bool IsRecord(const std::string& line) {
    return line.find("\"record\":true") != std::string::npos;
  }

  std::string log_ = TempPath("replay-source.jsonl");
  std::string edited_ = TempPath("replay-edited.jsonl");
  std::vector<std::string> lines_;
};

TEST_F(LogReplayTest, TheWholeLogMatches) {
  const Outcome o = Replay({log_});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("(replay matches)"), std::string::npos) << o.out;
  EXPECT_EQ(o.err, "");
}

// A killed sentry's last line is cut short: replayed up to the line before.
TEST_F(LogReplayTest, ALastLineCutShortIsReplayedUpToIt) {
  std::vector<std::string> cut = lines_;
  cut.back().resize(cut.back().size() / 2);
  const Outcome o = Replay({Edited(cut, /*final_newline=*/false)});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("(replay matches)"), std::string::npos) << o.out;
  EXPECT_EQ(o.err, "sentry: replay: " + edited_ + ":" + std::to_string(cut.size()) +
                       ": the last line is cut short (its sentry was killed?); replayed up to "
                       "the line before\n");
}

// The same bad line anywhere else is an error naming it.
TEST_F(LogReplayTest, ABadLineElsewhereIsAnError) {
  std::vector<std::string> bad = lines_;
  bad[3].resize(bad[3].size() / 2);
  const Outcome o = Replay({Edited(bad)});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_TRUE(o.err.starts_with("sentry: replay: " + edited_ + ":4: ")) << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
}

TEST_F(LogReplayTest, AMissingObservationIsAnErrorNamingTheLine) {
  std::vector<std::string> missing;
  int observations = 0;
  std::size_t removed_at = 0;
  for (const std::string& line : lines_) {
    if (!IsRecord(line) && ++observations == 3) {
      removed_at = missing.size();
      continue;
    }
    missing.push_back(line);
  }
  std::size_t next_observation = removed_at;
  while (IsRecord(missing[next_observation])) ++next_observation;
  const Outcome o = Replay({Edited(missing)});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err, "sentry: replay: " + edited_ + ":" + std::to_string(next_observation + 1) +
                       ": observation 4 where 3 was due (lines out of order or missing)\n");
}

TEST_F(LogReplayTest, AtPastTheEndIsAnError) {
  const Outcome o = Replay({"--at", "100000", log_});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(o.err.starts_with("sentry: replay: --at 100000 is past the end: the run has "))
      << o.err;
  EXPECT_EQ(o.out, "");
}

// A log whose records the replay does not make again: non-zero, and the
// first difference shown.
TEST_F(LogReplayTest, ADifferentReplayShowsTheFirstDifference) {
  std::vector<std::string> changed = lines_;
  bool done = false;
  for (std::string& line : changed) {
    const auto at = line.find("\"code\":3");
    if (!done && !IsRecord(line) && at != std::string::npos) {
      line.replace(at, 8, "\"code\":4");
      done = true;
    }
  }
  ASSERT_TRUE(done);
  const Outcome o = Replay({Edited(changed)});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.out.find("REPLAY DIFFERS"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("first difference at record "), std::string::npos) << o.out;
  // The two records in full: exit status 3 logged (768), 4 replayed (1024).
  EXPECT_NE(o.out.find("  logged:   {\"kind\":\"exit_initiated\""), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\"value\":768"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\"value\":1024"), std::string::npos) << o.out;
}

TEST_F(LogReplayTest, CannotOpenSaysWhy) {
  const Outcome o = Replay({TempPath("no-such-log.jsonl")});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err, "sentry: replay: cannot open " + TempPath("no-such-log.jsonl") +
                       ": No such file or directory\n");
}

// Under --pidns the lines name every task by its host id, wait results too
// (the syscall itself returned the namespace's id).
TEST(LogReplayPidnsTest, EveryLineUsesHostIds) {
  const std::string log = TempPath("replay-pidns.jsonl");
  const Outcome run =
      RunInNewSession({SENTRY_BINARY, "run", "--no-db", "--no-fuse", "--no-tty", "--pidns",
                       "--log-records", log, "--", "/bin/sh", "-c", "sh -c 'exit 3'; echo $$"},
                      "replay-pidns");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(run.out, "1\n");  // the namespace's init
  const Outcome o = RunInNewSession({SENTRY_BINARY, "replay", "--records", log}, "replay-pidns-r");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out.find(" reaped 2 "), std::string::npos) << o.out;  // the child's ns id
  std::istringstream lines(o.out);
  std::string exiting;
  std::string reaped;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("exits with status 3:") != std::string::npos) exiting = line;
    if (line.find("with a wait (exit status 3)") != std::string::npos) reaped = line;
  }
  ASSERT_FALSE(exiting.empty()) << o.out;
  ASSERT_FALSE(reaped.empty()) << o.out;
  // "#N PID (sh) exits with status 3:…" and "#M WAITER (sh) reaped PID (sh) with a
  // wait…": the same PID.
  const std::string child =
      exiting.substr(exiting.find(' ') + 1, exiting.find(" (") - exiting.find(' ') - 1);
  EXPECT_NE(reaped.find(" reaped " + child + " ("), std::string::npos)
      << reaped << " / " << exiting;
  unlink(log.c_str());
}

// A signal sent from outside the workload names its sender by pid (the
// kernel's own signals say "the kernel").
TEST(LogReplaySenderTest, ASignalFromOutsideNamesItsSender) {
  const std::string log = TempPath("outside-sender.jsonl");
  LiveRun run({"--no-fuse", "--log-records", log}, {SCENARIOS_BINARY, "await-signal"});
  const std::string ready = run.ReadLine();
  ASSERT_TRUE(ready.starts_with("ready ")) << ready;
  const pid_t workload = std::atoi(ready.c_str() + 6);
  ASSERT_EQ(kill(workload, SIGUSR1), 0);
  EXPECT_EQ(run.Finish(), 128 + SIGUSR1);
  const Outcome o = RunInNewSession({SENTRY_BINARY, "replay", "--records", log}, "outside-r");
  EXPECT_NE(
      o.out.find("got SIGUSR1 from pid " + std::to_string(getpid()) + " (outside the sandbox)"),
      std::string::npos)
      << o.out;
  unlink(log.c_str());
}

}  // namespace
}  // namespace sentry::platform
