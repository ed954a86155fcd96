// StopFacts: what the kernel's tracepoints say of the tracer's tasks before
// they stop, so that the tracer need not ask ptrace or /proc at the stop.
//
// A BPF program (bpf/stop_facts.bpf.c) writes a record to a ring buffer at
// task_newtask (the end of copy_process: the new task's flags, exit signal
// and creator) and at sched_process_exec (exec_binprm: the new image's
// comm, argument area and owner). Both tracepoints fire before the ptrace
// stop that reports the event (verified 200 of 200 here, and by the kernel's
// order: copy_process returns before kernel_clone's ptrace_event_pid;
// exec_binprm traces before ptrace_event(PTRACE_EVENT_EXEC)), so the record
// is in the ring when wait4 returns the stop. The tracer reads the ring
// after each wait4 (Drain) and looks the fact up at the stop.
//
// Not syscall tracepoints (the call and status at an exit event, a wait's
// result): attached, every task on the machine pays. The raw sys_enter
// tracepoint made an unrelated process's getppid loop 1.40 times slower
// here; the per-syscall ones (sys_enter_exit) each took 80 ms to detach,
// added to every run's end.
//
// A fact is an accelerator, never the only source: when one is missing (the
// ring was full, a producer on another CPU had not finished its record, a
// user read failed, BPF could not load) the tracer reads ptrace and /proc
// as before, and says so (Missed), so that the fact, should it come later,
// is not taken for a later stop's: each record carries its place in the
// ring, and a tid's facts older than the drain that missed them, or than
// its death (Forget), are dropped.
//
// Not thread-safe: the tracer thread alone uses it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "platform/bpf_ring.h"

namespace sentry::platform {

struct CloneFact {
  pid_t creator = 0;        // the thread that called clone
  pid_t creator_tgid = 0;   // its process
  pid_t tgid = 0;           // the new task's
  std::uint64_t flags = 0;  // the exit signal apart
  int exit_signal = 0;      // the new task's (0 for a thread)
};

struct ExecFact {
  pid_t former_tid = 0;
  std::uint32_t euid = 0;
  std::uint32_t egid = 0;
  std::string comm;
  std::vector<std::string> argv;
};

class StopFacts {
 public:
  // Loads the BPF programs for the tasks whose ptrace parent is in process
  // `tracer_tgid` and attaches them; the error says in a few words why not
  // (no BPF in this build, not permitted, no BTF).
  static std::expected<std::unique_ptr<StopFacts>, std::string> Open(pid_t tracer_tgid);
  using Ring = RingMemory;
  // Reads a ring in plain memory: for tests of what a drain does with a
  // record still being written.
  static std::unique_ptr<StopFacts> OverRing(Ring ring);
  ~StopFacts();
  StopFacts(const StopFacts&) = delete;
  StopFacts& operator=(const StopFacts&) = delete;

  // Reads every record written so far (a producer still writing one on
  // another CPU is waited for briefly, then left for the next drain).
  void Drain();

  // The clone that made `child`, if its fact came. Kept until `child`'s
  // death (Forget): both its first stop and its creator's event read it.
  std::optional<CloneFact> Clone(pid_t child) const;
  // The new task of the clone `creator` is at the event stop of, taken: a
  // thread has one clone at a time, its event stop before its next clone.
  std::optional<pid_t> TakeCloneEvent(pid_t creator);
  // The exec `tid` (its tid after exec) is stopped for, taken.
  std::optional<ExecFact> TakeExec(pid_t tid);
  // What a fact is of: a new task (by its tid), a clone event (by its
  // creator's tid), an exec (by the tid after it).
  enum class Kind : std::uint8_t { kNewTask, kCloneEvent, kExec };
  // `tid`'s stop of `kind` was read without its fact: if the fact comes
  // later, it is dropped.
  void Missed(pid_t tid, Kind kind);
  // `tid` is dead: its facts go, and any of its still on their way.
  void Forget(pid_t tid);

  // Records the ring had no room for, and facts used and missed, for
  // --verbose and the benchmark.
  std::uint64_t Dropped() const;
  std::uint64_t FactsUsed() const { return used_; }
  std::uint64_t FactsMissed() const { return missed_; }

 private:
  StopFacts(std::unique_ptr<BpfObject> bpf, Ring ring);
  void Take(const void* record, std::size_t size, std::uint64_t position);
  // Whether a record of `tid` and `kind` at `position` came after the drain
  // that missed it, if any.
  bool Fresh(pid_t tid, Kind kind, std::uint64_t position);

  std::unique_ptr<BpfObject> bpf_;  // null over a ring in plain memory
  Ring ring_;
  std::uint64_t producer_seen_ = 0;                // the producer's position at the last drain
  bool behind_ = false;                            // that drain stopped at a record not finished
  std::unordered_map<pid_t, CloneFact> clones_;    // by the new task's tid
  std::unordered_map<pid_t, pid_t> clone_events_;  // creator's tid → its new task's
  std::unordered_map<pid_t, ExecFact> execs_;      // by the tid after exec
  // (tid, kind) → the producer position below which its facts are stale;
  // only while a drain is behind.
  std::unordered_map<std::uint64_t, std::uint64_t> stale_before_;
  std::uint64_t used_ = 0;
  std::uint64_t missed_ = 0;
};

}  // namespace sentry::platform
