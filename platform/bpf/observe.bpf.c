// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The observe platform's tracepoints: what a tree of processes does, told
 * without ptrace (platform/observer.h). A process is followed from the
 * moment the sentry puts its tgid in `followed` (the session leader, before
 * it runs anything) and every process a followed one creates is followed
 * from its task_newtask on; a process leaves the set when its last thread
 * exits. Each record goes to one ring buffer, in the order the producers
 * reserved their room, which for one task is the order of its events and
 * across tasks follows causality (a child's records come after its
 * creator's clone record; a wait's result after the exit it reports). */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "observe_record.h"

/* The kernel lets only a GPL-compatible program call the helpers used here
 * (bpf_probe_read_user, bpf_task_pt_regs, the ring buffer's). */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Macros vmlinux.h does not carry (include/uapi/linux/sched.h, signal.h,
 * prctl.h; include/linux/sched/signal.h). */
#define CLONE_THREAD 0x00010000
#define SIGCHLD 17
#define SIGCONT 18
#define SIGKILL 9
#define SIGNAL_GROUP_EXIT 0x00000004
#define TASK_DEAD 0x00000080
#define WNOHANG 1
#define P_PIDFD 3
#define SI_USER 0
#define CLD_STOPPED 5
#define SI_KERNEL 0x80
#define PR_SET_PDEATHSIG 1
#define PR_SET_CHILD_SUBREAPER 36

/* A constant the sentry sets: nothing yet, but the loader expects .rodata. */
const volatile int format_version = 1;

/* Records the ring had no room for (the sentry reads it as a counter). */
unsigned long long dropped = 0;
/* WNOHANG waits that found nothing to report: counted, not recorded (a
 * process polling in a loop would fill the ring with them). */
unsigned long long empty_polls = 0;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 16 << 20); /* the sentry sets its own size */
} events SEC(".maps");

/* The processes followed, by tgid. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1 << 16);
  __type(key, int);
  __type(value, unsigned char);
} followed SEC(".maps");

/* Threads between their exit's start and its end, by task_struct address
 * (a tid can change hands in that time: de_thread's exchange_tids): their
 * tid, and whether their process ends with them. */
struct dying_thread {
  int tid;
  int tgid;
  int group_dead;
};
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1 << 16);
  __type(key, unsigned long long);
  __type(value, struct dying_thread);
} dying SEC(".maps");

/* waitid(P_PIDFD) callers, by tid: the process their descriptor named at
 * do_wait's start (by the call's end it may be reaped, and the descriptor
 * then names none). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1 << 12);
  __type(key, int);
  __type(value, int);
} pidfd_targets SEC(".maps");

/* An exec record is too big for the BPF stack: built here, then copied. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, unsigned int);
  __type(value, struct observe_exec);
} exec_scratch SEC(".maps");

static __always_inline int is_followed(int tgid) {
  return bpf_map_lookup_elem(&followed, &tgid) != 0;
}

static __always_inline void *reserve(unsigned long size) {
  void *record = bpf_ringbuf_reserve(&events, size, 0);
  if (!record) __sync_fetch_and_add(&dropped, 1);
  return record;
}

static __always_inline void fill_header(struct observe_header *h, unsigned int kind,
                                        struct task_struct *task) {
  h->kind = kind;
  h->tid = BPF_CORE_READ(task, pid);
  h->tgid = BPF_CORE_READ(task, tgid);
  h->pad = 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(observe_clone, struct task_struct *task, unsigned long long clone_flags) {
  struct task_struct *creator = bpf_get_current_task_btf();
  int child_tgid = BPF_CORE_READ(task, tgid);
  if (!is_followed(BPF_CORE_READ(creator, tgid))) {
    /* A tgid reused by a process not ours must not stay followed. */
    if (!(clone_flags & CLONE_THREAD)) bpf_map_delete_elem(&followed, &child_tgid);
    return 0;
  }
  if (!(clone_flags & CLONE_THREAD)) {
    unsigned char one = 1;
    bpf_map_update_elem(&followed, &child_tgid, &one, BPF_ANY);
  }
  struct observe_clone *r = reserve(sizeof *r);
  if (!r) return 0;
  fill_header(&r->header, OBSERVE_CLONE, creator);
  r->child = BPF_CORE_READ(task, pid);
  r->child_tgid = child_tgid;
  r->flags = clone_flags;
  r->exit_signal = BPF_CORE_READ(task, exit_signal);
  r->pad = 0;
  bpf_ringbuf_submit(r, 0);
  return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(observe_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
  if (!is_followed(BPF_CORE_READ(task, tgid))) return 0;
  unsigned int zero = 0;
  struct observe_exec *r = bpf_map_lookup_elem(&exec_scratch, &zero);
  if (!r) return 0;
  fill_header(&r->header, OBSERVE_EXEC, task);
  r->former_tid = old_pid;
  r->euid = BPF_CORE_READ(task, real_cred, euid.val);
  r->egid = BPF_CORE_READ(task, real_cred, egid.val);
  bpf_probe_read_kernel_str(r->comm, sizeof r->comm, task->comm);
  /* The new image's argument area, just written by exec (present in memory). */
  unsigned long start = BPF_CORE_READ(task, mm, arg_start);
  unsigned long end = BPF_CORE_READ(task, mm, arg_end);
  unsigned long len = end - start;
  if (end < start || len > OBSERVE_ARGV_MAX ||
      bpf_probe_read_user(r->argv, len & (2 * OBSERVE_ARGV_MAX - 1), (const void *)start) != 0) {
    len = OBSERVE_ARGV_MAX + 1;
  }
  r->argv_len = (unsigned int)len;
  unsigned long size = sizeof *r - OBSERVE_ARGV_MAX;
  if (len <= OBSERVE_ARGV_MAX) size += len;
  if (size > sizeof *r) size = sizeof *r; /* for the verifier: it is not */
  if (bpf_ringbuf_output(&events, r, size, 0) != 0) __sync_fetch_and_add(&dropped, 1);
  return 0;
}

/* do_exit, after the exit code is set (tsk->exit_code = code) and before
 * exit_notify makes the task a zombie or releases it: the end is told at
 * its last switch (observe_exit_end). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(observe_exit, struct task_struct *task, bool group_dead) {
  int tgid = BPF_CORE_READ(task, tgid);
  if (!is_followed(tgid)) return 0;
  struct observe_exit *r = reserve(sizeof *r);
  if (r) {
    fill_header(&r->header, OBSERVE_EXIT, task);
    r->exit_code = BPF_CORE_READ(task, exit_code);
    r->group_exit = (BPF_CORE_READ(task, signal, flags) & SIGNAL_GROUP_EXIT) != 0;
    struct task_struct *execing = BPF_CORE_READ(task, signal, group_exec_task);
    r->exec_killer = execing && execing != task ? BPF_CORE_READ(execing, pid) : 0;
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
    r->syscall = (int)BPF_CORE_READ(regs, orig_ax);
    r->group_dead = group_dead;
    r->pad = 0;
    r->utime_ns = BPF_CORE_READ(task, utime);
    r->stime_ns = BPF_CORE_READ(task, stime);
    bpf_ringbuf_submit(r, 0);
  }
  struct dying_thread d = {.tid = BPF_CORE_READ(task, pid), .tgid = tgid, .group_dead = group_dead};
  unsigned long long key = (unsigned long long)task;
  bpf_map_update_elem(&dying, &key, &d, BPF_ANY);
  return 0;
}

/* The last switch away from a thread that exited: after exit_notify, which
 * made it a zombie (or released it) and handed its children on. A wait can
 * report it before this: the sentry tells its end then (observer.cc). */
SEC("tp_btf/sched_switch")
int BPF_PROG(observe_exit_end, bool preempt, struct task_struct *prev, struct task_struct *next,
             unsigned int prev_state) {
  if (prev_state != TASK_DEAD) return 0; /* every switch passes here: this first */
  unsigned long long key = (unsigned long long)prev;
  struct dying_thread *d = bpf_map_lookup_elem(&dying, &key);
  if (!d) return 0;
  struct observe_header *r = reserve(sizeof *r);
  if (r) {
    r->kind = OBSERVE_EXIT_END;
    r->tid = d->tid;
    r->tgid = d->tgid;
    r->pad = 0;
    bpf_ringbuf_submit(r, 0);
  }
  /* Its last thread: nothing more comes from this process. */
  if (d->group_dead) {
    int tgid = d->tgid;
    bpf_map_delete_elem(&followed, &tgid);
  }
  bpf_map_delete_elem(&dying, &key);
  return 0;
}

/* do_wait's start, for wait4 and waitid alike: the call's arguments are
 * still in the registers the task entered the kernel with. */
SEC("tp_btf/sched_process_wait")
int BPF_PROG(observe_wait_start, struct pid *pid) {
  struct task_struct *task = bpf_get_current_task_btf();
  if (!is_followed(BPF_CORE_READ(task, tgid))) return 0;
  struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
  long nr = BPF_CORE_READ(regs, orig_ax);
  if (nr != OBSERVE_NR_WAIT4 && nr != OBSERVE_NR_WAITID) return 0;
  int pidfd_pid = 0;
  if (nr == OBSERVE_NR_WAITID && BPF_CORE_READ(regs, di) == P_PIDFD) {
    int tid = BPF_CORE_READ(task, pid);
    if (pid) pidfd_pid = BPF_CORE_READ(pid, numbers[0].nr);
    bpf_map_update_elem(&pidfd_targets, &tid, &pidfd_pid, BPF_ANY);
  }
  /* A WNOHANG wait does not block: its start is told with its result. */
  unsigned long long options = nr == OBSERVE_NR_WAIT4 ? BPF_CORE_READ(regs, dx) : BPF_CORE_READ(regs, r10);
  if (options & WNOHANG) return 0;
  struct observe_wait_start *r = reserve(sizeof *r);
  if (!r) return 0;
  fill_header(&r->header, OBSERVE_WAIT_START, task);
  r->nr = (int)nr;
  r->pidfd_pid = pidfd_pid;
  r->args[0] = BPF_CORE_READ(regs, di);
  r->args[1] = BPF_CORE_READ(regs, si);
  r->args[2] = BPF_CORE_READ(regs, dx);
  r->args[3] = BPF_CORE_READ(regs, r10);
  bpf_ringbuf_submit(r, 0);
  return 0;
}

/* The raw sys_exit: every call of every task passes here once attached, so
 * the call number is looked at first. */
SEC("tp_btf/sys_exit")
int BPF_PROG(observe_syscall, struct pt_regs *regs, long ret) {
  long nr = BPF_CORE_READ(regs, orig_ax);
  switch (nr) {
    case OBSERVE_NR_RT_SIGACTION:
    case OBSERVE_NR_WAIT4:
    case OBSERVE_NR_SETPGID:
    case OBSERVE_NR_SETSID:
    case OBSERVE_NR_PRCTL:
    case OBSERVE_NR_WAITID:
      break;
    default:
      return 0;
  }
  struct task_struct *task = bpf_get_current_task_btf();
  if (!is_followed(BPF_CORE_READ(task, tgid))) return 0;
  unsigned long long args[5] = {BPF_CORE_READ(regs, di), BPF_CORE_READ(regs, si),
                                BPF_CORE_READ(regs, dx), BPF_CORE_READ(regs, r10),
                                BPF_CORE_READ(regs, r8)};
  if (nr == OBSERVE_NR_RT_SIGACTION && (args[0] != SIGCHLD || args[1] == 0)) return 0;
  int pidfd_pid = 0;
  if (nr == OBSERVE_NR_WAITID && args[0] == P_PIDFD) {
    int tid = BPF_CORE_READ(task, pid);
    int *target = bpf_map_lookup_elem(&pidfd_targets, &tid);
    if (target) {
      pidfd_pid = *target;
      bpf_map_delete_elem(&pidfd_targets, &tid);
    }
  }
  int child_pid = 0;
  if (nr == OBSERVE_NR_WAITID && ret == 0 && args[2] != 0) {
    bpf_probe_read_user(&child_pid, sizeof child_pid, (const void *)args[2] + 16);
  }
  unsigned long long options = nr == OBSERVE_NR_WAIT4 ? args[2] : args[3];
  if ((nr == OBSERVE_NR_WAIT4 || nr == OBSERVE_NR_WAITID) && (options & WNOHANG) &&
      (nr == OBSERVE_NR_WAIT4 ? ret == 0 : ret == 0 && child_pid == 0)) {
    __sync_fetch_and_add(&empty_polls, 1);
    return 0;
  }
  if (nr == OBSERVE_NR_PRCTL && args[0] != PR_SET_PDEATHSIG && args[0] != PR_SET_CHILD_SUBREAPER) {
    return 0;
  }
  struct observe_syscall *r = reserve(sizeof *r);
  if (!r) return 0;
  fill_header(&r->header, OBSERVE_SYSCALL, task);
  r->nr = (int)nr;
  r->pidfd_pid = pidfd_pid;
  r->ret = ret;
  for (int i = 0; i < 5; ++i) r->args[i] = args[i];
  r->status = 0;
  r->child_pid = 0;
  r->child_code = 0;
  r->child_status = 0;
  r->sigchld_handler = 0;
  r->sigchld_flags = 0;
  if (nr == OBSERVE_NR_WAIT4 && ret > 0 && args[1] != 0) {
    bpf_probe_read_user(&r->status, sizeof r->status, (const void *)args[1]);
  } else if (nr == OBSERVE_NR_WAITID && ret == 0 && args[2] != 0) {
    /* siginfo_t: si_code at 8; si_pid at 16 and si_status at 24 (_sigchld). */
    int fields[5] = {};
    bpf_probe_read_user(fields, sizeof fields, (const void *)args[2] + 8);
    r->child_code = fields[0];
    r->child_pid = fields[2];
    r->child_status = fields[4];
  } else if (nr == OBSERVE_NR_RT_SIGACTION && ret == 0) {
    struct sighand_struct *sighand = BPF_CORE_READ(task, sighand);
    r->sigchld_handler = (unsigned long long)BPF_CORE_READ(sighand, action[SIGCHLD - 1].sa.sa_handler);
    r->sigchld_flags = BPF_CORE_READ(sighand, action[SIGCHLD - 1].sa.sa_flags);
  }
  bpf_ringbuf_submit(r, 0);
  return 0;
}

/* get_signal took a signal off the queue: handler, ignore or default
 * action next. A group exit's SIGKILL is left out, as ptrace leaves it. */
SEC("tp_btf/signal_deliver")
int BPF_PROG(observe_signal_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka) {
  if (sig == SIGKILL) return 0;
  struct task_struct *task = bpf_get_current_task_btf();
  if (!is_followed(BPF_CORE_READ(task, tgid))) return 0;
  struct observe_signal *r = reserve(sizeof *r);
  if (!r) return 0;
  fill_header(&r->header, OBSERVE_SIGNAL_DELIVER, task);
  r->signo = sig;
  r->code = BPF_CORE_READ(info, si_code);
  r->sender = BPF_CORE_READ(info, _sifields._kill._pid);
  r->group_flags = 0;
  r->handler = (unsigned long long)BPF_CORE_READ(ka, sa.sa_handler);
  bpf_ringbuf_submit(r, 0);
  return 0;
}

/* Sending a signal can act at once:
 * - SIGCONT continues a stopped group when it is sent (prepare_signal),
 *   whether blocked, ignored or caught;
 * - SIGCHLD with CLD_STOPPED tells a parent its child's group stop is
 *   complete (do_notify_parent_cldstop; sent unless the parent ignores it
 *   or set SA_NOCLDSTOP);
 * - a fatal signal (SIGKILL, or a default action that terminates without a
 *   core dump) that no tracer would see makes the group exit there
 *   (complete_signal: SIGNAL_GROUP_EXIT, group_exit_code, SIGKILL to every
 *   thread): a stop of the group is no longer reported to wait from then
 *   on, and get_signal takes SIGKILL, not the signal sent. Only the send
 *   that made the group exit: a later one is ignored (prepare_signal),
 *   result != TRACE_SIGNAL_DELIVERED. */
SEC("tp_btf/signal_generate")
int BPF_PROG(observe_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
             int group, int result) {
  if (sig == SIGCHLD) {
    /* The parent may be the sentry, which is not followed: the child is. */
    if ((unsigned long)info <= 1 || BPF_CORE_READ(info, si_code) != CLD_STOPPED) return 0;
    int child = BPF_CORE_READ(info, _sifields._sigchld._pid);
    if (!is_followed(child)) return 0;
    struct observe_signal *r = reserve(sizeof *r);
    if (!r) return 0;
    r->header.kind = OBSERVE_CHILD_STOPPED;
    r->header.tid = child;
    r->header.tgid = child;
    r->header.pad = 0;
    r->signo = sig;
    r->code = CLD_STOPPED;
    r->sender = child;
    r->group_flags = 0;
    r->handler = 0;
    bpf_ringbuf_submit(r, 0);
    return 0;
  }
  if (!is_followed(BPF_CORE_READ(task, tgid))) return 0;
  int kind = 0;
  if (sig == SIGCONT) {
    kind = OBSERVE_SIGCONT;
  } else if (result == TRACE_SIGNAL_DELIVERED &&
             (BPF_CORE_READ(task, signal, flags) & SIGNAL_GROUP_EXIT) != 0 &&
             BPF_CORE_READ(task, signal, group_exit_code) == sig) {
    kind = OBSERVE_GROUP_EXIT;
  } else {
    return 0;
  }
  struct observe_signal *r = reserve(sizeof *r);
  if (!r) return 0;
  fill_header(&r->header, kind, task);
  r->signo = sig;
  /* SEND_SIG_NOINFO (0) is a user's kill from the current task;
   * SEND_SIG_PRIV (1) the kernel's. */
  if ((unsigned long)info > 1) {
    r->code = BPF_CORE_READ(info, si_code);
    r->sender = BPF_CORE_READ(info, _sifields._kill._pid);
  } else {
    r->code = info ? SI_KERNEL : SI_USER;
    r->sender = info ? 0 : BPF_CORE_READ(bpf_get_current_task_btf(), tgid);
  }
  r->group_flags = BPF_CORE_READ(task, signal, flags);
  r->handler = 0; /* SIG_DFL: fatal */
  bpf_ringbuf_submit(r, 0);
  return 0;
}
