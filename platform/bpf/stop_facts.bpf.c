// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* What the tracer would otherwise read at a ptrace stop, written by the
 * kernel's tracepoints before that stop is reported: the new task's clone
 * flags (task_newtask, at the end of copy_process, before the parent's clone
 * event and before the child runs) and an exec's names and owner
 * (sched_process_exec, in exec_binprm, before PTRACE_EVENT_EXEC). Only tasks
 * this tracer follows are written: those whose ptrace parent is in the
 * tracer's process. The tracer reads the ring at each stop
 * (platform/stop_facts.cc); a fact that is missing (ring full, a read that
 * failed) only sends it back to ptrace and /proc. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "stop_facts_record.h"

/* The kernel lets only a GPL-compatible program call the helpers used here
 * (bpf_probe_read_user, the ring buffer's). */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the tracer before loading: its process id. */
const volatile int tracer_tgid = 0;

/* Records the ring had no room for (the tracer reads it as a counter). */
unsigned long long dropped = 0;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4 << 20); /* the tracer may set its own size */
} facts SEC(".maps");

/* An exec record is too big for the BPF stack: built here, then copied. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, unsigned int);
  __type(value, struct stop_fact_exec);
} exec_scratch SEC(".maps");

static __always_inline int followed(struct task_struct *task) {
  return BPF_CORE_READ(task, ptrace) != 0 && BPF_CORE_READ(task, parent, tgid) == tracer_tgid;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(stop_facts_clone, struct task_struct *task, unsigned long long clone_flags) {
  struct task_struct *creator = bpf_get_current_task_btf();
  if (!followed(creator)) return 0;
  struct stop_fact_clone *fact = bpf_ringbuf_reserve(&facts, sizeof *fact, 0);
  if (!fact) {
    __sync_fetch_and_add(&dropped, 1);
    return 0;
  }
  fact->header.kind = STOP_FACT_CLONE;
  fact->header.tid = BPF_CORE_READ(task, pid);
  fact->creator = BPF_CORE_READ(creator, pid);
  fact->creator_tgid = BPF_CORE_READ(creator, tgid);
  fact->flags = clone_flags;
  fact->exit_signal = BPF_CORE_READ(task, exit_signal);
  fact->tgid = BPF_CORE_READ(task, tgid);
  bpf_ringbuf_submit(fact, 0);
  return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(stop_facts_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
  if (!followed(task)) return 0;
  unsigned int zero = 0;
  struct stop_fact_exec *fact = bpf_map_lookup_elem(&exec_scratch, &zero);
  if (!fact) return 0;
  fact->header.kind = STOP_FACT_EXEC;
  fact->header.tid = BPF_CORE_READ(task, pid);
  fact->former_tid = old_pid;
  fact->euid = BPF_CORE_READ(task, real_cred, euid.val);
  fact->egid = BPF_CORE_READ(task, real_cred, egid.val);
  bpf_probe_read_kernel_str(fact->comm, sizeof fact->comm, task->comm);
  /* The new image's argument area, just written by exec (present in memory):
   * what /proc/PID/cmdline reads while argv is untouched. */
  unsigned long start = BPF_CORE_READ(task, mm, arg_start);
  unsigned long end = BPF_CORE_READ(task, mm, arg_end);
  unsigned long len = end - start;
  if (end < start || len > STOP_FACT_ARGV_MAX ||
      bpf_probe_read_user(fact->argv, len & (2 * STOP_FACT_ARGV_MAX - 1), (const void *)start) != 0) {
    len = STOP_FACT_ARGV_MAX + 1;
  }
  fact->argv_len = (unsigned int)len;
  unsigned long size = sizeof *fact - STOP_FACT_ARGV_MAX;
  if (len <= STOP_FACT_ARGV_MAX) size += len;
  if (size > sizeof *fact) size = sizeof *fact; /* for the verifier: it is not */
  if (bpf_ringbuf_output(&facts, fact, size, 0) != 0) {
    __sync_fetch_and_add(&dropped, 1);
  }
  return 0;
}
