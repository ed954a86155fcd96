// Inode numbers of the view: every node is named by what it shows, not by a
// table, so a number stays valid exactly as long as its subject lives.
//
//   ino = id << 12 | scope << 8 | file
//
// `id` is the subject: 0 at the top, a ThreadGroupUid for a process
// directory, a TaskUid for a thread directory (never reused, unlike pids: a
// reused pid gets a new inode, and the kernel never mixes the two), a pgid
// or sid for the model's group and session directories, a host pid for the
// entry an outside reader sees for itself. The root is ino 1 (FUSE_ROOT_ID).
#pragma once

#include <cstdint>

namespace sentry::fusefs {

enum class Scope : std::uint8_t {
  kTop = 0,            // files and directories at the top
  kProcess = 1,        // /PID and its files
  kThread = 2,         // /PID/task/TID and its files
  kProcessSentry = 3,  // /PID/sentry/*
  kForeign = 4,        // /PID of a reader outside the sandbox (host values)
  kProcessGroup = 5,   // /sentry/pgrp/PGID/*
  kSession = 6,        // /sentry/session/SID/*
};

// Top-level nodes (scope kTop, id 0).
enum class Top : std::uint8_t {
  kRoot = 1,
  kSelf,
  kThreadSelf,
  kStat,
  kUptime,
  kLoadavg,
  kMeminfo,
  kCpuinfo,
  kVersion,
  kSys,
  kSysKernel,
  kPidMax,
  kOsRelease,
  kTty,
  kTtyDrivers,
  kSentry,      // sentry/
  kTree,        // sentry/tree
  kStatus,      // sentry/status
  kEvents,      // sentry/events
  kReaped,      // sentry/reaped
  kFreeze,      // sentry/freeze
  kPgrpDir,     // sentry/pgrp/
  kSessionDir,  // sentry/session/
  kPidns,       // sentry/pidns
  kStep,        // sentry/step
};

// Files of a process or thread directory (scopes kProcess, kThread, kForeign).
enum class TaskFile : std::uint8_t {
  kDir = 0,
  kStat,
  kStatus,
  kStatm,
  kCmdline,
  kComm,
  kEnviron,
  kExe,
  kCwd,
  kRoot,
  kChildren,
  kCgroup,
  kTaskDir,    // process only: task/
  kSentryDir,  // process only: sentry/
};

// Files of a process's sentry/ directory (scope kProcessSentry).
enum class SentryFile : std::uint8_t { kExit = 1, kExitState, kStop, kWaits, kReaper };

// Files of the model's group and session directories.
enum class GroupFile : std::uint8_t {
  kDir = 0,
  kMembers,         // pgrp
  kSession,         // pgrp
  kOrphaned,        // pgrp
  kStoppedMembers,  // pgrp
  kLeader,          // session
  kPgrps,           // session
  kTty,             // session
  kForeground,      // session
};

struct Inode {
  std::uint64_t id = 0;
  Scope scope = Scope::kTop;
  std::uint8_t file = 0;

  static Inode Decode(std::uint64_t ino) {
    return Inode{.id = ino >> 12U,
                 .scope = static_cast<Scope>((ino >> 8U) & 0xfU),
                 .file = static_cast<std::uint8_t>(ino & 0xffU)};
  }
  std::uint64_t Encode() const {
    return id << 12U | static_cast<std::uint64_t>(scope) << 8U | file;
  }
};

inline Inode TopInode(Top t) {
  return Inode{.id = 0, .scope = Scope::kTop, .file = static_cast<std::uint8_t>(t)};
}

}  // namespace sentry::fusefs
