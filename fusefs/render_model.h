// The model's own views, which no procfs has: a process's exit, exit state,
// stop and reaper; the top-level tree, status, and the files of the process
// group and session directories. Plain "key: value" lines (one fact a line,
// easy to grep) or sentences where the answer is a reason.
#pragma once

#include <string>
#include <vector>

#include "sentry/kernel/view.h"

namespace sentry::fusefs {

// sentry/exit: code, signal, core dumped, shell code, the wait status.
std::string RenderExit(const kernel::TaskInfo& leader);
// sentry/exit_state: none/initiated/zombie/dead, parent notified, acked.
std::string RenderExitState(const kernel::TaskInfo& leader);
// sentry/stop: internal stop kind, group-stop phase and signal, external stops.
std::string RenderStop(const kernel::TaskInfo& leader);
// sentry/reaper: who will reap it and why.
std::string RenderReaper(const kernel::ReaperInfo& reaper);
// sentry/tree: pstree-like, with pid, pgid, sid, state, stop and exit.
std::string RenderTree(const std::vector<kernel::TaskInfo>& processes);
// sentry/status: the run's counts.
std::string RenderRunStatus(const kernel::KernelStats& stats);
// A list of ids, one line.
std::string RenderIds(const std::vector<std::int32_t>& ids);

}  // namespace sentry::fusefs
