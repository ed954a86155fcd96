#include "fusefs/procfs.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <span>

#include "fusefs/host_files.h"
#include "fusefs/host_task_files.h"
#include "fusefs/render_model.h"
#include "fusefs/render_task.h"
#include "platform/quiet_thread.h"
#include "sentry/kernel/describe.h"
#include "sentry/kernel/narrate.h"

namespace sentry::fusefs {

namespace {

using kernel::TaskInfo;

// Dentries and attributes stay cached this long; a reaped task's entry is
// invalidated at once, so the cache never shows a task that is gone.
constexpr double kCacheSeconds = 1.0;

// Records no one waits for are told once this many are queued, or this
// often (Procfs::Consume).
constexpr std::size_t kTellBatch = 4096;
constexpr auto kTellInterval = std::chrono::milliseconds(200);
// How many wait results a task's history keeps, and reaps the run's.
constexpr std::size_t kWaitHistory = 256;
constexpr std::size_t kReapHistory = 4096;

struct NodeSpec {
  const char* name = nullptr;
  std::uint8_t file = 0;
  mode_t mode = 0;  // with its type bits
  // A task's file the host has by the same name, read from the live task
  // where the model has no say (or for an outside reader's own entry).
  bool on_host = false;
};
constexpr bool kOnHost = true;

constexpr mode_t kDir = S_IFDIR | 0555;
constexpr mode_t kFile = S_IFREG | 0444;
constexpr mode_t kLink = S_IFLNK | 0777;

constexpr std::uint8_t T(Top t) {
  return static_cast<std::uint8_t>(t);
}
constexpr std::uint8_t F(TaskFile f) {
  return static_cast<std::uint8_t>(f);
}
constexpr std::uint8_t S(SentryFile f) {
  return static_cast<std::uint8_t>(f);
}
constexpr std::uint8_t G(GroupFile f) {
  return static_cast<std::uint8_t>(f);
}

constexpr std::array kRootEntries = {
    NodeSpec{"self", T(Top::kSelf), kLink},
    NodeSpec{"thread-self", T(Top::kThreadSelf), kLink},
    NodeSpec{"stat", T(Top::kStat), kFile},
    NodeSpec{"uptime", T(Top::kUptime), kFile},
    NodeSpec{"loadavg", T(Top::kLoadavg), kFile},
    NodeSpec{"meminfo", T(Top::kMeminfo), kFile},
    NodeSpec{"cpuinfo", T(Top::kCpuinfo), kFile},
    NodeSpec{"version", T(Top::kVersion), kFile},
    NodeSpec{"sys", T(Top::kSys), kDir},
    NodeSpec{"tty", T(Top::kTty), kDir},
    NodeSpec{"sentry", T(Top::kSentry), kDir},
    NodeSpec{"mounts", T(Top::kMounts), kLink},
    NodeSpec{"net", T(Top::kNetDir), kDir},
    NodeSpec{"vmstat", T(Top::kVmstat), kFile},
    NodeSpec{"diskstats", T(Top::kDiskstats), kFile},
    NodeSpec{"partitions", T(Top::kPartitions), kFile},
    NodeSpec{"swaps", T(Top::kSwaps), kFile},
    NodeSpec{"filesystems", T(Top::kFilesystems), kFile},
    NodeSpec{"locks", T(Top::kLocks), kFile},
    NodeSpec{"zoneinfo", T(Top::kZoneinfo), S_IFREG | 0400},
    NodeSpec{"buddyinfo", T(Top::kBuddyinfo), kFile},
    NodeSpec{"interrupts", T(Top::kInterrupts), kFile},
    NodeSpec{"softirqs", T(Top::kSoftirqs), kFile},
    NodeSpec{"devices", T(Top::kDevices), kFile},
    NodeSpec{"misc", T(Top::kMisc), kFile},
    NodeSpec{"modules", T(Top::kModules), kFile},
};
constexpr std::array kSysEntries = {NodeSpec{"kernel", T(Top::kSysKernel), kDir}};
constexpr std::array kSysKernelEntries = {NodeSpec{"pid_max", T(Top::kPidMax), kFile},
                                          NodeSpec{"osrelease", T(Top::kOsRelease), kFile}};
constexpr std::array kTtyEntries = {NodeSpec{"drivers", T(Top::kTtyDrivers), kFile}};
constexpr std::array kSentryEntries = {NodeSpec{"tree", T(Top::kTree), kFile},
                                       NodeSpec{"status", T(Top::kStatus), kFile},
                                       NodeSpec{"events", T(Top::kEvents), kFile},
                                       NodeSpec{"reaped", T(Top::kReaped), kFile},
                                       NodeSpec{"freeze", T(Top::kFreeze), S_IFREG | 0644},
                                       NodeSpec{"pgrp", T(Top::kPgrpDir), kDir},
                                       NodeSpec{"session", T(Top::kSessionDir), kDir},
                                       NodeSpec{"pidns", T(Top::kPidns), kFile},
                                       NodeSpec{"step", T(Top::kStep), S_IFREG | 0644}};

constexpr std::array kProcessEntries = {
    NodeSpec{"stat", F(TaskFile::kStat), kFile, kOnHost},
    NodeSpec{"status", F(TaskFile::kStatus), kFile, kOnHost},
    NodeSpec{"statm", F(TaskFile::kStatm), kFile, kOnHost},
    NodeSpec{"cmdline", F(TaskFile::kCmdline), kFile, kOnHost},
    NodeSpec{"comm", F(TaskFile::kComm), kFile, kOnHost},
    NodeSpec{"environ", F(TaskFile::kEnviron), S_IFREG | 0400, kOnHost},
    NodeSpec{"exe", F(TaskFile::kExe), kLink, kOnHost},
    NodeSpec{"cwd", F(TaskFile::kCwd), kLink, kOnHost},
    NodeSpec{"root", F(TaskFile::kRoot), kLink, kOnHost},
    NodeSpec{"children", F(TaskFile::kChildren), kFile},
    NodeSpec{"cgroup", F(TaskFile::kCgroup), kFile, kOnHost},
    NodeSpec{"wchan", F(TaskFile::kWchan), kFile, kOnHost},
    NodeSpec{"maps", F(TaskFile::kMaps), kFile, kOnHost},
    NodeSpec{"smaps", F(TaskFile::kSmaps), kFile, kOnHost},
    NodeSpec{"smaps_rollup", F(TaskFile::kSmapsRollup), kFile, kOnHost},
    NodeSpec{"io", F(TaskFile::kIo), S_IFREG | 0400, kOnHost},
    NodeSpec{"limits", F(TaskFile::kLimits), kFile, kOnHost},
    NodeSpec{"mountinfo", F(TaskFile::kMountinfo), kFile, kOnHost},
    NodeSpec{"mounts", F(TaskFile::kMounts), kFile, kOnHost},
    NodeSpec{"oom_score", F(TaskFile::kOomScore), kFile, kOnHost},
    NodeSpec{"oom_score_adj", F(TaskFile::kOomScoreAdj), S_IFREG | 0644, kOnHost},
    NodeSpec{"schedstat", F(TaskFile::kSchedstat), kFile, kOnHost},
    NodeSpec{"fd", F(TaskFile::kFdDir), S_IFDIR | 0500},
    NodeSpec{"fdinfo", F(TaskFile::kFdinfoDir), kDir},
    NodeSpec{"task", F(TaskFile::kTaskDir), kDir},
    NodeSpec{"sentry", F(TaskFile::kSentryDir), kDir},
};
// A thread directory has the same files, without task/ and sentry/; an
// outside reader's own entry has task/ (empty: ps only checks it is there).
constexpr std::size_t kThreadEntryCount = kProcessEntries.size() - 2;
constexpr std::size_t kForeignEntryCount = kProcessEntries.size() - 1;
constexpr std::array kProcessSentryEntries = {
    NodeSpec{"exit", S(SentryFile::kExit), kFile},
    NodeSpec{"exit_state", S(SentryFile::kExitState), kFile},
    NodeSpec{"stop", S(SentryFile::kStop), kFile}, NodeSpec{"waits", S(SentryFile::kWaits), kFile},
    NodeSpec{"reaper", S(SentryFile::kReaper), kFile}};
constexpr std::array kPgrpEntries = {
    NodeSpec{"members", G(GroupFile::kMembers), kFile},
    NodeSpec{"session", G(GroupFile::kSession), kFile},
    NodeSpec{"orphaned", G(GroupFile::kOrphaned), kFile},
    NodeSpec{"stopped_members", G(GroupFile::kStoppedMembers), kFile}};
constexpr std::array kSessionEntries = {NodeSpec{"leader", G(GroupFile::kLeader), kFile},
                                        NodeSpec{"pgrps", G(GroupFile::kPgrps), kFile},
                                        NodeSpec{"tty", G(GroupFile::kTty), kFile},
                                        NodeSpec{"foreground", G(GroupFile::kForeground), kFile}};

const NodeSpec* FindSpec(std::span<const NodeSpec> specs, std::string_view name) {
  for (const NodeSpec& s : specs) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

const NodeSpec* SpecOf(std::span<const NodeSpec> specs, std::uint8_t file) {
  for (const NodeSpec& s : specs) {
    if (s.file == file) return &s;
  }
  return nullptr;
}

// The host's name for a task file the view takes from the host (its
// directory's file or link), or nullptr for the model's own files.
const char* HostTaskFileName(TaskFile f) {
  const NodeSpec* spec = SpecOf(kProcessEntries, F(f));
  return spec != nullptr && spec->on_host ? spec->name : nullptr;
}

// The mode of a top-level node (its specs are spread over several tables).
std::optional<mode_t> TopMode(Top t) {
  if (t == Top::kRoot) return kDir;
  for (const auto* spec :
       {SpecOf(kRootEntries, T(t)), SpecOf(kSysEntries, T(t)), SpecOf(kSysKernelEntries, T(t)),
        SpecOf(kTtyEntries, T(t)), SpecOf(kSentryEntries, T(t))}) {
    if (spec != nullptr) return spec->mode;
  }
  return std::nullopt;
}

// The files a user writes to: sentry/freeze and sentry/step.
bool IsControlFile(const Inode& node) {
  return node.scope == Scope::kTop && (node.file == T(Top::kFreeze) || node.file == T(Top::kStep));
}

std::optional<std::int32_t> ParseId(std::string_view name) {
  std::int32_t id = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (ec != std::errc() || end != name.data() + name.size() || id <= 0) return std::nullopt;
  return id;
}

// What a file handle (fi->fh) carries: a pointer of the kind its node opens.
template <class T>
T* HandleOf(const fuse_file_info* fi) {
  return reinterpret_cast<T*>(fi->fh);  // NOLINT(performance-no-int-to-ptr)
}

Procfs* Self(fuse_req_t req) {
  return static_cast<Procfs*>(fuse_req_userdata(req));
}

// The directory scope an fd node's id names, and back.
Scope FdScopeOf(Scope dir) {
  switch (dir) {
    case Scope::kProcess:
      return Scope::kProcessFd;
    case Scope::kThread:
      return Scope::kThreadFd;
    default:
      return Scope::kForeignFd;
  }
}
Scope DirScopeOf(Scope fd) {
  switch (fd) {
    case Scope::kProcessFd:
      return Scope::kProcess;
    case Scope::kThreadFd:
      return Scope::kThread;
    default:
      return Scope::kForeign;
  }
}
bool IsFdScope(Scope scope) {
  return scope == Scope::kProcessFd || scope == Scope::kThreadFd || scope == Scope::kForeignFd;
}
// An fd/ directory's key in Procfs::followed_, whoever names it.
std::uint64_t FdDirKey(Inode dir) {
  return Inode{.id = dir.id, .scope = dir.scope, .file = F(TaskFile::kFdDir)}.Encode();
}
// The most fd/ directories whose last link Procfs::followed_ keeps.
constexpr std::size_t kFollowedDirs = 4096;
// The task directory an fd node is in.
Inode FdDirOf(Inode fd) {
  return Inode{.id = FdSubjectOf(fd.id), .scope = DirScopeOf(fd.scope), .file = 0};
}
const char* FdDirName(FdFile file) {
  return file == FdFile::kInfo ? "fdinfo" : "fd";
}

}  // namespace

Procfs::Procfs(const kernel::Kernel& model, Options options)
    : model_(model),
      options_(options),
      narrator_(MakeNarrator()),
      notifier_(
          platform::StartQuietThread([this](const std::stop_token& stop) { NotifierLoop(stop); })) {
}

kernel::Narrator Procfs::MakeNarrator() {
  kernel::Narrator narrator([this](kernel::TaskUid task) {
    const auto t = model_.FindTaskByUid(task);
    return t ? t->comm : std::string();
  });
  if (options_.pidns) {
    narrator.NumberInNamespace([this](kernel::TaskUid task, std::int32_t host_id) {
      std::lock_guard lock(namespace_ids_mu_);
      return namespace_ids_.Find(task, host_id).value_or(0);
    });
  }
  return narrator;
}

Procfs::~Procfs() {
  notifier_.request_stop();
  notifier_.join();
  // Files still open when the connection ended never get their RELEASE.
  for (OpenFile* handle : open_files_) delete handle;
  for (std::vector<DirEntry>* handle : open_dirs_) delete handle;
}

void Procfs::SetStepControl(StepControl control) {
  std::lock_guard lock(freeze_mu_);
  step_control_ = std::move(control);
}

void Procfs::SetFreezeControl(std::function<void(bool)> control) {
  std::lock_guard lock(freeze_mu_);
  freeze_control_ = std::move(control);
}

void Procfs::SetSession(fuse_session* session) {
  std::lock_guard lock(session_mu_);
  session_ = session;
}

// ---- The record hand-off.

void Procfs::Consume(const kernel::Observation& /*obs*/, std::uint64_t /*seq*/,
                     std::span<const kernel::Record> records) {
  const bool readers = events_.HasReaders();
  std::vector<kernel::Record> wanted;
  for (const kernel::Record& r : records) {
    if (r.kind == kernel::RecordKind::kNamespaceCreated && options_.pidns && view_ns_.load() == 0) {
      // The first namespace the workload makes is the one its first process starts.
      if (auto ns = model_.NamespaceOf(r.tid)) view_ns_.store(ns->value);
    }
    if (r.kind == kernel::RecordKind::kTaskCreated && options_.pidns) {
      const auto t = model_.FindTaskByUid(r.task);
      const std::int32_t id = t && t->nspid.size() > 1 ? t->nspid[1] : 0;
      std::lock_guard lock(namespace_ids_mu_);
      namespace_ids_.Note(r.task, r.tid.value, id);
    }
    if (readers || r.kind == kernel::RecordKind::kReaped ||
        r.kind == kernel::RecordKind::kWaitReturned) {
      wanted.push_back(r);
    }
  }
  if (wanted.empty()) return;
  // Told at once only when someone is waiting for the words (an `events`
  // reader) or for the kernel's cache to forget a reaped task; else in
  // batches: a wakeup of the notifier per process cost the workload about
  // 4% of its fork+exec time on two cores. A reader of `reaped` or `waits`
  // tells what is queued first (TellQueued).
  const bool reaps = std::ranges::any_of(
      wanted, [](const kernel::Record& r) { return r.kind == kernel::RecordKind::kReaped; });
  bool wake = readers || (reaps && cached_entries_.load() > 0);
  {
    std::lock_guard lock(queue_mu_);
    queue_.insert(queue_.end(), std::make_move_iterator(wanted.begin()),
                  std::make_move_iterator(wanted.end()));
    wake = wake || queue_.size() >= kTellBatch;
    if (wake) wake_ = true;
  }
  if (wake) queue_cv_.notify_one();
}

void Procfs::NotifierLoop(const std::stop_token& stop) {
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait_for(lock, stop, kTellInterval, [&] { return wake_; });
      if (stop.stop_requested()) return;
      wake_ = false;
    }
    const bool reaped = TellQueued();
    if (reaped || invalidate_.exchange(false)) InvalidateReaped();
  }
}

bool Procfs::TellQueued() const {
  // Held from taking the records to telling them: the narrator reads them
  // in order, whichever thread tells them.
  std::lock_guard tell(narrator_mu_);
  std::vector<kernel::Record> batch;
  {
    std::lock_guard lock(queue_mu_);
    if (queue_.empty()) return false;
    batch.swap(queue_);
    ++tellers_;
  }
  bool reaped = false;
  std::vector<std::string> lines;
  const bool readers = events_.HasReaders();
  // One observation's records are told together (narrate.h).
  for (auto first = batch.begin(); first != batch.end();) {
    const auto last = std::find_if(first, batch.end(),
                                   [&](const kernel::Record& r) { return r.seq != first->seq; });
    for (const kernel::Sentence& s : narrator_.Narrate(std::span(first, last))) {
      std::string line = kernel::Narrator::Line(s) + "\n";
      const bool wait = s.kind == kernel::RecordKind::kWaitReturned;
      if (wait || s.kind == kernel::RecordKind::kReaped) {
        const kernel::TaskUid waiter = wait ? s.subject : s.other;
        if (waiter) {
          std::lock_guard lock(history_mu_);
          auto& history = waits_[waiter];
          history.push_back(line);
          if (history.size() > kWaitHistory) history.pop_front();
        }
      }
      if (s.reaps) {
        reaped = true;
        std::lock_guard lock(history_mu_);
        reaps_.push_back(line);
        if (reaps_.size() > kReapHistory) reaps_.pop_front();
      }
      if (readers) lines.push_back(std::move(line));
    }
    first = last;
  }
  if (!lines.empty()) events_.Append(lines);
  {
    std::lock_guard lock(queue_mu_);
    --tellers_;
  }
  idle_cv_.notify_all();
  return reaped;
}

void Procfs::TellQueuedForReader() const {
  // The kernel's entries of a reap told here are the notifier's to drop.
  if (!TellQueued()) return;
  invalidate_.store(true);
  {
    std::lock_guard lock(queue_mu_);
    wake_ = true;
  }
  queue_cv_.notify_one();
}

void Procfs::AwaitNotifier() {
  std::unique_lock lock(queue_mu_);
  if (!queue_.empty()) {
    wake_ = true;
    queue_cv_.notify_one();
  }
  idle_cv_.wait(lock, [&] { return queue_.empty() && tellers_ == 0; });
}

void Procfs::Remember(fuse_ino_t parent, const std::string& name, Inode child) {
  std::lock_guard lock(cache_mu_);
  cached_[{parent, name}] = child;
  cached_entries_.store(cached_.size());
}

void Procfs::InvalidateReaped() {
  std::vector<std::pair<fuse_ino_t, std::string>> gone;
  {
    std::lock_guard lock(cache_mu_);
    for (auto it = cached_.begin(); it != cached_.end();) {
      if (!Subject(it->second)) {
        gone.push_back(it->first);
        it = cached_.erase(it);
      } else {
        ++it;
      }
    }
    cached_entries_.store(cached_.size());
  }
  std::lock_guard lock(session_mu_);
  if (session_ == nullptr) return;
  for (const auto& [parent, name] : gone) {
    fuse_lowlevel_notify_inval_entry(session_, parent, name.c_str(), name.size());
  }
}

// ---- The tree.

std::optional<TaskInfo> Procfs::Subject(Inode node) const {
  switch (node.scope) {
    case Scope::kProcess:
    case Scope::kProcessSentry:
      return model_.FindProcessByUid(kernel::ThreadGroupUid(node.id), View());
    case Scope::kThread:
      return model_.FindTaskByUid(kernel::TaskUid(node.id), View());
    default:
      return std::nullopt;
  }
}

std::int32_t Procfs::NamespaceInit() const {
  for (const kernel::TaskInfo& p : model_.Processes(View())) {
    if (p.tgid == 1 && p.exit_state == kernel::ExitState::kNone) return p.root_tid;
  }
  return 0;
}

namespace {

// The last number of a "Name:\tN N ..." line of a /proc status (0: none).
std::int32_t LastOf(const std::string& status, const char* name) {
  const std::string key = std::string("\n") + name + ":\t";
  const std::size_t at = status.find(key);
  if (at == std::string::npos) return 0;
  const std::size_t end = status.find('\n', at + key.size());
  const std::size_t last = status.rfind('\t', end);
  const std::size_t space = status.rfind(' ', end);
  const std::size_t from = (space != std::string::npos && space > last ? space : last) + 1;
  return std::atoi(status.c_str() + from);
}

// Whether host tasks `a` and `b` are in one PID namespace.
bool SamePidNamespace(std::int32_t a, std::int32_t b) {
  struct stat sa {};
  struct stat sb {};
  return ::stat(fmt::format("/proc/{}/ns/pid", a).c_str(), &sa) == 0 &&
         ::stat(fmt::format("/proc/{}/ns/pid", b).c_str(), &sb) == 0 && sa.st_ino == sb.st_ino &&
         sa.st_dev == sb.st_dev;
}

}  // namespace

Procfs::Caller Procfs::Identify(const fuse_ctx* caller) const {
  if (auto t = options_.live ? model_.FindTaskByHostTid(
                                   kernel::ThreadId(static_cast<std::int32_t>(caller->pid)), View())
                             : std::nullopt;
      t && t->tid != 0) {
    return Caller{.tgid = t->tgid, .tid = t->tid, .host_tgid = t->root_tid, .in_sandbox = true};
  }
  const auto pid = static_cast<std::int32_t>(caller->pid);
  Caller out{.tgid = pid, .tid = pid, .host_tgid = pid, .in_sandbox = false};
  if (auto status = ReadHostFile(fmt::format("/proc/{}/status", caller->pid))) {
    if (const std::size_t at = status->find("\nTgid:\t"); at != std::string::npos) {
      out.tgid = out.host_tgid = std::atoi(status->c_str() + at + 7);
    }
    // A tool `sentry view` runs in the workload's namespace: its own entry
    // is named as that namespace numbers it, which is how it knows itself.
    if (const std::int32_t init = View().value != 0 ? NamespaceInit() : 0;
        init > 0 && SamePidNamespace(pid, init)) {
      out.tgid = LastOf(*status, "NStgid");
      out.tid = LastOf(*status, "NSpid");
    }
  }
  return out;
}

std::optional<Inode> Procfs::Child(Inode parent, std::string_view name,
                                   const fuse_ctx* caller) const {
  const auto top = [](const NodeSpec* spec) -> std::optional<Inode> {
    if (spec == nullptr) return std::nullopt;
    return Inode{.id = 0, .scope = Scope::kTop, .file = spec->file};
  };
  switch (parent.scope) {
    case Scope::kTop:
      switch (static_cast<Top>(parent.file)) {
        case Top::kRoot: {
          if (const NodeSpec* spec = FindSpec(kRootEntries, name)) return top(spec);
          const auto pid = ParseId(name);
          if (!pid) return std::nullopt;
          if (auto t = model_.FindTask(kernel::ThreadId(*pid), View())) {
            if (t->leader) return Inode{.id = t->tg_uid.value, .scope = Scope::kProcess, .file = 0};
            // Unlisted, as in procfs, but there: /proc/TID of a thread that
            // leads nothing is that thread's directory (ps -L reads its wchan
            // there; Linux proc_pid_lookup finds any task by its id).
            return Inode{.id = t->uid.value, .scope = Scope::kThread, .file = 0};
          }
          // An outside reader (ps through `sentry view`) finds itself.
          if (const Caller c = Identify(caller); !c.in_sandbox && c.tgid == *pid) {
            return Inode{
                .id = static_cast<std::uint64_t>(c.host_tgid), .scope = Scope::kForeign, .file = 0};
          }
          return std::nullopt;
        }
        case Top::kSys:
          return top(FindSpec(kSysEntries, name));
        case Top::kSysKernel:
          return top(FindSpec(kSysKernelEntries, name));
        case Top::kTty:
          return top(FindSpec(kTtyEntries, name));
        case Top::kSentry:
          return top(FindSpec(kSentryEntries, name));
        case Top::kNetDir: {
          const auto names = NetFileNames();
          const auto it = std::find(names.begin(), names.end(), name);
          if (it == names.end()) return std::nullopt;
          return Inode{.id = 0,
                       .scope = Scope::kNet,
                       .file = static_cast<std::uint8_t>(it - names.begin() + 1)};
        }
        case Top::kPgrpDir: {
          const auto pgid = ParseId(name);
          if (!pgid) return std::nullopt;
          for (const auto& pg : model_.ProcessGroups(View())) {
            if (pg.pgid == *pgid) {
              return Inode{.id = static_cast<std::uint64_t>(*pgid),
                           .scope = Scope::kProcessGroup,
                           .file = 0};
            }
          }
          return std::nullopt;
        }
        case Top::kSessionDir: {
          const auto sid = ParseId(name);
          if (!sid) return std::nullopt;
          for (const auto& s : model_.Sessions(View())) {
            if (s.sid == *sid) {
              return Inode{
                  .id = static_cast<std::uint64_t>(*sid), .scope = Scope::kSession, .file = 0};
            }
          }
          return std::nullopt;
        }
        default:
          return std::nullopt;
      }
    case Scope::kProcess:
      if (parent.file == F(TaskFile::kDir)) {
        const NodeSpec* spec = FindSpec(kProcessEntries, name);
        if (spec == nullptr) return std::nullopt;
        return Inode{.id = parent.id, .scope = Scope::kProcess, .file = spec->file};
      }
      if (parent.file == F(TaskFile::kTaskDir)) {
        const auto tid = ParseId(name);
        if (!tid) return std::nullopt;
        auto t = model_.FindTask(kernel::ThreadId(*tid), View());
        if (!t || t->tg_uid.value != parent.id) return std::nullopt;
        return Inode{.id = t->uid.value, .scope = Scope::kThread, .file = 0};
      }
      if (parent.file == F(TaskFile::kSentryDir)) {
        const NodeSpec* spec = FindSpec(kProcessSentryEntries, name);
        if (spec == nullptr) return std::nullopt;
        return Inode{.id = parent.id, .scope = Scope::kProcessSentry, .file = spec->file};
      }
      return FdChild(parent, name, caller);
    case Scope::kThread:
    case Scope::kForeign: {
      if (parent.file != F(TaskFile::kDir)) return FdChild(parent, name, caller);
      const NodeSpec* spec = FindSpec(
          std::span(kProcessEntries)
              .first(parent.scope == Scope::kThread ? kThreadEntryCount : kForeignEntryCount),
          name);
      if (spec == nullptr) return std::nullopt;
      return Inode{.id = parent.id, .scope = parent.scope, .file = spec->file};
    }
    case Scope::kProcessGroup:
    case Scope::kSession: {
      if (parent.file != G(GroupFile::kDir)) return std::nullopt;
      const NodeSpec* spec = parent.scope == Scope::kProcessGroup ? FindSpec(kPgrpEntries, name)
                                                                  : FindSpec(kSessionEntries, name);
      if (spec == nullptr) return std::nullopt;
      return Inode{.id = parent.id, .scope = parent.scope, .file = spec->file};
    }
    case Scope::kProcessSentry:
    case Scope::kProcessFd:
    case Scope::kThreadFd:
    case Scope::kForeignFd:
    case Scope::kNet:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Inode> Procfs::FdChild(Inode dir, std::string_view name,
                                     const fuse_ctx* caller) const {
  if (dir.file != F(TaskFile::kFdDir) && dir.file != F(TaskFile::kFdinfoDir)) return std::nullopt;
  const auto fd = ParseId(name);
  // ParseId takes no 0: fd 0 is a name too.
  const bool zero = name == "0";
  if (!fd && !zero) {
    // A link's text that names no path ("pipe:[N]"), looked up by a stat(2)
    // following fd/N: the open file it is (FdFile::kTarget), for a reader
    // procfs lets follow it.
    if (dir.file != F(TaskFile::kFdDir) || name.find(":[") == std::string_view::npos ||
        !MayRead(dir, caller)) {
      return std::nullopt;
    }
    const auto host = HostDirOf(dir);
    if (!host) return std::nullopt;
    const auto node = [&](int open) {
      return Inode{.id = FdNodeId(dir.id, static_cast<std::uint64_t>(open)),
                   .scope = FdScopeOf(dir.scope),
                   .file = static_cast<std::uint8_t>(FdFile::kTarget)};
    };
    // Usually the link just read (Readlink), if it still says so.
    int last = -1;
    {
      std::lock_guard lock(followed_mu_);
      if (const auto it = followed_.find(FdDirKey(dir));
          it != followed_.end() && it->second.first == name) {
        last = it->second.second;
      }
    }
    if (last >= 0 && ReadHostLink(fmt::format("{}/fd/{}", *host, last)) == name) return node(last);
    const auto fds = HostFds(*host + "/fd");
    if (!fds) return std::nullopt;
    for (const int open : *fds) {
      if (ReadHostLink(fmt::format("{}/fd/{}", *host, open)) == name &&
          static_cast<std::uint64_t>(open) <= kMaxFd) {
        return node(open);
      }
    }
    return std::nullopt;
  }
  const std::uint64_t number = zero ? 0 : static_cast<std::uint64_t>(*fd);
  if (number > kMaxFd) return std::nullopt;
  return Inode{.id = FdNodeId(dir.id, number),
               .scope = FdScopeOf(dir.scope),
               .file = static_cast<std::uint8_t>(dir.file == F(TaskFile::kFdDir) ? FdFile::kLink
                                                                                 : FdFile::kInfo)};
}

std::optional<std::string> Procfs::HostDirOf(Inode dir) const {
  if (dir.scope == Scope::kForeign) return fmt::format("/proc/{}", dir.id);
  if (!options_.live) return std::nullopt;
  const auto t = Subject(Inode{.id = dir.id, .scope = dir.scope, .file = 0});
  if (!t) return std::nullopt;
  return HostTaskDir(t->root_tid, dir.scope == Scope::kThread);
}

bool Procfs::MayRead(Inode dir, const fuse_ctx* caller) const {
  // An outside reader's own entry is its own; root may ptrace anyone.
  if (caller == nullptr || caller->uid == 0 || dir.scope == Scope::kForeign) return true;
  const auto owner = OwnerOf(Inode{.id = dir.id, .scope = dir.scope, .file = 0});
  return owner && owner->uid == caller->uid;
}

std::optional<kernel::TaskOwner> Procfs::OwnerOf(Inode node) const {
  return node.scope == Scope::kThread
             ? model_.FindTaskOwner(kernel::TaskUid(node.id), View())
             : model_.FindProcessOwner(kernel::ThreadGroupUid(node.id), View());
}

std::optional<struct stat> Procfs::Attributes(Inode node) const {
  struct stat st {};
  st.st_ino = node.Encode();
  // procfs stamps an inode when it is first looked up.
  ::clock_gettime(CLOCK_REALTIME, &st.st_mtim);
  st.st_atim = st.st_mtim;
  st.st_ctim = st.st_mtim;
  st.st_uid = options_.owner;
  st.st_gid = 0;
  std::optional<mode_t> mode;
  switch (node.scope) {
    case Scope::kTop:
      mode = TopMode(static_cast<Top>(node.file));
      // The control file is its owner's, the sentry's user (root for the rest).
      st.st_uid = IsControlFile(node) ? options_.owner : 0;
      break;
    case Scope::kProcess:
    case Scope::kThread:
    case Scope::kProcessSentry: {
      const auto owner = OwnerOf(node);
      if (!owner) return std::nullopt;
      st.st_uid = owner->uid;
      st.st_gid = owner->gid;
      if (node.scope == Scope::kProcessSentry) {
        const NodeSpec* spec = SpecOf(kProcessSentryEntries, node.file);
        if (spec != nullptr) mode = spec->mode;
      } else if (node.file == F(TaskFile::kDir)) {
        mode = kDir;
      } else if (const NodeSpec* spec = SpecOf(kProcessEntries, node.file); spec != nullptr) {
        mode = spec->mode;
      }
      break;
    }
    case Scope::kForeign: {
      struct stat host {};
      if (::stat(fmt::format("/proc/{}", node.id).c_str(), &host) != 0) return std::nullopt;
      st.st_uid = host.st_uid;
      st.st_gid = host.st_gid;
      if (node.file == F(TaskFile::kDir)) {
        mode = kDir;
      } else if (const NodeSpec* spec = SpecOf(kProcessEntries, node.file); spec != nullptr) {
        mode = spec->mode;
      }
      break;
    }
    case Scope::kProcessFd:
    case Scope::kThreadFd:
    case Scope::kForeignFd: {
      // The host's own link or fdinfo file: its mode says how the
      // descriptor is open (lr-x, l-wx, lrwx), its owner the task's.
      const auto dir = HostDirOf(FdDirOf(node));
      if (!dir) return std::nullopt;
      struct stat host {};
      const auto file = static_cast<FdFile>(node.file);
      const std::string path = fmt::format("{}/{}/{}", *dir, FdDirName(file), FdNumberOf(node.id));
      if (file == FdFile::kTarget) {
        // The open file's own attributes (its device aside: the kernel
        // gives every node of a FUSE mount the mount's).
        if (::stat(path.c_str(), &host) != 0) return std::nullopt;
        host.st_dev = 0;
        return host;
      }
      if (::lstat(path.c_str(), &host) != 0) return std::nullopt;
      st.st_uid = host.st_uid;
      st.st_gid = host.st_gid;
      st.st_size = host.st_size;
      mode = host.st_mode;
      break;
    }
    case Scope::kNet:
      st.st_uid = 0;
      mode = kFile;
      break;
    case Scope::kProcessGroup:
    case Scope::kSession: {
      st.st_uid = 0;
      if (node.file == G(GroupFile::kDir)) {
        mode = kDir;
      } else {
        const NodeSpec* spec = node.scope == Scope::kProcessGroup
                                   ? SpecOf(kPgrpEntries, node.file)
                                   : SpecOf(kSessionEntries, node.file);
        if (spec != nullptr) mode = spec->mode;
      }
      break;
    }
  }
  if (!mode) return std::nullopt;
  st.st_mode = *mode;
  st.st_nlink = S_ISDIR(*mode) ? 2 : 1;
  return st;
}

std::optional<std::vector<Procfs::DirEntry>> Procfs::List(Inode dir) const {
  std::vector<DirEntry> out;
  const auto add_specs = [&](std::span<const NodeSpec> specs, Inode base) {
    for (const NodeSpec& spec : specs) {
      Inode child = base;
      child.file = spec.file;
      out.push_back(DirEntry{.name = spec.name,
                             .ino = child.Encode(),
                             .type = static_cast<mode_t>(spec.mode & S_IFMT)});
    }
  };
  const Inode top{.id = 0, .scope = Scope::kTop, .file = 0};
  switch (dir.scope) {
    case Scope::kTop:
      switch (static_cast<Top>(dir.file)) {
        case Top::kRoot:
          add_specs(kRootEntries, top);
          for (const TaskInfo& p : model_.Processes(View())) {
            out.push_back(DirEntry{
                .name = std::to_string(p.tgid),
                .ino = Inode{.id = p.tg_uid.value, .scope = Scope::kProcess, .file = 0}.Encode(),
                .type = S_IFDIR});
          }
          return out;
        case Top::kSys:
          add_specs(kSysEntries, top);
          return out;
        case Top::kSysKernel:
          add_specs(kSysKernelEntries, top);
          return out;
        case Top::kTty:
          add_specs(kTtyEntries, top);
          return out;
        case Top::kSentry:
          add_specs(kSentryEntries, top);
          return out;
        case Top::kNetDir: {
          const auto names = NetFileNames();
          for (std::size_t i = 0; i < names.size(); ++i) {
            out.push_back(DirEntry{
                .name = names[i],
                .ino =
                    Inode{.id = 0, .scope = Scope::kNet, .file = static_cast<std::uint8_t>(i + 1)}
                        .Encode(),
                .type = S_IFREG});
          }
          return out;
        }
        case Top::kPgrpDir:
          for (const auto& pg : model_.ProcessGroups(View())) {
            if (pg.stale) continue;  // its id is another group's directory
            out.push_back(DirEntry{.name = std::to_string(pg.pgid),
                                   .ino = Inode{.id = static_cast<std::uint64_t>(pg.pgid),
                                                .scope = Scope::kProcessGroup,
                                                .file = 0}
                                              .Encode(),
                                   .type = S_IFDIR});
          }
          return out;
        case Top::kSessionDir:
          for (const auto& s : model_.Sessions(View())) {
            if (s.stale) continue;  // its id is another session's directory
            out.push_back(DirEntry{.name = std::to_string(s.sid),
                                   .ino = Inode{.id = static_cast<std::uint64_t>(s.sid),
                                                .scope = Scope::kSession,
                                                .file = 0}
                                              .Encode(),
                                   .type = S_IFDIR});
          }
          return out;
        default:
          return std::nullopt;
      }
    case Scope::kProcess: {
      const auto leader = Subject(dir);
      if (!leader) return std::nullopt;
      if (dir.file == F(TaskFile::kDir)) {
        add_specs(kProcessEntries, dir);
      } else if (dir.file == F(TaskFile::kTaskDir)) {
        for (const TaskInfo& t : model_.Threads(kernel::ThreadId(leader->tgid), View())) {
          out.push_back(
              DirEntry{.name = std::to_string(t.tid),
                       .ino = Inode{.id = t.uid.value, .scope = Scope::kThread, .file = 0}.Encode(),
                       .type = S_IFDIR});
        }
      } else if (dir.file == F(TaskFile::kSentryDir)) {
        add_specs(kProcessSentryEntries, Inode{.id = dir.id, .scope = Scope::kProcessSentry});
      } else {
        return ListFds(dir);
      }
      return out;
    }
    case Scope::kThread:
    case Scope::kForeign:
      if (!Attributes(dir)) return std::nullopt;
      if (dir.file == F(TaskFile::kTaskDir)) return out;
      if (dir.file == F(TaskFile::kFdDir) || dir.file == F(TaskFile::kFdinfoDir)) {
        return ListFds(dir);
      }
      if (dir.file != F(TaskFile::kDir)) return std::nullopt;
      add_specs(std::span(kProcessEntries)
                    .first(dir.scope == Scope::kThread ? kThreadEntryCount : kForeignEntryCount),
                dir);
      return out;
    case Scope::kProcessGroup:
      add_specs(kPgrpEntries, dir);
      return out;
    case Scope::kSession:
      add_specs(kSessionEntries, dir);
      return out;
    case Scope::kProcessSentry:
    case Scope::kProcessFd:
    case Scope::kThreadFd:
    case Scope::kForeignFd:
    case Scope::kNet:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::vector<Procfs::DirEntry>> Procfs::ListFds(Inode dir) const {
  if (dir.file != F(TaskFile::kFdDir) && dir.file != F(TaskFile::kFdinfoDir)) return std::nullopt;
  const bool links = dir.file == F(TaskFile::kFdDir);
  const auto host = HostDirOf(dir);
  if (!host) return std::nullopt;
  const auto fds = HostFds(*host + (links ? "/fd" : "/fdinfo"));
  if (!fds) return std::nullopt;
  std::vector<DirEntry> out;
  out.reserve(fds->size());
  for (const int fd : *fds) {
    if (static_cast<std::uint64_t>(fd) > kMaxFd) continue;
    out.push_back(DirEntry{
        .name = std::to_string(fd),
        .ino = Inode{.id = FdNodeId(dir.id, static_cast<std::uint64_t>(fd)),
                     .scope = FdScopeOf(dir.scope),
                     .file = static_cast<std::uint8_t>(links ? FdFile::kLink : FdFile::kInfo)}
                   .Encode(),
        .type = static_cast<mode_t>(links ? S_IFLNK : S_IFREG)});
  }
  return out;
}

std::optional<std::string> Procfs::RenderTop(Top file) const {
  if (const char* path = HostTopPath(file)) return ReadHostFile(path);
  switch (file) {
    case Top::kTree:
      return RenderTree(model_.Processes(View()));
    case Top::kStatus:
      return RenderRunStatus(model_.Stats());
    case Top::kPidns: {
      // Whose pid numbers the view shows: `sentry view` runs its tool in
      // that PID namespace, entered through its init (design: the view).
      if (!options_.live) return std::string("replay\n");
      if (View().value == 0) return std::string("host\n");
      const std::int32_t init = NamespaceInit();
      return init > 0 ? fmt::format("workload init {}\n", init) : std::string("workload gone\n");
    }
    case Top::kFreeze:
      return frozen_.load() ? "1\n" : "0\n";
    case Top::kStep: {
      std::lock_guard lock(freeze_mu_);
      return step_control_.state ? step_control_.state() : std::string("off\n");
    }
    case Top::kReaped: {
      TellQueuedForReader();
      std::lock_guard lock(history_mu_);
      std::string out;
      for (const std::string& line : reaps_) out += line;
      return out;
    }
    default:
      return std::nullopt;
  }
}

std::optional<std::string> Procfs::RenderTaskFile(const TaskInfo& t, TaskFile file,
                                                  bool thread) const {
  const std::string host_dir = HostTaskDir(t.root_tid, thread);
  // The host's file for this task, if it is the host's task.
  const auto host = [&](const char* name) -> std::optional<std::string> {
    if (!options_.live) return std::nullopt;
    return ReadHostFile(host_dir + "/" + name);
  };
  switch (file) {
    case TaskFile::kStat:
      return RenderStat(t, host("stat"), thread);
    case TaskFile::kStatus:
      return RenderStatus(t, host("status"));
    case TaskFile::kStatm:
      return RenderStatm(host("statm"));
    case TaskFile::kCmdline:
      return RenderCmdline(t);
    case TaskFile::kComm:
      return RenderComm(t, host("comm"));
    case TaskFile::kChildren:
      return RenderChildren(t);
    case TaskFile::kWchan:
      return RenderWchan(t, host("wchan"));
    default:
      // The host's, as it is (host_task_files.h); empty once the task is
      // gone, or in a replay.
      if (const char* name = HostTaskFileName(file)) return host(name).value_or("");
      return std::nullopt;
  }
}

std::optional<std::string> Procfs::RenderProcessSentry(const TaskInfo& leader,
                                                       SentryFile file) const {
  switch (file) {
    case SentryFile::kExit:
      return RenderExit(leader);
    case SentryFile::kExitState:
      return RenderExitState(leader);
    case SentryFile::kStop:
      return RenderStop(leader);
    case SentryFile::kReaper: {
      const auto reaper = model_.Reaper(leader.tg_uid, View());
      if (!reaper) return std::nullopt;
      return RenderReaper(*reaper);
    }
    case SentryFile::kWaits: {
      std::string out;
      const auto threads = model_.Threads(kernel::ThreadId(leader.tgid), View());
      TellQueuedForReader();
      std::lock_guard lock(history_mu_);
      for (const TaskInfo& t : threads) {
        if (auto it = waits_.find(t.uid); it != waits_.end()) {
          for (const std::string& line : it->second) out += line;
        }
      }
      return out;
    }
  }
  return std::nullopt;
}

std::optional<std::string> Procfs::RenderGroupFile(Inode node) const {
  const auto id = static_cast<std::int32_t>(node.id);
  if (node.scope == Scope::kProcessGroup) {
    for (const auto& pg : model_.ProcessGroups(View())) {
      if (pg.pgid != id) continue;
      switch (static_cast<GroupFile>(node.file)) {
        case GroupFile::kMembers:
          return RenderIds(pg.members);
        case GroupFile::kSession:
          return fmt::format("{}\n", pg.sid);
        case GroupFile::kOrphaned:
          return pg.orphan ? "yes\n" : "no\n";
        case GroupFile::kStoppedMembers: {
          std::vector<std::int32_t> stopped;
          for (std::int32_t member : pg.members) {
            if (auto t = model_.FindTask(kernel::ThreadId(member), View());
                t && t->group_stop_signal != 0) {
              stopped.push_back(member);
            }
          }
          return RenderIds(stopped);
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }
  for (const auto& s : model_.Sessions(View())) {
    if (s.sid != id) continue;
    switch (static_cast<GroupFile>(node.file)) {
      case GroupFile::kLeader:
        // A session the sandbox started in (the sentry's own) has its leader
        // outside the model: not known to have exited.
        if (s.leader_alive) return fmt::format("{}\n", s.sid);
        return s.leader_uid ? std::string("none (exited)\n")
                            : fmt::format("{} (outside the sandbox)\n", s.sid);
      case GroupFile::kPgrps:
        return RenderIds(s.groups);
      case GroupFile::kTty:
        return s.tty_nr != 0 ? kernel::TtyName(s.tty_nr) + "\n" : std::string("none\n");
      case GroupFile::kForeground:
        return s.tty_nr != 0 ? fmt::format("{}\n", s.foreground_pgid) : std::string("none\n");
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<std::string> Procfs::Render(Inode node) const {
  switch (node.scope) {
    case Scope::kTop:
      return RenderTop(static_cast<Top>(node.file));
    case Scope::kProcess:
    case Scope::kThread: {
      auto t = Subject(node);
      if (!t) return std::nullopt;
      // In the root namespace the sentry's own parent is outside the model.
      // Shown as 1, the world outside the sandbox, as if init had adopted it:
      // tools that start from init (pstree) then find the sandbox's tree.
      if (t->ppid == 0 && !View()) t->ppid = 1;
      // The sentry's own process (this one): the model holds its main
      // thread only, its helper threads being no task of the workload's;
      // the count is the host's, as ps's nlwp and `l` flag show it.
      if (options_.live && t->leader && t->root_tid == self_pid_) {
        if (const auto threads = HostFds("/proc/self/task")) {
          t->num_threads = static_cast<int>(threads->size());
        }
      }
      return RenderTaskFile(*t, static_cast<TaskFile>(node.file), node.scope == Scope::kThread);
    }
    case Scope::kProcessSentry: {
      const auto t = Subject(node);
      if (!t) return std::nullopt;
      return RenderProcessSentry(*t, static_cast<SentryFile>(node.file));
    }
    case Scope::kForeign: {
      const char* name = HostTaskFileName(static_cast<TaskFile>(node.file));
      if (name != nullptr) return ReadHostFile(fmt::format("/proc/{}/{}", node.id, name));
      if (node.file == F(TaskFile::kChildren)) {
        return ReadHostFile(fmt::format("/proc/{0}/task/{0}/children", node.id));
      }
      return std::nullopt;
    }
    case Scope::kProcessGroup:
    case Scope::kSession:
      return RenderGroupFile(node);
    case Scope::kNet: {
      const auto names = NetFileNames();
      if (node.file == 0 || node.file > names.size()) return std::nullopt;
      return ReadHostFile(std::string("/proc/net/") + names[node.file - 1]);
    }
    case Scope::kProcessFd:
    case Scope::kThreadFd:
    case Scope::kForeignFd: {
      if (static_cast<FdFile>(node.file) != FdFile::kInfo) return std::nullopt;
      const auto dir = HostDirOf(FdDirOf(node));
      if (!dir) return std::nullopt;
      return ReadHostFile(fmt::format("{}/fdinfo/{}", *dir, FdNumberOf(node.id)));
    }
  }
  return std::nullopt;
}

std::expected<std::string, int> Procfs::Readlink(Inode node, const fuse_ctx* caller) const {
  if (node.scope == Scope::kTop) {
    const Caller c = Identify(caller);
    if (node.file == T(Top::kSelf)) return std::to_string(c.tgid);
    if (node.file == T(Top::kThreadSelf)) return fmt::format("{}/task/{}", c.tgid, c.tid);
    if (node.file == T(Top::kMounts)) return std::string("self/mounts");
    return std::unexpected(ENOENT);
  }
  const auto host_link = [](const std::string& path) -> std::expected<std::string, int> {
    if (auto target = ReadHostLink(path)) return *std::move(target);
    return std::unexpected(ENOENT);
  };
  if (IsFdScope(node.scope)) {
    // fd/N, as procfs lets only a reader that may ptrace the task follow it.
    const Inode dir = FdDirOf(node);
    if (static_cast<FdFile>(node.file) != FdFile::kLink) return std::unexpected(EINVAL);
    if (!MayRead(dir, caller)) return std::unexpected(EACCES);
    const auto host = HostDirOf(dir);
    if (!host) return std::unexpected(ENOENT);
    auto target = host_link(fmt::format("{}/fd/{}", *host, FdNumberOf(node.id)));
    if (target && target->find(":[") != std::string::npos) {
      std::lock_guard lock(followed_mu_);
      if (followed_.size() >= kFollowedDirs) followed_.clear();
      followed_[FdDirKey(dir)] = {*target, FdNumberOf(node.id)};
    }
    return target;
  }
  const char* name = HostTaskFileName(static_cast<TaskFile>(node.file));
  if (name == nullptr) return std::unexpected(ENOENT);
  if (node.scope == Scope::kForeign) return host_link(fmt::format("/proc/{}/{}", node.id, name));
  const auto t = Subject(node);
  if (!t || !options_.live) return std::unexpected(ENOENT);
  // The sentry reads the host's link as root: procfs lets only a reader
  // that may ptrace the task follow it (proc_fd_access_allowed), which for
  // an outside reader the view admits (--allow-other) means root or the
  // task's owner.
  if (!MayRead(node, caller)) return std::unexpected(EACCES);
  return host_link(HostTaskDir(t->root_tid, node.scope == Scope::kThread) + "/" + name);
}

// ---- Handlers.

void Procfs::Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  const Inode dir = Inode::Decode(parent);
  const auto child = Child(dir, name, fuse_req_ctx(req));
  const auto attr = child ? Attributes(*child) : std::nullopt;
  if (!attr) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  fuse_entry_param e{};
  e.ino = child->Encode();
  e.attr = *attr;
  // Pid and thread entries are invalidated when reaped; an outside reader's
  // own entry, the model's group directories and `self` change without a
  // record saying so: never cached.
  const bool tracked = (child->scope == Scope::kProcess || child->scope == Scope::kThread) &&
                       child->file == F(TaskFile::kDir);
  // So do a task's descriptors.
  const bool cacheable =
      child->scope != Scope::kForeign && child->scope != Scope::kProcessGroup &&
      child->scope != Scope::kSession && !IsFdScope(child->scope) &&
      !(child->scope != Scope::kTop &&
        (child->file == F(TaskFile::kFdDir) || child->file == F(TaskFile::kFdinfoDir))) &&
      !(child->scope == Scope::kTop &&
        (child->file == T(Top::kSelf) || child->file == T(Top::kThreadSelf)));
  e.entry_timeout = cacheable ? kCacheSeconds : 0;
  e.attr_timeout = cacheable ? kCacheSeconds : 0;
  if (tracked) Remember(parent, name, *child);
  fuse_reply_entry(req, &e);
}

void Procfs::Getattr(fuse_req_t req, fuse_ino_t ino) {
  const auto attr = Attributes(Inode::Decode(ino));
  if (!attr) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  fuse_reply_attr(req, &*attr, kCacheSeconds);
}

void Procfs::DoReadlink(fuse_req_t req, fuse_ino_t ino) {
  const auto target = Readlink(Inode::Decode(ino), fuse_req_ctx(req));
  if (!target) {
    fuse_reply_err(req, target.error());
    return;
  }
  fuse_reply_readlink(req, target->c_str());
}

void Procfs::Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  const Inode node = Inode::Decode(ino);
  const bool control = IsControlFile(node);
  if ((fi->flags & O_ACCMODE) != O_RDONLY && !control) {
    fuse_reply_err(req, EACCES);
    return;
  }
  // Files procfs guards with a ptrace access check beyond their mode.
  const bool guarded =
      IsFdScope(node.scope) || ((node.scope == Scope::kProcess || node.scope == Scope::kThread) &&
                                NeedsPtraceRead(static_cast<TaskFile>(node.file)));
  if (guarded && !MayRead(IsFdScope(node.scope) ? FdDirOf(node) : node, fuse_req_ctx(req))) {
    fuse_reply_err(req, EACCES);
    return;
  }
  fi->direct_io = 1;
  fi->noflush = 1;
  if (node.scope == Scope::kTop && node.file == T(Top::kEvents)) {
    fi->nonseekable = 1;
    fi->fh = reinterpret_cast<std::uint64_t>(events_.Open());
    fuse_reply_open(req, fi);
    return;
  }
  auto content = Render(node);
  if (!content) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  auto* handle = new OpenFile;
  handle->content = std::move(*content);
  {
    std::lock_guard lock(handles_mu_);
    open_files_.insert(handle);
  }
  fi->fh = reinterpret_cast<std::uint64_t>(handle);
  fuse_reply_open(req, fi);
}

void Procfs::Read(fuse_req_t req, fuse_ino_t ino, std::size_t size, off_t off, fuse_file_info* fi) {
  const Inode node = Inode::Decode(ino);
  if (node.scope == Scope::kTop && node.file == T(Top::kEvents)) {
    events_.Read(req, HandleOf<EventStream::Reader>(fi), size);
    return;
  }
  auto* file = HandleOf<OpenFile>(fi);
  std::string chunk;
  {
    std::lock_guard lock(file->mu);
    // From the start again: the file as it is now. Reads further on go on
    // with the version they started with.
    if (off == 0 && file->read) {
      if (auto fresh = Render(node)) file->content = std::move(*fresh);
    }
    file->read = true;
    const std::string& content = file->content;
    const auto start = std::min(static_cast<std::size_t>(off), content.size());
    // Replied from a copy: once the reply is written the reader may close
    // the file, and its RELEASE (another loop thread) frees the content
    // while this thread is still returning from the write.
    chunk = content.substr(start, std::min(size, content.size() - start));
  }
  fuse_reply_buf(req, chunk.data(), chunk.size());
}

void Procfs::Release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  const Inode node = Inode::Decode(ino);
  if (node.scope == Scope::kTop && node.file == T(Top::kEvents)) {
    events_.Release(HandleOf<EventStream::Reader>(fi));
  } else {
    auto* handle = HandleOf<OpenFile>(fi);
    {
      std::lock_guard lock(handles_mu_);
      open_files_.erase(handle);
    }
    delete handle;
  }
  fuse_reply_err(req, 0);
}

void Procfs::Opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto entries = List(Inode::Decode(ino));
  if (!entries) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  auto* handle = new std::vector<DirEntry>(std::move(*entries));
  {
    std::lock_guard lock(handles_mu_);
    open_dirs_.insert(handle);
  }
  fi->fh = reinterpret_cast<std::uint64_t>(handle);
  fuse_reply_open(req, fi);
}

void Procfs::Readdir(fuse_req_t req, fuse_ino_t /*ino*/, std::size_t size, off_t off,
                     fuse_file_info* fi) {
  const auto* entries = HandleOf<const std::vector<DirEntry>>(fi);
  std::string buf(size, '\0');
  std::size_t used = 0;
  for (auto i = static_cast<std::size_t>(off); i < entries->size(); ++i) {
    const DirEntry& e = (*entries)[i];
    struct stat st {};
    st.st_ino = e.ino;
    st.st_mode = e.type;
    const std::size_t need = fuse_add_direntry(req, buf.data() + used, size - used, e.name.c_str(),
                                               &st, static_cast<off_t>(i + 1));
    if (need > size - used) break;
    used += need;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void Procfs::Releasedir(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) {
  auto* handle = HandleOf<std::vector<DirEntry>>(fi);
  {
    std::lock_guard lock(handles_mu_);
    open_dirs_.erase(handle);
  }
  delete handle;
  fuse_reply_err(req, 0);
}

void Procfs::Write(fuse_req_t req, fuse_ino_t ino, const char* data, std::size_t size) {
  const Inode node = Inode::Decode(ino);
  if (!IsControlFile(node)) {
    fuse_reply_err(req, EACCES);
    return;
  }
  std::string_view text(data, size);
  if (node.file == T(Top::kStep)) {
    std::lock_guard lock(freeze_mu_);
    if (!step_control_.command) {
      fuse_reply_err(req, EBUSY);
      return;
    }
    if (!step_control_.command(text)) {
      fuse_reply_err(req, EINVAL);
      return;
    }
    fuse_reply_write(req, size);
    return;
  }
  // "1" or "0", as cgroup.freeze takes it (a trailing newline or blank is fine).
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text != "0" && text != "1") {
    fuse_reply_err(req, EINVAL);
    return;
  }
  std::lock_guard lock(freeze_mu_);
  if (!freeze_control_) {
    fuse_reply_err(req, EBUSY);
    return;
  }
  frozen_.store(text == "1");
  freeze_control_(text == "1");
  fuse_reply_write(req, size);
}

void Procfs::Setattr(fuse_req_t req, fuse_ino_t ino, const struct stat* /*attr*/, int to_set) {
  // Only the truncation a shell's `echo 1 > freeze` asks for, on the control file.
  const Inode node = Inode::Decode(ino);
  const auto attr = Attributes(node);
  if (!attr) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  if (!IsControlFile(node) ||
      (static_cast<unsigned>(to_set) & ~static_cast<unsigned>(FUSE_SET_ATTR_SIZE)) != 0) {
    fuse_reply_err(req, EPERM);
    return;
  }
  fuse_reply_attr(req, &*attr, 0);
}

const fuse_lowlevel_ops& Procfs::Operations() {
  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o{};
    o.lookup = [](fuse_req_t req, fuse_ino_t parent, const char* name) {
      Self(req)->Lookup(req, parent, name);
    };
    o.getattr = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* /*fi*/) {
      Self(req)->Getattr(req, ino);
    };
    o.readlink = [](fuse_req_t req, fuse_ino_t ino) { Self(req)->DoReadlink(req, ino); };
    o.open = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
      Self(req)->Open(req, ino, fi);
    };
    o.read = [](fuse_req_t req, fuse_ino_t ino, std::size_t size, off_t off, fuse_file_info* fi) {
      Self(req)->Read(req, ino, size, off, fi);
    };
    o.release = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
      Self(req)->Release(req, ino, fi);
    };
    o.opendir = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
      Self(req)->Opendir(req, ino, fi);
    };
    o.readdir = [](fuse_req_t req, fuse_ino_t ino, std::size_t size, off_t off,
                   fuse_file_info* fi) { Self(req)->Readdir(req, ino, size, off, fi); };
    o.releasedir = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
      Self(req)->Releasedir(req, ino, fi);
    };
    o.write = [](fuse_req_t req, fuse_ino_t ino, const char* data, std::size_t size, off_t /*off*/,
                 fuse_file_info* /*fi*/) { Self(req)->Write(req, ino, data, size); };
    o.setattr = [](fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                   fuse_file_info* /*fi*/) { Self(req)->Setattr(req, ino, attr, to_set); };
    // Nothing is made, named or removed here (root's requests get this far:
    // it passes default_permissions' checks). As procfs answers: a new name
    // is ENOENT (its lookups fail rather than leave a place to create), a
    // removal EPERM.
    o.mknod = [](fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) {
      fuse_reply_err(req, ENOENT);
    };
    o.mkdir = [](fuse_req_t req, fuse_ino_t, const char*, mode_t) { fuse_reply_err(req, ENOENT); };
    o.symlink = [](fuse_req_t req, const char*, fuse_ino_t, const char*) {
      fuse_reply_err(req, ENOENT);
    };
    o.link = [](fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) {
      fuse_reply_err(req, ENOENT);
    };
    o.create = [](fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) {
      fuse_reply_err(req, ENOENT);
    };
    o.rename = [](fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned int) {
      fuse_reply_err(req, ENOENT);
    };
    o.unlink = [](fuse_req_t req, fuse_ino_t, const char*) { fuse_reply_err(req, EPERM); };
    o.rmdir = [](fuse_req_t req, fuse_ino_t, const char*) { fuse_reply_err(req, EPERM); };
    return o;
  }();
  return ops;
}

}  // namespace sentry::fusefs
