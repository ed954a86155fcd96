/* The records observe.bpf.c writes to its ring buffer and the observe
 * platform reads (platform/observe_events.cc): one layout, compiled by both.
 * Plain C types only: the BPF side has vmlinux.h, the sentry <cstdint>.
 * Ids are the initial PID namespace's. */
#pragma once

/* C names, for the BPF side's C. */
/* NOLINTBEGIN(readability-identifier-naming,performance-enum-size,modernize-avoid-c-arrays) */

enum observe_kind {
  /* task_newtask: a followed task made a new one (copy_process succeeded). */
  OBSERVE_CLONE = 1,
  /* sched_process_exec: a followed task exec'd (past the point of no return). */
  OBSERVE_EXEC = 2,
  /* sched_process_exit: a followed thread began to exit. */
  OBSERVE_EXIT = 3,
  /* sched_process_wait: a followed thread entered wait4 or waitid. */
  OBSERVE_WAIT_START = 4,
  /* sys_exit of one of the calls the model follows (observe_syscall). */
  OBSERVE_SYSCALL = 5,
  /* signal_deliver: a followed thread took a signal (not SIGKILL). */
  OBSERVE_SIGNAL_DELIVER = 6,
  /* signal_generate of SIGCONT to a followed task: a group stop ends there. */
  OBSERVE_SIGCONT = 7,
  /* signal_generate of SIGCHLD (CLD_STOPPED) for a followed child: its
   * group stop is complete (header: the child; observe_signal's sender). */
  OBSERVE_CHILD_STOPPED = 8,
  /* sched_switch away from a thread that has finished exiting (TASK_DEAD):
   * exit_notify is behind it, it is a zombie or released. */
  OBSERVE_EXIT_END = 9,
  /* signal_generate of a fatal signal that made a followed process's group
   * exit (complete_signal): its threads die without taking it. */
  OBSERVE_GROUP_EXIT = 10,
};

/* The calls whose exits are recorded (x86-64 numbers). */
#define OBSERVE_NR_RT_SIGACTION 13
#define OBSERVE_NR_WAIT4 61
#define OBSERVE_NR_SETPGID 109
#define OBSERVE_NR_SETSID 112
#define OBSERVE_NR_PRCTL 157
#define OBSERVE_NR_WAITID 247
/* The call an exiting thread was in (its exit record's `syscall`). */
#define OBSERVE_NR_EXIT 60
#define OBSERVE_NR_EXIT_GROUP 231

#define OBSERVE_ARGV_MAX 4096

struct observe_header {
  unsigned int kind;
  int tid;  /* the thread that acted (the exec'd thread's tid after exec) */
  int tgid; /* its process */
  int pad;
};

struct observe_clone {
  struct observe_header header; /* the creator */
  int child;
  int child_tgid;
  unsigned long long flags; /* clone flags, the exit signal apart */
  int exit_signal;          /* the new task's; -1 for a thread */
  int pad;
};

struct observe_exec {
  struct observe_header header;
  int former_tid; /* the exec'ing thread's tid before exec (old_pid) */
  unsigned int euid;
  unsigned int egid;
  unsigned int argv_len; /* bytes in argv, or OBSERVE_ARGV_MAX + 1: too long, not here */
  char comm[16];
  char argv[OBSERVE_ARGV_MAX]; /* the argument area, NUL-separated, as /proc/PID/cmdline */
};

struct observe_exit {
  struct observe_header header;
  int exit_code;   /* the wait status it will report */
  int group_exit;  /* the whole group is exiting: exit_group or a fatal signal */
  int exec_killer; /* the thread whose exec is killing this one (de_thread), or 0 */
  int syscall;     /* the call it was in (orig_ax): exit, exit_group, or another */
  int group_dead;  /* the last thread of its process */
  int pad;
  unsigned long long utime_ns;
  unsigned long long stime_ns;
};

struct observe_wait_start {
  struct observe_header header;
  int nr;        /* wait4 or waitid */
  int pidfd_pid; /* waitid(P_PIDFD): the process the descriptor names, or 0 */
  unsigned long long args[4];
};

struct observe_syscall {
  struct observe_header header;
  int nr;
  int pidfd_pid; /* waitid(P_PIDFD): the process the descriptor named at the call's start */
  long long ret;
  unsigned long long args[5];
  /* wait4: the status word written (valid when ret > 0 and args[1]);
   * waitid: the siginfo's pid, code and status (valid when args[2]). */
  int status;
  int child_pid;
  int child_code;
  int child_status;
  /* rt_sigaction of SIGCHLD: the group's disposition after the call. */
  unsigned long long sigchld_handler;
  unsigned long long sigchld_flags;
};

struct observe_signal {
  struct observe_header header; /* the receiver (SIGCONT: the target) */
  int signo;
  int code;   /* si_code */
  int sender; /* si_pid, for a signal a process sent (code <= 0) */
  /* SIGCONT: the group's signal->flags just after it was sent (whether a
   * stop was complete: SIGNAL_CLD_CONTINUED). */
  unsigned int group_flags;
  unsigned long long handler; /* the receiver's disposition at delivery */
};

/* NOLINTEND(readability-identifier-naming,performance-enum-size,modernize-avoid-c-arrays) */
