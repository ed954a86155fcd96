// Reading the host's /proc for what the model does not know (CPU times,
// memory, nice, priority, signal masks). None of these reads blocks on a task
// that ptrace holds: stat, status and statm take no lock the tracee can hold.
#pragma once

#include <optional>
#include <string>

namespace sentry::fusefs {

// The whole of a small file, or nullopt (gone, not permitted).
std::optional<std::string> ReadHostFile(const std::string& path);

// A symlink's target, or nullopt.
std::optional<std::string> ReadHostLink(const std::string& path);

// "/proc/TID" for a process, "/proc/TID/task/TID" for a thread.
std::string HostTaskDir(int root_tid, bool thread);

}  // namespace sentry::fusefs
