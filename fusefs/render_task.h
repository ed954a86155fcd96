// The procfs files of a process or thread directory, as proc(5) formats them,
// with the model's values wherever it knows them (state, ids, sessions,
// terminal, thread count, exit signal and code, argv, comm) and the live
// task's host values for the rest (CPU times, memory, nice, priority,
// signal masks). Linux: fs/proc/array.c (do_task_stat, proc_pid_status),
// fs/proc/base.c (proc_pid_cmdline_read, children in fs/proc/array.c).
//
// Where the model and the host differ on what the workload would see, the
// model wins: a stopped job is 'T' although ptrace shows every group stop as
// a tracing stop 't'; TracerPid is 0 (the sentry's own tracing is not the
// workload's); exit_code is 0 for a live task (the host puts ptrace's stop
// signal there). The start time is the host's while the host shows the task:
// the kernel stamps it at fork, the tracer sees the clone a little later.
#pragma once

#include <optional>
#include <string>

#include "sentry/kernel/view.h"

namespace sentry::fusefs {

// The state letter the view shows: the model's where it knows better than a
// running/sleeping guess (zombie, stops), else the host's (R, S, D...), with
// the sentry's own ptrace stops shown as running.
char ViewState(const kernel::TaskInfo& t, std::optional<char> host_state);

// `host_stat` is the task's host stat line (nullopt: not on the host, as in
// a replay). `thread` selects the per-thread flavour (task/TID/stat).
std::string RenderStat(const kernel::TaskInfo& t, const std::optional<std::string>& host_stat,
                       bool thread);
std::string RenderStatus(const kernel::TaskInfo& t, const std::optional<std::string>& host_status);
std::string RenderStatm(const std::optional<std::string>& host_statm);
std::string RenderCmdline(const kernel::TaskInfo& t);
// Where the task sleeps (the host's), as it would be untraced.
std::string RenderWchan(const kernel::TaskInfo& t, const std::optional<std::string>& host_wchan);
// The host's (the name the task gave itself) when live, else exec's.
std::string RenderComm(const kernel::TaskInfo& t, const std::optional<std::string>& host_comm);
std::string RenderChildren(const kernel::TaskInfo& t);

}  // namespace sentry::fusefs
