// The workload's terminal: the test plays the user's terminal (a pty of its
// own) and drives an interactive shell through `sentry run`, natively and
// under the sentry. Synchronised on the terminal's output, never on sleeps.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/record.h"
#include "tests/platform/platform_test_util.h"

namespace sentry::platform {
namespace {

namespace abi = kernel::abi;
using kernel::Record;
using kernel::RecordKind;
using testing::Slurp;
using testing::TempPath;
using testing::Traced;

// How long any one expected output may take before the test gives up (a
// failure must not hang ctest; passing runs take milliseconds).
constexpr auto kPatience = std::chrono::seconds(20);

// The user's terminal: a pty whose slave is the program's controlling
// terminal, stdin and stderr, and stdout unless it goes to a file.
class UserTerminal {
 public:
  explicit UserTerminal(const std::vector<std::string>& argv, const std::string& stdout_path = "") {
    master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) return;
    const std::string slave_name = ptsname(master_);
    // Held open throughout: a master whose slave is closed reads EIO, which
    // would look like the end before the program has opened it.
    slave_ = open(slave_name.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    Resize(24, 80);
    std::vector<char*> args = testing::ExecArgv(argv);
    pid_ = fork();
    if (pid_ == 0) {
      setsid();
      const int tty = open(slave_name.c_str(), O_RDWR);
      if (tty < 0 || ioctl(tty, TIOCSCTTY, 0) != 0) _exit(124);
      const int out =
          stdout_path.empty() ? tty : open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (out < 0 || dup2(tty, 0) < 0 || dup2(out, 1) < 0 || dup2(tty, 2) < 0) _exit(124);
      const rlimit no_core{0, 0};  // a crash the test provokes leaves no core file
      setrlimit(RLIMIT_CORE, &no_core);
      setenv("PS1", "$ ", 1);
      setenv("TERM", "dumb", 1);
      execv(args[0], args.data());
      _exit(127);
    }
    exited_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  }
  ~UserTerminal() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    for (int fd : {master_, slave_, exited_}) {
      if (fd >= 0) close(fd);
    }
  }
  UserTerminal(const UserTerminal&) = delete;
  UserTerminal& operator=(const UserTerminal&) = delete;

  void Send(std::string_view keys) const {
    ASSERT_EQ(write(master_, keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
  }

  // Reads until `text` appears after the previous match.
  bool Expect(std::string_view text) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    for (;;) {
      const std::size_t at = transcript_.find(text, consumed_);
      if (at != std::string::npos) {
        consumed_ = at + text.size();
        return true;
      }
      if (ReadSome(deadline) != Event::kOutput) {
        ADD_FAILURE() << "never saw \"" << text << "\"; the terminal showed:\n" << transcript_;
        return false;
      }
    }
  }

  // The kernel sends SIGWINCH to the terminal's foreground group.
  void Resize(unsigned short rows, unsigned short cols) const {
    winsize size{.ws_row = rows, .ws_col = cols, .ws_xpixel = 0, .ws_ypixel = 0};
    ioctl(master_, TIOCSWINSZ, &size);
  }

  // Waits for the program's end (killed if patience runs out), collects
  // what it left on the terminal, and returns its shell exit code.
  int Wait() {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    Event event;
    while ((event = ReadSome(deadline)) == Event::kOutput) {
    }
    if (event == Event::kTimeout) {
      ADD_FAILURE() << "the program did not end; the terminal showed:\n" << transcript_;
      kill(pid_, SIGKILL);
    }
    while (ReadSome(std::chrono::steady_clock::now()) == Event::kOutput) {
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return testing::ShellExitCode(status);
  }

  pid_t Pid() const { return pid_; }

  termios Settings() const {
    termios t{};
    tcgetattr(slave_, &t);
    return t;
  }

 private:
  enum class Event : std::uint8_t { kOutput, kExited, kTimeout };
  // Reads what the terminal shows (first), or sees the program's end.
  Event ReadSome(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    std::array<pollfd, 2> fds{pollfd{.fd = master_, .events = POLLIN, .revents = 0},
                              pollfd{.fd = exited_, .events = POLLIN, .revents = 0}};
    if (poll(fds.data(), fds.size(), static_cast<int>(std::max<long>(0, left.count()))) <= 0) {
      return Event::kTimeout;
    }
    if (fds[0].revents != 0) {
      char buf[4096];
      const ssize_t n = read(master_, buf, sizeof buf);
      if (n > 0) {
        transcript_.append(buf, static_cast<std::size_t>(n));
        return Event::kOutput;
      }
    }
    return fds[1].revents != 0 ? Event::kExited : Event::kTimeout;
  }

  int master_ = -1;
  int slave_ = -1;
  int exited_ = -1;  // pidfd: readable once the program has exited
  pid_t pid_ = -1;
  std::string transcript_;
  std::size_t consumed_ = 0;
};

std::vector<std::string> Shell() {
  return {"/bin/bash", "--norc", "--noprofile", "-i"};
}

std::vector<std::string> UnderSentry(const std::vector<std::string>& argv,
                                     const std::vector<std::string>& options) {
  std::vector<std::string> out = {SENTRY_BINARY, "run"};
  out.insert(out.end(), options.begin(), options.end());
  out.emplace_back("--");
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

// Ctrl-C, Ctrl-Z, fg and a window resize through the terminal. Arithmetic
// in the commands makes each expected text appear only in output, not in the
// terminal's echo of what was typed.
void InteractiveSession(UserTerminal& term) {
  // Each command waits for the prompt: keys typed while the shell's line
  // editor is not reading may be discarded (Ctrl-C flushes input).
  const auto command = [&term](std::string_view line) {
    ASSERT_TRUE(term.Expect("$ "));
    term.Send(line);
  };
  command("echo up-$((3+4))\n");
  ASSERT_TRUE(term.Expect("up-7"));
  // Ctrl-C kills the foreground job; the shell survives.
  command("sh -c 'echo int-$((2+2)); read x'\n");
  ASSERT_TRUE(term.Expect("int-4"));
  term.Send("\x03");
  command("echo status-$?\n");
  ASSERT_TRUE(term.Expect("status-130"));
  // Ctrl-Z stops the foreground job; fg continues it in the foreground.
  command("sh -c 'echo run-$((6*7)); while read l; do echo \"got-$l-$((1+1))\"; done'\n");
  ASSERT_TRUE(term.Expect("run-42"));
  term.Send("\x1a");
  ASSERT_TRUE(term.Expect("Stopped"));
  command("fg\n");
  ASSERT_TRUE(term.Expect("done'"));  // the shell names the job it continues
  term.Send("x\n");
  ASSERT_TRUE(term.Expect("got-x-2"));
  term.Send("\x04");  // end of input: the job ends
  // A resize reaches the terminal of the foreground job.
  term.Resize(33, 101);
  command("stty size\n");
  ASSERT_TRUE(term.Expect("33 101"));
  command("exit 3\n");
}

TEST(TerminalTest, InteractiveShellJobControlThroughThePty) {
  {
    UserTerminal native(Shell());
    InteractiveSession(native);
    EXPECT_EQ(native.Wait(), 3);
  }
  const std::string log = TempPath("interactive.jsonl");
  UserTerminal term(UnderSentry(Shell(), {"--log-records", log}));
  const termios before = term.Settings();
  InteractiveSession(term);
  EXPECT_EQ(term.Wait(), 3);
  // The user's terminal is as it was (not left raw).
  const termios after = term.Settings();
  EXPECT_EQ(after.c_lflag, before.c_lflag);
  EXPECT_EQ(after.c_iflag, before.c_iflag);
  EXPECT_EQ(after.c_oflag, before.c_oflag);

  Traced t;
  t.ReadLog(log);
  // The log replays to the same records, and tells the terminal by name.
  const testing::Outcome replay =
      testing::RunInNewSession({SENTRY_BINARY, "replay", "--records", log}, "replay-interactive");
  unlink(log.c_str());
  EXPECT_EQ(replay.exit_code, 0);
  EXPECT_NE(replay.out.find("(replay matches)"), std::string::npos) << replay.out;
  EXPECT_NE(replay.out.find(" terminal pts/"), std::string::npos) << replay.out;
  EXPECT_EQ(t.Count(RecordKind::kDivergence), 0u) << t.Divergences();
  const auto created = t.All(RecordKind::kTaskCreated);
  ASSERT_GE(created.size(), 2u);
  const int shell = created[1].tid.value;  // the first process, after the sentry
  // The shell's terminal, then each job in the foreground and back.
  const auto foreground = t.All(RecordKind::kForegroundChanged);
  ASSERT_FALSE(foreground.empty());
  EXPECT_EQ(foreground.front().value, shell);
  EXPECT_NE(foreground.front().value2, 0);  // a tty_nr
  const auto jobs = std::count_if(foreground.begin(), foreground.end(), [&](const Record& r) {
    return r.value != shell && r.value != 0;
  });
  EXPECT_GE(jobs, 3);  // Ctrl-C's job, Ctrl-Z's job, and again after fg
  // Ctrl-Z: the terminal's SIGTSTP stopped the job's group; fg continued it.
  const auto stops = t.All(RecordKind::kGroupStopCompleted);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].value, abi::kSIGTSTP);
  EXPECT_GE(t.Count(RecordKind::kGroupContinued), 1u);
  const auto signals = t.All(RecordKind::kSignalDelivered);
  EXPECT_TRUE(std::any_of(signals.begin(), signals.end(), [](const Record& r) {
    return r.value == abi::kSIGINT && r.value2 == abi::kSI_KERNEL;  // from the terminal
  }));
}

// Under --pidns the shell names its jobs' groups by their ids in its
// namespace (tcsetpgrp), which the model must not take for host ids.
TEST(TerminalTest, InteractiveShellInAPidNamespace) {
  const std::string log = TempPath("interactive-pidns.jsonl");
  UserTerminal term(UnderSentry(Shell(), {"--pidns", "--log-records", log}));
  InteractiveSession(term);
  EXPECT_EQ(term.Wait(), 3);
  Traced t;
  t.ReadLog(log);
  unlink(log.c_str());
  EXPECT_EQ(t.Count(RecordKind::kDivergence), 0u) << t.Divergences();
  EXPECT_EQ(t.All(RecordKind::kGroupStopCompleted).size(), 1u);  // Ctrl-Z
  const auto foreground = t.All(RecordKind::kForegroundChanged);
  const auto created = t.All(RecordKind::kTaskCreated);
  ASSERT_GE(created.size(), 2u);
  const int shell = created[1].tid.value;
  // Every foreground group named is a host id of a group the model knows:
  // the shell's, or a job's (a job's group is its leader's host tid).
  for (const Record& r : foreground) {
    if (r.value == 0 || r.value == shell) continue;
    EXPECT_TRUE(std::any_of(created.begin(), created.end(),
                            [&](const Record& c) { return c.tid.value == r.value; }))
        << "foreground group " << r.value << " is no task's host id";
  }
}

TEST(TerminalTest, TheUserTerminalIsRestoredWhenTheSentryCrashes) {
  UserTerminal term(UnderSentry({SCENARIOS_BINARY, "await-signal"}, {}));
  const termios before = term.Settings();
  ASSERT_TRUE(term.Expect("ready"));
  EXPECT_EQ(term.Settings().c_lflag & ICANON, 0u);  // raw while the sentry runs
  kill(term.Pid(), SIGABRT);
  EXPECT_EQ(term.Wait(), 128 + SIGABRT);
  EXPECT_EQ(term.Settings().c_lflag, before.c_lflag);
  EXPECT_EQ(term.Settings().c_iflag, before.c_iflag);
}

// Ctrl-Z on `sentry run` in an interactive shell: the shell sees its job
// stop, and fg continue it, while the view still answers (the tree shows
// the workload stopped) and takes a freeze; after fg the workload reads
// what is typed. Before the job's front (platform/job_front.h) the whole
// sentry stopped, and a read of its view hung.
TEST(TerminalTest, AStoppedJobLeavesItsViewAnswering) {
  const std::string mount = TempPath("stopped-job-view");
  ASSERT_EQ(mkdir(mount.c_str(), 0700), 0);
  const auto view = [&mount](const std::string& command, const std::string& name) {
    return testing::RunInNewSession({"/usr/bin/timeout", "5", "/bin/sh", "-c", command}, name);
  };
  {
    UserTerminal term(Shell());
    ASSERT_TRUE(term.Expect("$ "));
    term.Send("stty tostop; " + std::string(SENTRY_BINARY) + " run --no-db --mount " + mount +
              " -- sh -c 'echo up-$((1+1)); read x; echo got-$x-$((2+3))'\n");
    ASSERT_TRUE(term.Expect("up-2"));
    term.Send("\x1a");
    ASSERT_TRUE(term.Expect("Stopped"));
    ASSERT_TRUE(term.Expect("$ "));
    const testing::Outcome tree = view("cat " + mount + "/sentry/tree", "stopped-tree");
    EXPECT_EQ(tree.exit_code, 0) << tree.err;
    EXPECT_NE(tree.out.find(" sh (pgid "), std::string::npos) << tree.out;
    EXPECT_NE(tree.out.find(" T stopped by SIGTSTP)"), std::string::npos) << tree.out;
    const testing::Outcome freeze =
        view("echo 1 > " + mount + "/sentry/freeze && cat " + mount +
                 "/sentry/freeze && echo 0 > " + mount + "/sentry/freeze",
             "stopped-freeze");
    EXPECT_EQ(freeze.exit_code, 0) << freeze.err;
    EXPECT_EQ(freeze.out, "1\n");
    term.Send("fg\n");
    ASSERT_TRUE(term.Expect("echo got-"));  // the shell names the job it continues
    term.Send("x\r");
    ASSERT_TRUE(term.Expect("got-x-5"));
    ASSERT_TRUE(term.Expect("$ "));
    term.Send("exit $((6*7))\n");
    EXPECT_EQ(term.Wait(), 42);
  }
  EXPECT_EQ(rmdir(mount.c_str()), 0) << "the view is still mounted";
}

// TIOCNOTTY by the session leader: the foreground job gets SIGHUP then
// SIGCONT, as the model predicts, and the session has no terminal after.
TEST(TerminalTest, SessionLeaderDroppingItsTerminalHangsUpTheForegroundJob) {
  const std::vector<std::string> scenario = {SCENARIOS_BINARY, "drop-terminal"};
  {
    UserTerminal native(scenario);
    EXPECT_TRUE(native.Expect("child: SIGHUP and SIGCONT"));
    EXPECT_TRUE(native.Expect("terminal dropped; child exit 0"));
    EXPECT_EQ(native.Wait(), 0);
  }
  const std::string log = TempPath("drop-terminal.jsonl");
  UserTerminal term(UnderSentry(scenario, {"--log-records", log}));
  EXPECT_TRUE(term.Expect("child: SIGHUP and SIGCONT"));
  EXPECT_TRUE(term.Expect("terminal dropped; child exit 0"));
  EXPECT_EQ(term.Wait(), 0);
  Traced t;
  t.ReadLog(log);
  unlink(log.c_str());
  EXPECT_EQ(t.Count(RecordKind::kDivergence), 0u) << t.Divergences();
  const auto predicted = t.All(RecordKind::kSignalPredicted);
  ASSERT_EQ(predicted.size(), 2u);
  EXPECT_EQ(predicted[0].value, abi::kSIGHUP);
  EXPECT_EQ(predicted[1].value, abi::kSIGCONT);
  const auto dropped = static_cast<std::int64_t>(kernel::SignalCause::kTerminalDropped);
  EXPECT_EQ(predicted[0].value2, dropped);
  EXPECT_EQ(predicted[1].value2, dropped);
  // Both arrived at the child, sent (SI_USER) by the leader, whose ioctl
  // it was (Linux kill_pgrp from disassociate_ctty).
  // After the sentry, its session leader and the scenario: the scenario's
  // own session leader.
  const int leader = t.All(RecordKind::kTaskCreated).at(3).tid.value;
  const auto signals = t.All(RecordKind::kSignalDelivered);
  for (const int signo : {abi::kSIGHUP, abi::kSIGCONT}) {
    EXPECT_TRUE(std::any_of(signals.begin(), signals.end(),
                            [&](const Record& r) {
                              return r.value == signo && r.tid == predicted[0].tid &&
                                     r.value2 == abi::kSI_USER && r.other_tid.value == leader;
                            }))
        << "signal " << signo;
  }
  // One terminal throughout in the scenario's session, and none once the
  // leader dropped it.
  auto foreground = t.All(RecordKind::kForegroundChanged);
  std::erase_if(foreground, [&](const Record& r) { return r.tid.value != leader; });
  ASSERT_GE(foreground.size(), 3u);
  for (std::size_t i = 0; i + 1 < foreground.size(); ++i) {
    EXPECT_EQ(foreground[i].value2, foreground.front().value2);
  }
  EXPECT_EQ(foreground.back().value2, 0);
}

// `sentry run --step` in a terminal: it holds after each event with a
// prompt, `t` shows the sessions and groups, `c` runs to the end; the keys
// the prompt takes never reach the workload, and what is typed while it
// runs does.
TEST(TerminalTest, StepModeTakesItsKeysAndLeavesTheWorkloadItsInput) {
  UserTerminal term(UnderSentry({"/bin/sh", "-c", "read x; echo got-$x"}, {"--step", "--no-db"}));
  ASSERT_TRUE(term.Expect("called exec and runs sh"));
  ASSERT_TRUE(term.Expect("-- held: Enter next"));
  term.Send("t");
  ASSERT_TRUE(term.Expect("+- session "));
  ASSERT_TRUE(term.Expect("process group"));
  ASSERT_TRUE(term.Expect("-- held: Enter next"));
  term.Send("c");
  term.Send("hello\r");
  ASSERT_TRUE(term.Expect("got-hello"));
  EXPECT_EQ(term.Wait(), 0);
}

// `sentry learn NAME` as a student runs it: the question first, the run
// held at its events until Enter (here: c, to the end), then the answer
// and the rule. `sentry learn` lists the lessons; an unknown one is one
// line and status 2.
TEST(TerminalTest, LearnAsksThenStepsThenAnswers) {
  UserTerminal term({SENTRY_BINARY, "learn", "sigchld-ignored"});
  ASSERT_TRUE(term.Expect("A parent that ignores SIGCHLD"));
  ASSERT_TRUE(term.Expect("Question. A parent sets"));
  ASSERT_TRUE(term.Expect("-- held: Enter next"));
  term.Send("\r");
  ASSERT_TRUE(term.Expect("set SIGCHLD to SIG_IGN"));
  ASSERT_TRUE(term.Expect("-- held: Enter next"));
  term.Send("c");
  ASSERT_TRUE(term.Expect("never a zombie"));
  ASSERT_TRUE(term.Expect("Answer. The child is never a zombie"));
  ASSERT_TRUE(term.Expect("The rule. wait(2)"));
  EXPECT_EQ(term.Wait(), 0);

  const testing::Outcome list = testing::RunInNewSession({SENTRY_BINARY, "learn"}, "learn-list");
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("  zombie            Zombies, and reaping them\n"), std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find("  dispositions*     Signal dispositions"), std::string::npos)
      << list.out;
  const testing::Outcome unknown =
      testing::RunInNewSession({SENTRY_BINARY, "learn", "no-such-lesson"}, "learn-unknown");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err,
            "sentry: learn: no lesson 'no-such-lesson' (`sentry learn` lists them)\n"
            "see 'sentry learn --help'\n");
}

TEST(TerminalTest, TheWorkloadGetsATerminalOfItsOwn) {
  // stdout is a file: it stays one; stdin and stderr get the pty.
  const std::string out = TempPath("tty-report.out");
  UserTerminal term(UnderSentry({SCENARIOS_BINARY, "tty-report"}, {}), out);
  EXPECT_EQ(term.Wait(), 0);
  EXPECT_EQ(Slurp(out),
            "stdin is a terminal\n"
            "stdout is not a terminal\n"
            "stderr is a terminal\n"
            "controlling terminal: yes\n"
            "foreground: own group\n"
            "session leader: no\n"  // as an interactive shell's job
            "group leader: yes\n");
  unlink(out.c_str());
}

TEST(TerminalTest, NoTtyLeavesTheWorkloadWithoutATerminal) {
  const std::string out = TempPath("no-tty.out");
  UserTerminal term(UnderSentry({SCENARIOS_BINARY, "tty-report"}, {"--no-tty"}), out);
  EXPECT_EQ(term.Wait(), 0);
  // The workload's own session has no controlling terminal; its streams are
  // the user's, untouched.
  EXPECT_EQ(Slurp(out),
            "stdin is a terminal\n"
            "stdout is not a terminal\n"
            "stderr is a terminal\n"
            "controlling terminal: no\n"
            "session leader: no\n"  // as `sh -c` runs it
            "group leader: no\n");
  unlink(out.c_str());
}

}  // namespace
}  // namespace sentry::platform
