// Procfs: the model as a procfs-style filesystem (libfuse3's low-level API).
//
// Every node is rendered from the model's read API (Kernel's snapshot
// calls, each one consistent under the model's shared lock) and, where the
// model does not know a value, from the live task's host /proc. A file is
// rendered once, at open, into its handle: a reader sees one version however
// small its reads (files are direct_io, as procfs files have no size).
//
// As a RecordConsumer it keeps what the model's snapshot does not (each
// process's wait history), feeds the `events` stream, and drops a reaped
// task's directory from the kernel's cache at once. The tracer's Consume
// call only copies the records into a queue; a notifier thread does the
// rest, so the tracer never waits for a reader or for the kernel's cache.
//
// Ids are those of the workload's PID namespace (with --pidns its first
// process is 1), fixed once the first process's namespace exists.
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fusefs/event_stream.h"
#include "fusefs/inode.h"
#include "sentry/kernel/consumer.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/narrate.h"

namespace sentry::fusefs {

class Procfs final : public kernel::RecordConsumer {
 public:
  struct Options {
    uid_t owner = 0;     // the sentry's uid: owns the top-level files
    bool pidns = false;  // show the workload's own PID namespace once it exists
    // False: the model is a past run replayed (`sentry replay --mount`). Its
    // pids are not the host's now: no task file is read from the host's
    // /proc (what the model does not know shows as procfs shows the
    // unknown: zeros, empty, no link), and no reader is one of its tasks.
    bool live = true;
  };

  Procfs(const kernel::Kernel& model, Options options);
  ~Procfs() override;
  Procfs(const Procfs&) = delete;
  Procfs& operator=(const Procfs&) = delete;

  // The handlers to give fuse_session_new, with this object as userdata.
  static const fuse_lowlevel_ops& Operations();
  // The mounted session, for cache invalidations; nullptr before it goes.
  void SetSession(fuse_session* session);
  // What writing `sentry/freeze` does: hold (true) or let go (false) every
  // task of the workload. Until it is set the file refuses writes (EBUSY).
  void SetFreezeControl(std::function<void(bool)> control);
  // What `sentry/step` shows and does (`sentry run --step`): its state in
  // words, and a command written to it (false: refused, EINVAL). Without
  // one the file reads "off" and refuses writes (EBUSY).
  struct StepControl {
    std::function<std::string()> state;
    std::function<bool(std::string_view)> command;
  };
  void SetStepControl(StepControl control);
  // Returns once every record handed over so far is told (events, the wait
  // and reap histories) and the kernel's cached entries of the reaped are
  // dropped: what the view shows is then the model's state (--step holds
  // the workload only after this).
  void AwaitNotifier();
  // The run is over: every `events` reader gets end of file.
  void CloseEvents() { events_.Close(); }

  void Consume(const kernel::Observation& obs, std::uint64_t seq,
               std::span<const kernel::Record> records) override;

  struct DirEntry {
    std::string name;
    std::uint64_t ino = 0;
    mode_t type = 0;
  };

 private:
  // ---- The tree.
  kernel::NamespaceUid View() const { return kernel::NamespaceUid(view_ns_.load()); }
  // The child `name` of directory `parent`, as the caller sees it.
  std::optional<Inode> Child(Inode parent, std::string_view name, const fuse_ctx* caller) const;
  // The node's attributes; nullopt if its subject is gone.
  std::optional<struct stat> Attributes(Inode node) const;
  std::optional<std::vector<DirEntry>> List(Inode dir) const;
  // A regular file's content; nullopt if its subject is gone.
  std::optional<std::string> Render(Inode node) const;
  std::optional<std::string> RenderTop(Top file) const;
  std::optional<std::string> RenderTaskFile(const kernel::TaskInfo& t, TaskFile file,
                                            bool thread) const;
  std::optional<std::string> RenderProcessSentry(const kernel::TaskInfo& leader,
                                                 SentryFile file) const;
  std::optional<std::string> RenderGroupFile(Inode node) const;
  // Whose files a process's or thread's node shows (its directory's, for
  // its model files); nullopt once it is gone.
  std::optional<kernel::TaskOwner> OwnerOf(Inode node) const;
  // A link's target, or the errno the reader gets.
  std::expected<std::string, int> Readlink(Inode node, const fuse_ctx* caller) const;
  // The caller's thread group and thread ids as the view shows them, and
  // whether it is a task of the sandbox.
  // Who makes a request, as the view numbers it (tgid, tid) and on the host.
  struct Caller {
    std::int32_t tgid = 0;
    std::int32_t tid = 0;
    std::int32_t host_tgid = 0;
    bool in_sandbox = false;
  };
  Caller Identify(const fuse_ctx* caller) const;
  // The host pid of the viewed PID namespace's init while it lives (0: none).
  std::int32_t NamespaceInit() const;
  // The task a process or thread node names, if it is still there.
  std::optional<kernel::TaskInfo> Subject(Inode node) const;
  // fd/ and fdinfo/: an entry's node (any number; Attributes says whether
  // the host has it; a link's text names the open file, FdFile::kTarget),
  // and the host's descriptors as entries.
  std::optional<Inode> FdChild(Inode dir, std::string_view name, const fuse_ctx* caller) const;
  std::optional<std::vector<DirEntry>> ListFds(Inode dir) const;
  // The host's /proc directory of a process, thread or outside reader's
  // node (the live task's), or nullopt (gone, or a replay).
  std::optional<std::string> HostDirOf(Inode dir) const;
  // Whether the caller may read a task's guarded files (Linux: ptrace
  // access, PTRACE_MODE_READ): root, the task's owner, or its own entry.
  bool MayRead(Inode dir, const fuse_ctx* caller) const;

  // ---- FUSE handlers (static trampolines in procfs.cc call these).
 public:
  void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
  void Getattr(fuse_req_t req, fuse_ino_t ino);
  void DoReadlink(fuse_req_t req, fuse_ino_t ino);
  void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void Read(fuse_req_t req, fuse_ino_t ino, std::size_t size, off_t off, fuse_file_info* fi);
  void Release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void Opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void Readdir(fuse_req_t req, fuse_ino_t ino, std::size_t size, off_t off, fuse_file_info* fi);
  void Releasedir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void Write(fuse_req_t req, fuse_ino_t ino, const char* data, std::size_t size);
  void Setattr(fuse_req_t req, fuse_ino_t ino, const struct stat* attr, int to_set);

 private:
  // ---- The notifier thread.
  void NotifierLoop(const std::stop_token& stop);
  // Tells the queued records in words (the histories, the `events` file);
  // true if one was a reap. Any thread; in order.
  bool TellQueued() const;
  // The same before a history is read; a reap told here has the notifier
  // drop the kernel's entries.
  void TellQueuedForReader() const;
  // Drops cached directory entries whose subject was reaped.
  void InvalidateReaped();
  void Remember(fuse_ino_t parent, const std::string& name, Inode child);

  const kernel::Kernel& model_;
  const Options options_;
  const pid_t self_pid_ = ::getpid();      // the sentry's own process (its row's threads)
  std::atomic<std::uint64_t> view_ns_{0};  // 0: the root namespace (the model's default)
  mutable EventStream events_;             // appended to by TellQueued (which any reader may run)
  // Tells the records in words: by TellQueued, under narrator_mu_ (the
  // notifier's, or a history reader's, thread).
  mutable std::mutex narrator_mu_;
  mutable kernel::Narrator narrator_;  // guarded by narrator_mu_
  // With --pidns, each workload task's id in its namespace, by task and by
  // host tid (its latest owner), for the narrator's numbers: learnt in
  // Consume, where the model still has the task (the notifier tells it
  // later, when it may be gone).
  std::mutex namespace_ids_mu_;
  kernel::NamespaceIdMemo namespace_ids_;  // guarded by namespace_ids_mu_
  // The narrator, numbering as options_ says (before the notifier starts).
  kernel::Narrator MakeNarrator();

  // Wait history by waiter task: the sentences of its wait results and reaps.
  mutable std::mutex history_mu_;
  mutable std::unordered_map<kernel::TaskUid, std::deque<std::string>>
      waits_;  // guarded by history_mu_
  // Every reap of the run (the latest kReapHistory): who reaped whom, how.
  mutable std::deque<std::string> reaps_;  // guarded by history_mu_

  // The fd link each fd/ directory had read last (key: FdDirKey): stat(2)
  // of fd/N reads the link, then looks its text ("pipe:[N]") up in fd/
  // (FdChild), which would otherwise read every link of the task to find N
  // (lsof on 3,000 pipes took 20 s).
  mutable std::mutex followed_mu_;
  mutable std::unordered_map<std::uint64_t, std::pair<std::string, int>>
      followed_;  // guarded by followed_mu_

  // Entries of process and thread directories the kernel may have cached.
  std::mutex cache_mu_;
  std::map<std::pair<fuse_ino_t, std::string>, Inode> cached_;  // guarded by cache_mu_
  std::atomic<std::size_t> cached_entries_{0};   // cached_.size(), read without the lock
  mutable std::atomic<bool> invalidate_{false};  // a reader told a reap: drop entries

  // An open rendered file: its content, rendered at open and again when it
  // is read from the start once more (procfs's seq_file does the same: top
  // keeps /proc/stat open and rereads it at offset 0).
  struct OpenFile {
    std::mutex mu;
    std::string content;  // guarded by mu
    bool read = false;    // guarded by mu: some read was answered
  };
  // Rendered files and listed directories still open (their handles'
  // contents); freed at RELEASE, or at the end if the connection ended first.
  std::mutex handles_mu_;
  std::unordered_set<OpenFile*> open_files_;              // guarded by handles_mu_
  std::unordered_set<std::vector<DirEntry>*> open_dirs_;  // guarded by handles_mu_

  mutable std::mutex freeze_mu_;
  std::function<void(bool)> freeze_control_;  // guarded by freeze_mu_
  StepControl step_control_;                  // guarded by freeze_mu_
  std::atomic<bool> frozen_{false};           // what was last asked for

  std::mutex session_mu_;
  fuse_session* session_ = nullptr;  // guarded by session_mu_

  // Records to tell, from the tracer's Consume; all guarded by queue_mu_.
  mutable std::mutex queue_mu_;
  mutable std::condition_variable_any queue_cv_;
  mutable std::vector<kernel::Record> queue_;
  mutable bool wake_ = false;                // the notifier is wanted before its interval
  mutable int tellers_ = 0;                  // threads telling records taken from queue_
  mutable std::condition_variable idle_cv_;  // queue_ empty and nobody telling
  std::jthread notifier_;                    // last: joined before the rest goes
};

}  // namespace sentry::fusefs
