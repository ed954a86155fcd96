// Reading the host's /proc for what ptrace does not say: a task's parent,
// group, terminal, namespace ids, threads, and whether it is on its way
// into a stop. Every reader treats a vanished task as "nothing": tasks die
// while they are read.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sentry/kernel/observation.h"

namespace sentry::platform {

// The whole of a small /proc file ("" if it cannot be read): a read short of
// the buffer is taken for its end, as /proc files give all they have.
std::string ReadSmallFile(const std::string& path);

// /proc/PID/cmdline as argv (empty for a zombie or a gone task).
std::vector<std::string> ReadCmdline(pid_t pid);

// A process's argument area (NUL-separated, as /proc/PID/cmdline gives it)
// as argv.
std::vector<std::string> SplitCmdline(std::string_view area);

// The fields of /proc/PID/stat the tracer reads.
struct ProcStat {
  char state = 0;
  int ppid = 0;
  int pgrp = 0;
  int session = 0;
  std::int32_t tty_nr = 0;
  std::uint32_t flags = 0;  // the task's PF_* flags
  // Its thread group's threads not yet released (Linux signal->nr_threads):
  // a zombie thread counts until its tracer reaps it.
  int num_threads = 0;
};

// nullopt if the task is gone.
std::optional<ProcStat> ReadProcStat(pid_t pid);

// The value of one "Name:\tvalue" line of /proc/PID/status ("" if absent).
std::string StatusField(pid_t pid, const char* name);
// The same from a status text already read (ReadStatus): one read for
// several fields.
std::string ReadStatus(pid_t pid);
std::string StatusField(const std::string& status, const char* name);

// Whether thread `tid` sleeps in a wait4/waitid (its wchan is do_wait). Its
// state says S from the start of the wait's walk of the children, the reap
// included, while it still runs: only the wchan of a task off the run
// queue names where it sleeps ("0" otherwise).
bool AsleepInWait(pid_t tid);

// What a pidfd (descriptor `fd` of task `tid`) refers to, from its fdinfo.
struct PidfdTarget {
  pid_t pid = 0;             // its process, root id (0 or less: reaped)
  bool nonblocking = false;  // O_NONBLOCK (PIDFD_NONBLOCK): waitid through it never blocks
};
// nullopt if `fd` is not a pidfd of `tid`'s (or `tid` is gone).
std::optional<PidfdTarget> ReadPidfd(pid_t tid, int fd);

// The threads of `tid`'s thread group the host still has (zombies the
// tracer has not reaped among them); empty if it is gone.
std::vector<pid_t> ThreadsOnTheHost(pid_t tid);

// The children of process `tgid`'s threads on the host (Linux
// /proc/PID/task/TID/children): what a wait by it looks at.
std::vector<pid_t> ChildrenOnTheHost(pid_t tgid);

// Whether thread `tid` is inside clone, fork, vfork or clone3, or running
// (the host says which syscall a task is in only while it sleeps or stops).
bool InCloneOrRunning(pid_t tid);

// Whether `pid` is alive (neither zombie nor dead) and traced by `tracer`.
bool LiveTraceeOf(pid_t pid, pid_t tracer);

// A task's ids in the namespaces below the sentry's (NSpid after the first).
std::vector<std::int32_t> NestedTids(pid_t tid);

// Whether the task exec'd since its fork: Linux clears PF_FORKNOEXEC at
// exec's point of no return (begin_new_exec), before the exec event stop.
bool ExecedOnTheHost(const ProcStat& stat);

// Whether the host shows thread `tid` woken by a fatal signal and on its way
// to its exit: SIGKILL queued to it (Linux complete_signal and
// zap_other_threads queue one to every thread) or, once it has taken it,
// PF_SIGNALED / PF_EXITING set. False if it is gone.
bool DyingOnTheHost(pid_t tid);

// Whether process `pid` (not stopped) has a signal pending that it neither
// blocks, ignores nor catches, and whose default action ends it: it dies of
// that signal as soon as it runs (a tracer lets the signal through at its
// signal-delivery stop). False if it is gone.
bool EndsByAPendingSignal(pid_t pid);
// Whether process `pid` ignores `signo` (SIG_IGN); true if it is gone.
bool IgnoresSignal(pid_t pid, int signo);
// Whether task `tid` has `signo` pending, blocked or not, in its own queue
// or its process's. False if it is gone.
bool IsPending(pid_t tid, int signo);
// Whether `signo`, taken from a signal-delivery stop and delivered, ends
// task `pid`: neither caught nor ignored, nor harmless by default.
bool EndsByADeliveredSignal(pid_t pid, int signo);
// Whether task `tid` is inside execve or execveat (/proc/TID/syscall; a
// task that is running shows "running" and is not).
bool InExecve(pid_t tid);
// Task `pid`'s disposition of `signo` (SigIgn, SigCgt); kUnknown if it is gone.
kernel::SignalDisposition DispositionOf(pid_t pid, int signo);
// The same, from a disposition already read.
bool EndsByADeliveredSignal(kernel::SignalDisposition disposition, int signo);

}  // namespace sentry::platform
