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
  kProcessFd = 7,      // /PID/fd/N and /PID/fdinfo/N (id: FdNodeId)
  kThreadFd = 8,       // the same under /PID/task/TID
  kForeignFd = 9,      // the same for an outside reader's own entry
  kNet = 10,           // /net/* (file: an index into the view's list of names)
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
  // The host's, as procfs shows them to the sentry (host_task_files.h).
  kMounts,  // a link to self/mounts, as on the host
  kNetDir,  // net/
  kVmstat,
  kDiskstats,
  kPartitions,
  kSwaps,
  kFilesystems,
  kLocks,
  kZoneinfo,
  kBuddyinfo,
  kInterrupts,
  kSoftirqs,
  kDevices,
  kMisc,
  kModules,
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
  // Mirrored from the host's file of the live task (host_task_files.h).
  kWchan,
  kMaps,
  kSmaps,
  kSmapsRollup,
  kIo,
  kLimits,
  kMountinfo,
  kMounts,
  kOomScore,
  kOomScoreAdj,
  kSchedstat,
  kFdDir,      // fd/: the host's descriptors, as links
  kFdinfoDir,  // fdinfo/
  kTaskDir,    // process only: task/
  kSentryDir,  // process only: sentry/
};

// Files under fd/ and fdinfo/ (scopes kProcessFd, kThreadFd, kForeignFd).
// kTarget: what a link that names no path ("pipe:[N]", "socket:[N]",
// "anon_inode:[eventfd]") leads to: stat(2) of fd/N follows the link's text
// relative to fd/, and procfs's magic link goes to the open file itself, so
// that name in fd/ answers with the open file's attributes.
enum class FdFile : std::uint8_t { kLink = 1, kInfo = 2, kTarget = 3 };

// An fd node's id: its task directory's id (a ThreadGroupUid, a TaskUid or
// a host pid) with the descriptor's number below it. fd numbers stop at
// fs.nr_open (1,048,576 by default); above kMaxFd there is no node.
constexpr unsigned kFdBits = 24;
constexpr std::uint64_t kMaxFd = (std::uint64_t{1} << kFdBits) - 1;
constexpr std::uint64_t FdNodeId(std::uint64_t subject, std::uint64_t fd) {
  return subject << kFdBits | fd;
}
constexpr std::uint64_t FdSubjectOf(std::uint64_t id) {
  return id >> kFdBits;
}
constexpr int FdNumberOf(std::uint64_t id) {
  return static_cast<int>(id & kMaxFd);
}

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
