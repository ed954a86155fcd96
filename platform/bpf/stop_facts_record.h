/* The records stop_facts.bpf.c writes to its ring buffer and the tracer
 * reads (platform/stop_facts.cc): one layout, compiled by both. Plain C
 * types only: the BPF side has vmlinux.h, the tracer <cstdint>. */
#pragma once

/* C names, for the BPF side's C. */
/* NOLINTBEGIN(readability-identifier-naming,performance-enum-size) */

enum stop_fact_kind {
  /* A task the tracer follows made a new task (copy_process succeeded). */
  STOP_FACT_CLONE = 1,
  /* A task the tracer follows exec'd (past exec's point of no return). */
  STOP_FACT_EXEC = 2,
};

/* The longest argument area an exec record carries; a longer one is left
 * for the tracer to read from /proc. */
#define STOP_FACT_ARGV_MAX 4096

struct stop_fact_header {
  unsigned int kind;
  int tid; /* the task the fact is about: the new task, or the exec'd one */
};

struct stop_fact_clone {
  struct stop_fact_header header;
  int creator; /* the thread that called clone */
  int creator_tgid;
  unsigned long long flags; /* clone flags, the exit signal apart */
  int exit_signal;          /* the new task's; -1 for a thread */
  int tgid;                 /* the new task's */
};

struct stop_fact_exec {
  struct stop_fact_header header;
  int former_tid;    /* the exec'ing thread's tid before exec (old_pid) */
  unsigned int euid; /* what stat(/proc/PID) shows: the effective ids */
  unsigned int egid;
  unsigned int argv_len; /* bytes in argv, or STOP_FACT_ARGV_MAX + 1: too long, not here */
  char comm[16];
  char argv[STOP_FACT_ARGV_MAX]; /* the argument area, NUL-separated, as /proc/PID/cmdline */
};
/* NOLINTEND(readability-identifier-naming,performance-enum-size) */
