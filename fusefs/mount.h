// Mount: the view mounted at a path for the life of the object.
//
// Before mounting, the path is checked: created if missing; a dead mount
// left by a killed sentry (ENOTCONN) is detached and reported; a path held
// by a live sentry is refused. The session's loop runs in threads that take
// no signals. On destruction the `events` readers get end of file, the
// mount is detached lazily (a reader still inside keeps working until it
// leaves) and, if someone stays inside, the connection is aborted so the
// loop ends and nobody waits on a dead server. A crash of the sentry itself
// (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) detaches the mount before the
// default action, so no stale mount is left behind.
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <condition_variable>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fusefs/procfs.h"

namespace sentry::fusefs {

struct MountOptions {
  std::string path;
  bool allow_other = false;  // let other users in (file modes still apply)
};

class Mount {
 public:
  // Mounts `fs` at options.path. `notice` receives a line for the user when
  // a dead mount had to be cleaned first.
  static std::expected<std::unique_ptr<Mount>, std::string> Create(Procfs& fs,
                                                                   const MountOptions& options,
                                                                   std::string* notice);
  ~Mount();
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;

  const std::string& Path() const { return path_; }

 private:
  Mount(Procfs& fs, std::string path, fuse_session* session);
  void Loop();
  // Detaches the mount (MNT_DETACH; fusermount3 -u -z when not root).
  void Detach() const;
  // Removes the directories Create made for the mount point (if empty).
  void RemoveCreated() const;

  Procfs& fs_;
  const std::string path_;
  fuse_session* session_;
  std::string created_;  // the top directory Create made ("" if none)
  dev_t device_ = 0;     // names the connection under /sys/fs/fuse/connections
  std::mutex mu_;
  std::condition_variable ended_cv_;
  bool ended_ = false;  // guarded by mu_: the loop returned
  std::jthread loop_;
};

// The default mount point: /sandbox/proc for root, else
// $XDG_RUNTIME_DIR/sentry/<pid>/proc or /tmp/sentry-<uid>/<pid>/proc.
std::string DefaultMountPath();

// Where sentry views are mounted (this mount namespace), in mount order.
std::vector<std::string> SentryMounts();

// Detaches every sentry mount under `beside` (by default the directory of
// the default place: /sandbox/proc and /sandbox/PID/proc) whose sentry is
// gone (root only), and removes the empty PID/proc mount points there whose
// process is gone; how many mounts.
int CleanDeadMounts(const std::string& beside = std::string());

// Whether `path` is a mount whose server is gone (ENOTCONN).
bool IsDeadMount(const std::string& path);

// Whether `path` is a mount of a sentry's view (fstype fuse.sentry).
bool IsSentryMount(const std::string& path);

// The user a sentry view at `path` belongs to (its FUSE mount's user_id), if
// it is one.
std::optional<uid_t> MountOwner(const std::string& path);

}  // namespace sentry::fusefs
