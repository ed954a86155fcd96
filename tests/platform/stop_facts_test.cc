// StopFacts against real tasks: the test process traces a child itself
// (PTRACE_TRACEME), and at each clone and exec event stop compares the fact
// the tracepoints wrote with what ptrace and /proc say at that stop.
#include "platform/stop_facts.h"

#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "platform/bpf/stop_facts_record.h"
#include "platform/proc_files.h"

namespace sentry::platform {
namespace {

// Loads the programs (as root, as the tests run); null, with the reason.
std::unique_ptr<StopFacts> OpenFacts(std::string& why) {
  auto facts = StopFacts::Open(::getpid());
  if (!facts) {
    why = facts.error();
    return nullptr;
  }
  return std::move(*facts);
}

// What the traced child does once its tracer has set the options.
using ChildBody = void (*)();

struct Event {
  pid_t task = 0;
  int event = 0;
  unsigned long message = 0;
  std::optional<CloneFact> clone;    // for a clone event: its new task's fact
  std::optional<pid_t> event_child;  // and the new task its creator's fact names
  std::optional<ExecFact> exec;      // for an exec event
  std::string proc_comm;             // for an exec: /proc/PID/comm at the stop
  std::vector<std::string> proc_argv;
  uid_t proc_uid = 0;
  gid_t proc_gid = 0;
};

// Traces `body` in a forked child to its end; returns its events.
std::vector<Event> Trace(StopFacts& facts, ChildBody body) {
  const pid_t child = ::fork();
  if (child == 0) {
    ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    ::raise(SIGSTOP);
    body();
    ::_exit(0);
  }
  std::vector<Event> events;
  int status = 0;
  ::waitpid(child, &status, 0);
  ::ptrace(PTRACE_SETOPTIONS, child, nullptr,
           PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC |
               PTRACE_O_EXITKILL);
  ::ptrace(PTRACE_CONT, child, nullptr, nullptr);
  int live = 1;
  while (live > 0) {
    const pid_t pid = ::waitpid(-1, &status, __WALL);
    if (pid < 0) break;
    facts.Drain();
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      facts.Forget(pid);
      --live;
      continue;
    }
    const int event = status >> 16;
    int deliver = 0;
    if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
      Event e;
      e.task = pid;
      e.event = event;
      ::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &e.message);
      e.clone = facts.Clone(static_cast<pid_t>(e.message));
      e.event_child = facts.TakeCloneEvent(pid);
      events.push_back(e);
      ++live;
    } else if (event == PTRACE_EVENT_EXEC) {
      Event e;
      e.task = pid;
      e.event = event;
      ::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &e.message);
      e.exec = facts.TakeExec(pid);
      const std::string proc = "/proc/" + std::to_string(pid);
      e.proc_comm = ReadSmallFile(proc + "/comm");
      if (!e.proc_comm.empty()) e.proc_comm.pop_back();
      e.proc_argv = ReadCmdline(pid);
      struct stat owner {};
      ::stat(proc.c_str(), &owner);
      e.proc_uid = owner.st_uid;
      e.proc_gid = owner.st_gid;
      events.push_back(e);
    } else if (event == 0 && WSTOPSIG(status) != SIGSTOP && WSTOPSIG(status) != SIGTRAP) {
      deliver = WSTOPSIG(status);
    }
    ::ptrace(PTRACE_CONT, pid, nullptr, deliver);
  }
  return events;
}

void* Nothing(void*) {
  return nullptr;
}

void ForkVforkThreadAndCloneParent() {
  if (const pid_t p = ::fork(); p == 0) ::_exit(0);
  ::wait(nullptr);
  if (const pid_t p = ::vfork(); p == 0) ::_exit(0);
  ::wait(nullptr);
  pthread_t thread{};
  ::pthread_create(&thread, nullptr, Nothing, nullptr);
  ::pthread_join(thread, nullptr);
  // CLONE_PARENT: a sibling, the test process's child too (reaped there).
  if (::syscall(SYS_clone, CLONE_PARENT | SIGUSR1, nullptr, nullptr, nullptr, nullptr) == 0) {
    ::_exit(0);
  }
}

TEST(StopFactsTest, EveryCloneEventFindsItsNewTasksFact) {
  std::string why;
  auto facts = OpenFacts(why);
  ASSERT_NE(facts, nullptr) << "as root, BPF must load here: " << why;
  const auto events = Trace(*facts, ForkVforkThreadAndCloneParent);
  ASSERT_EQ(events.size(), 4U);
  for (const Event& e : events) {
    ASSERT_TRUE(e.clone.has_value()) << "event " << e.event << " of " << e.task;
    EXPECT_EQ(e.clone->creator, e.task);
    EXPECT_EQ(e.event_child, static_cast<pid_t>(e.message)) << "the event's message names it";
  }
  // fork: a process of its own, SIGCHLD.
  EXPECT_EQ(events[0].event, PTRACE_EVENT_FORK);
  EXPECT_EQ(events[0].clone->tgid, static_cast<pid_t>(events[0].message));
  EXPECT_EQ(events[0].clone->flags & (CLONE_VM | CLONE_THREAD | CLONE_PARENT), 0U);
  EXPECT_EQ(events[0].clone->exit_signal, SIGCHLD);
  // vfork: the memory shared, the parent held.
  EXPECT_EQ(events[1].event, PTRACE_EVENT_VFORK);
  EXPECT_EQ(events[1].clone->flags & (CLONE_VM | CLONE_VFORK), CLONE_VM | CLONE_VFORK);
  // A thread: its creator's group, no exit signal.
  EXPECT_EQ(events[2].event, PTRACE_EVENT_CLONE);
  EXPECT_NE(events[2].clone->flags & CLONE_THREAD, 0U);
  EXPECT_EQ(events[2].clone->tgid, events[2].clone->creator_tgid);
  EXPECT_EQ(events[2].clone->exit_signal, 0);
  // CLONE_PARENT with SIGUSR1 asked: the kernel gives its leader's signal
  // (SIGCHLD, the fork's): the tracer reads such a clone from the registers.
  EXPECT_NE(events[3].clone->flags & CLONE_PARENT, 0U);
  EXPECT_EQ(events[3].clone->exit_signal, SIGCHLD);
}

void ExecEcho() {
  ::execl("/bin/echo", "echo", "one", "two three", "", nullptr);
}

void ExecAsNobody() {
  if (::setegid(65534) != 0 || ::seteuid(65534) != 0) ::_exit(3);
  ::execl("/bin/true", "true", "as", "nobody", nullptr);
}

void ExecALongCommandLine() {
  const std::string long_arg(5000, 'x');
  ::execl("/bin/true", "true", long_arg.c_str(), nullptr);
}

void* ExecFromAThread(void*) {
  ::execl("/bin/true", "true-from-a-thread", nullptr);
  return nullptr;
}

void ExecFromANonLeader() {
  pthread_t thread{};
  ::pthread_create(&thread, nullptr, ExecFromAThread, nullptr);
  ::pause();
}

TEST(StopFactsTest, AnExecsFactIsWhatProcShowsAtItsStop) {
  std::string why;
  auto facts = OpenFacts(why);
  ASSERT_NE(facts, nullptr) << why;
  for (const ChildBody body : {ExecEcho, ExecAsNobody, ExecFromANonLeader}) {
    const auto events = Trace(*facts, body);
    std::vector<const Event*> execs;
    for (const Event& e : events) {
      if (e.event == PTRACE_EVENT_EXEC) execs.push_back(&e);
    }
    ASSERT_EQ(execs.size(), 1U);
    const Event& e = *execs.front();
    ASSERT_TRUE(e.exec.has_value());
    EXPECT_EQ(e.exec->comm, e.proc_comm);
    EXPECT_EQ(e.exec->argv, e.proc_argv);
    EXPECT_EQ(e.exec->euid, e.proc_uid);
    EXPECT_EQ(e.exec->egid, e.proc_gid);
    EXPECT_EQ(e.exec->former_tid, static_cast<pid_t>(e.message));
  }
}

TEST(StopFactsTest, ACommandLineTooLongForARecordIsLeftToProc) {
  std::string why;
  auto facts = OpenFacts(why);
  ASSERT_NE(facts, nullptr) << why;
  const auto events = Trace(*facts, ExecALongCommandLine);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_FALSE(events[0].exec.has_value());
  ASSERT_EQ(events[0].proc_argv.size(), 2U);
  EXPECT_EQ(events[0].proc_argv[1].size(), 5000U);
}

TEST(StopFactsTest, TasksOfOtherTracersAreNotWritten) {
  std::string why;
  auto facts = OpenFacts(why);
  ASSERT_NE(facts, nullptr) << why;
  // An untraced child's fork and exec: the tracepoints fire, nothing is kept.
  const pid_t child = ::fork();
  if (child == 0) {
    if (const pid_t p = ::fork(); p == 0) ::_exit(0);
    ::wait(nullptr);
    ::execl("/bin/true", "true", nullptr);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  facts->Drain();
  EXPECT_FALSE(facts->TakeExec(child).has_value());
  EXPECT_EQ(facts->FactsUsed(), 0U);
}

// A ring in plain memory, in the kernel's layout: what a drain does with a
// record another CPU has reserved and not yet committed (a BPF program
// preempted in the middle) cannot be made to happen on the real one.
struct FakeRing {
  std::uint64_t consumer = 0;
  std::uint64_t producer = 0;
  alignas(8) std::array<char, 1 << 16> data{};

  StopFacts::Ring View() {
    return StopFacts::Ring{
        .consumer = &consumer, .producer = &producer, .data = data.data(), .mask = data.size() - 1};
  }
  // Reserves room for `record` (busy until Commit) and writes it there.
  std::uint64_t Reserve(const void* record, std::uint32_t size) {
    const std::uint64_t at = producer;
    const std::uint32_t len = size | BPF_RINGBUF_BUSY_BIT;
    std::memcpy(&data[at & (data.size() - 1)], &len, sizeof len);
    std::memcpy(&data[(at & (data.size() - 1)) + BPF_RINGBUF_HDR_SZ], record, size);
    producer += (size + BPF_RINGBUF_HDR_SZ + 7) & ~std::uint64_t{7};
    return at;
  }
  void Commit(std::uint64_t at) {
    std::uint32_t len = 0;
    std::memcpy(&len, &data[at & (data.size() - 1)], sizeof len);
    len &= ~static_cast<std::uint32_t>(BPF_RINGBUF_BUSY_BIT);
    std::memcpy(&data[at & (data.size() - 1)], &len, sizeof len);
  }
  std::uint64_t Exec(pid_t tid, const char* comm) {
    stop_fact_exec exec{};
    exec.header = stop_fact_header{.kind = STOP_FACT_EXEC, .tid = tid};
    exec.former_tid = tid;
    std::strncpy(exec.comm, comm, sizeof exec.comm - 1);
    const std::string arg = comm;
    std::memcpy(exec.argv, arg.c_str(), arg.size() + 1);
    exec.argv_len = static_cast<unsigned>(arg.size() + 1);
    return Reserve(&exec,
                   static_cast<std::uint32_t>(sizeof exec - STOP_FACT_ARGV_MAX + exec.argv_len));
  }
  std::uint64_t Clone(pid_t child, pid_t creator) {
    stop_fact_clone clone{};
    clone.header = stop_fact_header{.kind = STOP_FACT_CLONE, .tid = child};
    clone.creator = clone.creator_tgid = creator;
    clone.tgid = child;
    clone.exit_signal = SIGCHLD;
    return Reserve(&clone, sizeof clone);
  }
};

TEST(StopFactsTest, AFactLeftBehindAnUnfinishedRecordIsNotTakenForALaterStop) {
  FakeRing ring;
  auto facts = StopFacts::OverRing(ring.View());
  // Task 100's exec is reserved first and not finished; task 200's, after
  // it, is: the drain at 200's stop cannot reach it.
  const std::uint64_t first = ring.Exec(100, "first");
  ring.Commit(ring.Exec(200, "second"));
  facts->Drain();
  EXPECT_FALSE(facts->TakeExec(200).has_value());
  facts->Missed(200, StopFacts::Kind::kExec);  // its stop read /proc instead
  ring.Commit(first);
  facts->Drain();
  const auto first_exec = facts->TakeExec(100);
  ASSERT_TRUE(first_exec.has_value());
  EXPECT_EQ(first_exec->comm, "first");
  EXPECT_FALSE(facts->TakeExec(200).has_value())
      << "200's exec was told from /proc: its late fact must not wait for its next exec";
  // Its next exec, written after that drain, is its own.
  ring.Commit(ring.Exec(200, "third"));
  facts->Drain();
  const auto next = facts->TakeExec(200);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->comm, "third");
  EXPECT_EQ(next->argv, std::vector<std::string>{"third"});
}

TEST(StopFactsTest, ADeadTasksLateFactIsDropped) {
  FakeRing ring;
  auto facts = StopFacts::OverRing(ring.View());
  const std::uint64_t first = ring.Exec(100, "first");
  ring.Commit(ring.Clone(300, 100));
  facts->Drain();
  EXPECT_FALSE(facts->Clone(300).has_value());
  facts->Forget(300);  // dead before the drain reached its clone: its tid may come back
  ring.Commit(first);
  facts->Drain();
  EXPECT_FALSE(facts->Clone(300).has_value());
  EXPECT_FALSE(facts->TakeCloneEvent(100).has_value());
}

TEST(StopFactsTest, ADrainThatReachesTheEndKeepsNoStaleMark) {
  FakeRing ring;
  auto facts = StopFacts::OverRing(ring.View());
  ring.Commit(ring.Clone(300, 100));
  facts->Drain();
  ASSERT_EQ(facts->TakeCloneEvent(100), 300);
  // Read to the end: a miss means no fact was made, and the next one counts.
  facts->Missed(100, StopFacts::Kind::kCloneEvent);
  ring.Commit(ring.Clone(301, 100));
  facts->Drain();
  EXPECT_EQ(facts->TakeCloneEvent(100), 301);
  EXPECT_EQ(ring.consumer, ring.producer) << "every record read";
}

}  // namespace
}  // namespace sentry::platform
