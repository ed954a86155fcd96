// Platform tests: each scenario runs natively and under `sentry run`. Output
// and exit status must match, the run must have no divergence, and the
// records must tell what happened.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/record.h"
#include "tests/platform/platform_test_util.h"

namespace sentry::platform {
namespace {

namespace abi = kernel::abi;
using kernel::Record;
using kernel::RecordKind;
using testing::Compare;
using testing::Outcome;
using testing::RunInNewSession;
using testing::RunTraced;
using testing::Slurp;
using testing::TempPath;
using testing::Traced;

TEST(ScenarioTest, ForkExecWait) {
  const Traced t = Compare("fork-exec-wait");
  EXPECT_EQ(t.Count(RecordKind::kExec), 21u);  // the scenario itself and 20 children
  const auto reaped = t.All(RecordKind::kReaped);
  EXPECT_EQ(std::count_if(reaped.begin(), reaped.end(),
                          [](const Record& r) {
                            return r.value2 == static_cast<int>(kernel::ReapCause::kWait);
                          }),
            22);  // 20 by the scenario, the scenario by its session leader, that by the sentry
}

TEST(ScenarioTest, ChurnFromARealShellHasNoDivergence) {
  const Traced t = Compare("churn");
  EXPECT_EQ(t.outcome.out, "churn-done\n");
  EXPECT_GE(t.Count(RecordKind::kReaped), 20u * 7);  // at least 7 processes a round
}

// Under --pidns bash is the namespace's init: orphans go to it, and its exit
// takes the namespace with it while some of them still run.
TEST(ScenarioTest, ChurnInAPidNamespaceHasNoDivergence) {
  const Traced t = Compare("churn", {"--pidns"});
  EXPECT_EQ(t.outcome.out, "churn-done\n");
  EXPECT_GE(t.Count(RecordKind::kReaped), 20u * 7);
}

// Forkers SIGKILLed mid-fork: a clone whose event the kill skipped still
// reaches the model (from the child's first stop), and nothing diverges.
TEST(ScenarioTest, ProcessesKilledInsideCloneLeaveNoUnknownChild) {
  const Traced t = Compare("killed-in-clone");
  EXPECT_EQ(t.outcome.out, "20 forkers killed\n");
}

// The same, under a workload subreaper that reaps every orphan, and under
// --pidns (the namespace's init adopts them): a held child adopted by a
// parent that made no clone is told to the model all the same (it used to
// stay frozen, and the reaping wait to hang), and the subreaper's wait for
// an orphan whose parent died without an exit event is no divergence.
TEST(ScenarioTest, OrphansOfProcessesKilledInsideCloneReachTheirAdopter) {
  const Traced t = Compare("killed-in-clone-subreaper");
  EXPECT_EQ(t.outcome.out, "20 forkers killed\norphans reaped: all\n");
  const Traced ns = Compare("killed-in-clone", {"--pidns"});
  EXPECT_EQ(ns.outcome.out, "20 forkers killed\n");
}

TEST(ScenarioTest, TwoHundredThreads) {
  const Traced t = Compare("threads");
  const auto created = t.All(RecordKind::kTaskCreated);
  EXPECT_EQ(
      std::count_if(created.begin(), created.end(), [](const Record& r) { return r.value2 == 0; }),
      200);  // threads: no termination signal
  const auto reaped = t.All(RecordKind::kReaped);
  EXPECT_EQ(std::count_if(reaped.begin(), reaped.end(),
                          [](const Record& r) {
                            return r.value2 == static_cast<int>(kernel::ReapCause::kThread);
                          }),
            200);
}

TEST(ScenarioTest, ExecFromANonLeaderThread) {
  const Traced t = Compare("nonleader-exec");
  const auto execs = t.All(RecordKind::kExec);
  EXPECT_TRUE(std::any_of(execs.begin(), execs.end(), [](const Record& r) {
    return r.value != r.value2;
  })) << "no exec changed tid";
  const auto reaped = t.All(RecordKind::kReaped);
  EXPECT_TRUE(std::any_of(reaped.begin(), reaped.end(), [](const Record& r) {
    return r.value2 == static_cast<int>(kernel::ReapCause::kExec);
  }));
}

TEST(ScenarioTest, VforkPosixSpawnAndSystem) {
  Compare("spawn");
}

// Every test here runs with the stop facts (BPF) where it can; these run
// the same scenarios reading each stop with ptrace and /proc, the path a
// sentry that cannot load BPF takes (and a missing fact falls back to).
TEST(ScenarioTest, WithoutStopFactsTheSameScenariosAgreeWithTheHost) {
  const Traced forks = Compare("fork-exec-wait", {"--no-bpf"});
  EXPECT_EQ(forks.Count(RecordKind::kExec), 21u);
  const auto created = Compare("threads", {"--no-bpf"}).All(RecordKind::kTaskCreated);
  EXPECT_EQ(
      std::count_if(created.begin(), created.end(), [](const Record& r) { return r.value2 == 0; }),
      200);  // threads: no termination signal
  Compare("nonleader-exec", {"--no-bpf"});
  Compare("killed-in-clone", {"--no-bpf"});
  Compare("spawn", {"--no-bpf"});
}

TEST(ScenarioTest, JobControl) {
  const Traced t = Compare("job-control");
  EXPECT_EQ(t.Count(RecordKind::kGroupStopCompleted), 1u);
  EXPECT_EQ(t.Count(RecordKind::kGroupContinued), 1u);
  const auto waits = t.All(RecordKind::kWaitReturned);
  EXPECT_TRUE(std::any_of(waits.begin(), waits.end(),
                          [](const Record& r) { return r.value2 == abi::kCLD_STOPPED; }));
  EXPECT_TRUE(std::any_of(waits.begin(), waits.end(),
                          [](const Record& r) { return r.value2 == abi::kCLD_CONTINUED; }));
}

TEST(ScenarioTest, OrphanedGroupGetsHupAndCont) {
  const Traced t = Compare("orphaned-group");
  const auto predicted = t.All(RecordKind::kSignalPredicted);
  ASSERT_EQ(predicted.size(), 2u);
  EXPECT_EQ(predicted[0].value, abi::kSIGHUP);
  EXPECT_EQ(predicted[1].value, abi::kSIGCONT);
  const auto delivered = t.All(RecordKind::kSignalDelivered);
  EXPECT_TRUE(std::any_of(delivered.begin(), delivered.end(), [&](const Record& r) {
    return r.tid == predicted[0].tid && r.value == abi::kSIGHUP && r.value2 == abi::kSI_KERNEL;
  }));
}

TEST(ScenarioTest, SigtstpInAnOrphanedGroupIsDiscarded) {
  const Traced t = Compare("tstp-orphaned");
  EXPECT_EQ(t.Count(RecordKind::kGroupStopInitiated), 0u);
  const auto delivered = t.All(RecordKind::kSignalDelivered);
  EXPECT_TRUE(std::any_of(delivered.begin(), delivered.end(),
                          [](const Record& r) { return r.value == abi::kSIGTSTP; }));
}

// How many tasks the run's records say were reaped for `cause`.
std::ptrdiff_t ReapedBecause(const Traced& t, kernel::ReapCause cause) {
  const auto reaped = t.All(RecordKind::kReaped);
  return std::count_if(reaped.begin(), reaped.end(),
                       [cause](const Record& r) { return r.value2 == static_cast<int>(cause); });
}

TEST(ScenarioTest, SigchldIgnoredAutoReaps) {
  EXPECT_EQ(ReapedBecause(Compare("sigchld-ign"), kernel::ReapCause::kIgnored), 3);
}

TEST(ScenarioTest, NoCldWaitAutoReaps) {
  EXPECT_EQ(ReapedBecause(Compare("nocldwait"), kernel::ReapCause::kNoCldWait), 3);
}

TEST(ScenarioTest, DoubleForkDaemonIsAdoptedAndReapedByTheSentry) {
  const Traced t = Compare("daemon");
  const int sentry = t.sentry_pid_hint;
  const auto reparented = t.All(RecordKind::kReparented);
  ASSERT_EQ(reparented.size(), 1u);
  EXPECT_EQ(reparented[0].other_tid.value, sentry);
  const auto reaped = t.All(RecordKind::kReaped);
  EXPECT_TRUE(std::any_of(reaped.begin(), reaped.end(), [&](const Record& r) {
    return r.tid == reparented[0].tid && r.other_tid.value == sentry;
  }));
}

TEST(ScenarioTest, AZombieAdoptedByTheSentryIsReapedByIt) {
  const Traced t = Compare("adopted-zombie");
  const int sentry = t.sentry_pid_hint;
  const auto reaped = t.All(RecordKind::kReaped);
  EXPECT_TRUE(std::any_of(reaped.begin(), reaped.end(), [&](const Record& r) {
    return r.other_tid.value == sentry && r.value == (9 << 8);  // exit 9, reaped by the sentry
  }));
  EXPECT_EQ(t.Count(RecordKind::kReparented), 1u);
}

TEST(ScenarioTest, CloneWithExitSignalZero) {
  Compare("clone-exit-signal");
}

TEST(ScenarioTest, SetsidAndSetpgidErrors) {
  const Traced t = Compare("session-errors");
  const auto results = t.All(RecordKind::kSyscallResult);
  EXPECT_GE(std::count_if(results.begin(), results.end(),
                          [](const Record& r) { return r.value == -abi::kEPERM; }),
            3);
}

TEST(ScenarioTest, ThousandProcessFanOut) {
  const Traced t = Compare("fan-out");
  EXPECT_GE(t.Count(RecordKind::kReaped), 1001u);
}

TEST(ScenarioTest, DeathBySignal) {
  const Traced t = Compare("killed");
  EXPECT_EQ(t.outcome.exit_code, 128 + SIGTERM);
}

TEST(ScenarioTest, DeathBySignalWithCore) {
  const Traced t = Compare("core-dump");
  // Whether a core is written depends on the host's core_pattern; the model
  // must say what the host said.
  const bool dumped = t.outcome.out.find("(core dumped)") != std::string::npos;
  const auto zombies = t.All(RecordKind::kZombie);
  EXPECT_TRUE(std::any_of(zombies.begin(), zombies.end(), [&](const Record& r) {
    const auto es = kernel::ExitStatus::FromWaitStatus(static_cast<std::uint32_t>(r.value));
    return es.signo == SIGABRT && es.core == dumped;
  }));
}

TEST(ScenarioTest, ParentDeathSignal) {
  const Traced t = Compare("pdeathsig");
  // The grandchild may still be on its way out (it wrote its report) when
  // the first process exits: then the sentry's SIGKILL of the leftovers is
  // predicted too (1 run in about 150 here). The parent death signal is
  // predicted once.
  auto predicted = t.All(RecordKind::kSignalPredicted);
  std::erase_if(predicted, [](const Record& r) {
    return r.value2 == static_cast<int>(kernel::SignalCause::kSentryFirstProcessExited);
  });
  ASSERT_EQ(predicted.size(), 1u);
  EXPECT_EQ(predicted[0].value, SIGUSR1);
  EXPECT_EQ(predicted[0].value2, static_cast<int>(kernel::SignalCause::kParentDeath));
}

TEST(ScenarioTest, NoNewPrivsIsLeftAloneWithCapSysAdmin) {
  const Traced t = Compare("no-new-privs");
  if (geteuid() == 0) {
    EXPECT_EQ(t.outcome.out, "NoNewPrivs:\t0\n");
  }
}

// `sentry run -- scenarios MODE` in the background, its stdout on a pipe.
struct Background {
  pid_t sentry = -1;
  int out = -1;
  explicit Background(const char* mode) {
    int p[2];
    if (pipe(p) != 0) return;
    sentry = fork();
    if (sentry == 0) {
      setsid();
      dup2(p[1], 1);
      // No view: these runs end by SIGKILL too, which would leave a dead
      // mount behind (view_test.cc covers that and its cleaning).
      execl(SENTRY_BINARY, "sentry", "run", "--no-fuse", "--", SCENARIOS_BINARY, mode, nullptr);
      _exit(127);
    }
    close(p[1]);
    out = p[0];
  }
  ~Background() {
    if (sentry > 0) kill(sentry, SIGKILL);
    if (sentry > 0) waitpid(sentry, nullptr, 0);
    if (out >= 0) close(out);
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  std::string ReadLine() const {
    std::string line;
    char c;
    while (read(out, &c, 1) == 1 && c != '\n') line += c;
    return line;
  }
  int Wait() {
    int status = 0;
    waitpid(sentry, &status, 0);
    sentry = -1;
    return testing::ShellExitCode(status);
  }
};

TEST(RunTest, SignalsToTheSentryAreForwarded) {
  for (int sig : {SIGTERM, SIGHUP, SIGINT}) {
    Background run("await-signal");
    ASSERT_EQ(run.ReadLine().rfind("ready", 0), 0u);  // the workload waits
    kill(run.sentry, sig);
    EXPECT_EQ(run.Wait(), 128 + sig) << sig;  // the workload died of it
  }
}

TEST(RunTest, ASecondInterruptKillsTheWorkload) {
  Background run("survive-interrupts");
  ASSERT_EQ(run.ReadLine(), "ready");
  kill(run.sentry, SIGINT);
  EXPECT_EQ(run.ReadLine(), "interrupted");  // forwarded, and survived
  kill(run.sentry, SIGINT);
  EXPECT_EQ(run.Wait(), 128 + SIGKILL);
}

// Interrupts however they are sent (issue 21). The workload's one process
// left (its first, the shell, is gone) is a non-interactive shell's
// background job, which ignores SIGINT: forwarded, the interrupt would end
// nothing. timeout(1) forwards the one
// SIGINT it gets to the sentry and to its own group (the two may merge into
// one), then SIGCONT to both, and ignores any SIGINT after: the doorbell
// was continued before the loop saw it ring, and the sentry ran on.
TEST(RunTest, InterruptsEndAWaitAllRunHoweverTheyAreSent) {
  enum class Sent { kToTimeout, kToTheSentry, kToItsGroup };
  for (const Sent how : {Sent::kToTimeout, Sent::kToTheSentry, Sent::kToItsGroup}) {
    const std::string name = "interrupted-" + std::to_string(static_cast<int>(how));
    const std::string db = TempPath(name + ".db");
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    const pid_t timeout = fork();
    ASSERT_GE(timeout, 0);
    if (timeout == 0) {
      setsid();
      dup2(p[1], 1);
      execlp("timeout", "timeout", "60", SENTRY_BINARY, "run", "--no-tty", "--no-fuse",
             "--wait-all", "--db", db.c_str(), "--", "sh", "-c", "sleep 60 & echo $! $$", nullptr);
      _exit(127);
    }
    close(p[1]);
    std::string line;
    char c;
    while (read(p[0], &c, 1) == 1 && c != '\n') line += c;
    close(p[0]);
    ASSERT_FALSE(line.empty()) << name;
    std::istringstream pids(line);
    pid_t sleeper = 0;
    pid_t shell = 0;
    pids >> sleeper >> shell;
    // As a user would, once the run is down to the background job: the
    // shell is gone (a zombie, or reaped).
    for (int i = 0; i < 1000000; ++i) {
      const std::string stat = Slurp("/proc/" + std::to_string(shell) + "/stat");
      if (stat.empty() || stat.find(") Z ") != std::string::npos) break;
      sched_yield();
    }
    // The sentry is timeout's child (its only one); the workload's shell is gone.
    pid_t sentry = 0;
    for (int i = 0; i < 100000 && sentry == 0; ++i) {
      std::istringstream children(Slurp("/proc/" + std::to_string(timeout) + "/task/" +
                                        std::to_string(timeout) + "/children"));
      children >> sentry;
      if (sentry == 0) sched_yield();
    }
    ASSERT_GT(sentry, 0) << name;
    for (int i = 0; i < 2; ++i) {
      if (how == Sent::kToTimeout) kill(timeout, SIGINT);
      if (how == Sent::kToTheSentry) kill(sentry, SIGINT);
      if (how == Sent::kToItsGroup) kill(-timeout, SIGINT);  // timeout leads the group
    }
    ASSERT_TRUE(testing::EndsWithinTheRunLimit(timeout, timeout, name));
    int status = 0;
    waitpid(timeout, &status, 0);
    EXPECT_TRUE(WIFEXITED(status)) << name << ": status " << status;
    EXPECT_NE(WEXITSTATUS(status), 124) << name << ": ended by timeout's limit, not the interrupt";
    // Its background job is gone with it.
    const std::string stat = Slurp("/proc/" + std::to_string(sleeper) + "/stat");
    EXPECT_TRUE(stat.empty() || stat.find(" Z ") != std::string::npos) << name << ": " << stat;
    for (const char* suffix : {"", "-wal", "-shm"}) unlink((db + suffix).c_str());
  }
}

TEST(RunTest, KillingTheSentryKillsTheWorkload) {
  Background run("await-signal");
  const std::string ready = run.ReadLine();
  ASSERT_EQ(ready.rfind("ready ", 0), 0u);
  const int workload = std::stoi(ready.substr(6));
  kill(run.sentry, SIGKILL);
  EXPECT_EQ(run.Wait(), 128 + SIGKILL);
  // PTRACE_O_EXITKILL: the tracer's death SIGKILLs its tracees. Once dead the
  // workload is a zombie (or reaped); it must not be left running.
  bool dead = false;
  for (int i = 0; i < 100000 && !dead; ++i) {
    const std::string stat = Slurp("/proc/" + std::to_string(workload) + "/stat");
    const std::size_t close = stat.rfind(')');
    dead = close == std::string::npos || stat[close + 2] == 'Z' || stat[close + 2] == 'X';
    if (!dead) sched_yield();
  }
  EXPECT_TRUE(dead) << "workload " << workload << " still running";
}

TEST(RunTest, WaitAllLetsTheRestFinish) {
  const std::string log = TempPath("wait-all.jsonl");
  const Outcome o = RunInNewSession({SENTRY_BINARY, "run", "--wait-all", "--log-records", log, "--",
                                     SCENARIOS_BINARY, "outlived"},
                                    "wait-all");
  EXPECT_EQ(o.exit_code, 6);  // the first process's status, not the last one's
  EXPECT_EQ(o.out, "grandchild done\n");
  unlink(log.c_str());
}

TEST(RunTest, MaxTasksRefusesCloneWithEagain) {
  const std::string log = TempPath("max-tasks.jsonl");
  const Outcome o = RunInNewSession({SENTRY_BINARY, "run", "--max-tasks", "5", "--log-records", log,
                                     "--", SCENARIOS_BINARY, "fork-until-failure"},
                                    "max-tasks");
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.out, "fork 5 failed: Resource temporarily unavailable\n");
  const std::string text = Slurp(log);
  EXPECT_NE(text.find("\"clone_failed\""), std::string::npos);
  EXPECT_EQ(text.find("\"divergence\""), std::string::npos);
  unlink(log.c_str());
}

TEST(RunTest, PidNamespace) {
  const Outcome shell = RunInNewSession(
      {SENTRY_BINARY, "run", "--pidns", "--", "/bin/sh", "-c", "echo $$"}, "pidns-shell");
  EXPECT_EQ(shell.out, "1\n");
  // Orphans go to the namespace's init (the first process), not the sentry.
  const Traced t = RunTraced("daemon", {"--pidns"});
  EXPECT_EQ(t.outcome.exit_code, 0);
  EXPECT_EQ(t.outcome.out, "first child exited 0\ndaemon reported\n");
  EXPECT_EQ(t.Count(RecordKind::kDivergence), 0u) << t.Divergences();
  EXPECT_EQ(t.Count(RecordKind::kNamespaceCreated), 1u);
  const auto created = t.All(RecordKind::kTaskCreated);
  ASSERT_GE(created.size(), 2u);
  ASSERT_GE(created.size(), 3u);
  const int init = created[2].tid.value;  // after the session leader (the sentry has none)
  const auto reparented = t.All(RecordKind::kReparented);
  ASSERT_GE(reparented.size(), 1u);
  EXPECT_EQ(reparented[0].other_tid.value, init);
}

// The host reports a namespace init's exit only once the rest of its
// namespace is gone: the model tears the namespace down as the exit begins.
TEST(RunTest, DyingNamespaceInitTakesItsNamespaceWithIt) {
  const Traced t = RunTraced("pidns-teardown", {"--pidns"});
  EXPECT_EQ(t.outcome.exit_code, 0);
  EXPECT_EQ(t.outcome.out, "init leaves\n");
  EXPECT_EQ(t.Count(RecordKind::kDivergence), 0u) << t.Divergences();
  const auto predicted = t.All(RecordKind::kSignalPredicted);
  EXPECT_EQ(std::count_if(predicted.begin(), predicted.end(),
                          [](const Record& r) {
                            return r.value == abi::kSIGKILL &&
                                   r.value2 ==
                                       static_cast<int>(kernel::SignalCause::kNamespaceInit);
                          }),
            2);  // the live child and the adopted grandchild
  // Both zombies, the live child and the grandchild.
  EXPECT_EQ(ReapedBecause(t, kernel::ReapCause::kNamespaceExit), 4);
}

TEST(ScenarioTest, ForeignAbiSyscallsStopAtTheSentry) {
  const Outcome native = RunInNewSession({SCENARIOS_BINARY, "foreign-abi"}, "foreign-native");
  const Traced t = RunTraced("foreign-abi");
  EXPECT_EQ(t.outcome.exit_code, native.exit_code);
  EXPECT_EQ(t.outcome.out, native.out);
  EXPECT_NE(t.outcome.err.find("made a syscall from a foreign ABI"), std::string::npos)
      << t.outcome.err;
}

// ptrace or seccomp forbidden (as some container runtimes do): a message
// naming the cause, exit 125, the workload never runs and nothing is left.
TEST(RunTest, PtraceOrSeccompRefused) {
  // Orphans of the run would come to this process: there must be none.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
  // In sanitizer builds the leak checker needs ptrace itself, and aborts
  // where ptrace is denied: leave it out of the sentry run here.
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string saved_asan = asan != nullptr ? asan : "";
  setenv("ASAN_OPTIONS", (saved_asan + ":detect_leaks=0").c_str(), 1);
  for (const std::string name : {"ptrace", "seccomp"}) {
    const Outcome o = RunInNewSession({SCENARIOS_BINARY, "deny-syscall", name, SENTRY_BINARY, "run",
                                       "--", SCENARIOS_BINARY, "fork-exec-wait"},
                                      "deny-" + name);
    EXPECT_EQ(o.exit_code, 125) << name;
    EXPECT_EQ(o.err.rfind("sentry: ", 0), 0u) << o.err;
    EXPECT_NE(o.err.find(name), std::string::npos) << o.err;
    EXPECT_EQ(o.out, "");
    errno = 0;
    EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1) << "a process of the run was left behind";
    EXPECT_EQ(errno, ECHILD);
  }
  prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
  setenv("ASAN_OPTIONS", saved_asan.c_str(), 1);
}

TEST(RunTest, BadInput) {
  EXPECT_EQ(RunInNewSession({SENTRY_BINARY, "run"}, "noargs").exit_code, 2);
  EXPECT_EQ(RunInNewSession({SENTRY_BINARY, "run", "--", "/nonexistent/cmd"}, "notfound").exit_code,
            127);
  EXPECT_EQ(RunInNewSession({SENTRY_BINARY, "run", "--", "/etc/passwd"}, "noexec").exit_code, 126);
  EXPECT_EQ(RunInNewSession({SENTRY_BINARY, "bogus"}, "bogus").exit_code, 2);
  const Outcome conflict = RunInNewSession(
      {SENTRY_BINARY, "run", "--wait-all", "--pidns", "--", "/bin/true"}, "wait-all-pidns");
  EXPECT_EQ(conflict.exit_code, 2);
  EXPECT_NE(conflict.err.find("--wait-all cannot work with --pidns"), std::string::npos);
}

}  // namespace
}  // namespace sentry::platform
