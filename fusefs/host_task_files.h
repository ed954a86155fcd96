// The files the view mirrors from the host's /proc unchanged: what the model
// does not know and tools read anyway (lsof, pmap, vmstat, pidstat, htop,
// psutil). A task's (marked on_host in procfs.cc's table, by the host's
// name) are read from its live host task (root pid); the top's (listed
// here) and net/'s as procfs shows them to the sentry (its mount, network and
// other namespaces, which the workload shares unless it made its own).
//
// Linux fs/proc/base.c guards some of a task's files with a ptrace access
// check (PTRACE_MODE_READ) at open, beyond their mode: the sentry reads
// them as root, so the view makes that check itself (NeedsPtraceRead).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fusefs/inode.h"

namespace sentry::fusefs {

// Files only root or the task's owner may open (environ, maps, smaps,
// smaps_rollup, io): Linux checks ptrace access, not just the mode.
bool NeedsPtraceRead(TaskFile file);

// The host's path of a top-level file the view mirrors, or nullptr.
const char* HostTopPath(Top file);

// The names net/ mirrors from the host's /proc/net (file = index + 1).
std::span<const char* const> NetFileNames();

// The numbered entries of a host directory (fd/, fdinfo/, task/), in
// order; nullopt if it cannot be read (the task is gone).
std::optional<std::vector<int>> HostFds(const std::string& dir);

}  // namespace sentry::fusefs
