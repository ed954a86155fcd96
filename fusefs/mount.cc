#include "fusefs/mount.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "platform/quiet_thread.h"

namespace sentry::fusefs {

namespace {

// The mount a crash must detach (async-signal-safe: a fixed buffer), and
// what each crash signal did before, which the crash is handed on to (a
// sanitizer's report, a fuzzer's saving of its input, else the default).
std::array<char, 4096> g_crash_unmount_path{};
constexpr std::array kCrashSignals = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
std::array<struct sigaction, kCrashSignals.size()> g_before_crash_cleanup{};

void RestoreBefore(int sig) {
  for (std::size_t i = 0; i < kCrashSignals.size(); ++i) {
    if (kCrashSignals[i] == sig) ::sigaction(sig, &g_before_crash_cleanup[i], nullptr);
  }
}

void OnCrash(int sig, siginfo_t* info, void* /*context*/) {
  if (g_crash_unmount_path[0] != '\0') ::umount2(g_crash_unmount_path.data(), MNT_DETACH);
  RestoreBefore(sig);
  // A fault happens again when this returns, into the action before with
  // its own siginfo. A signal sent (kill, abort's raise: si_code <= 0) is
  // sent again; blocked while this runs, it is delivered on return.
  if (info == nullptr || info->si_code <= 0) ::raise(sig);
}

void InstallCrashCleanup(const std::string& path) {
  if (path.size() >= g_crash_unmount_path.size()) return;
  std::memcpy(g_crash_unmount_path.data(), path.c_str(), path.size() + 1);
  struct sigaction sa {};
  sa.sa_sigaction = OnCrash;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  for (std::size_t i = 0; i < kCrashSignals.size(); ++i) {
    ::sigaction(kCrashSignals[i], &sa, &g_before_crash_cleanup[i]);
  }
}

void RemoveCrashCleanup() {
  g_crash_unmount_path[0] = '\0';
  for (std::size_t i = 0; i < kCrashSignals.size(); ++i) {
    ::sigaction(kCrashSignals[i], &g_before_crash_cleanup[i], nullptr);
  }
}

// mountinfo escapes blanks in paths as octal (\040).
std::string Unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() + 1 && i + 3 <= s.size()) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 3).c_str(), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Aborts the FUSE connection (fusectl), mounting fusectl where it is not.
void AbortConnection(dev_t device) {
  const std::string dir = "/sys/fs/fuse/connections";
  const std::string abort = dir + "/" + std::to_string(minor(device)) + "/abort";
  if (::access(abort.c_str(), W_OK) != 0) ::mount("fusectl", dir.c_str(), "fusectl", 0, nullptr);
  const int fd = ::open(abort.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  [[maybe_unused]] const ssize_t n = ::write(fd, "1", 1);
  ::close(fd);
}

// Removes the empty directories on `path` up to `made`, the first one a
// mount made (none if empty), deepest first.
void RemoveMadeDirectories(const std::string& path, const std::string& made) {
  if (made.empty()) return;
  for (std::filesystem::path p = path; p.string().size() >= made.size(); p = p.parent_path()) {
    if (::rmdir(p.c_str()) != 0) break;
    if (p.string() == made) break;
  }
}

// libfuse's own messages (its mount failing, the device failing) are not
// printed: what fails reaches the caller as a value, said once and by the
// sentry (or with -v only, for the default place), and a line here would
// land on the workload's stderr, where a transparent run adds nothing.
void Unprinted(enum fuse_log_level /*level*/, const char* /*fmt*/, va_list /*ap*/) {}

// A sentry view's line of /proc/self/mountinfo: where, and its super
// options (user_id=, ...).
struct ViewMount {
  std::string point;
  std::string options;
};

std::vector<ViewMount> ViewMounts() {
  std::vector<ViewMount> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    const std::size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream rest(line.substr(dash + 3));
    std::string fstype, source, options;
    rest >> fstype >> source >> options;
    if (fstype == "fuse.sentry") out.push_back({.point = Unescape(point), .options = options});
  }
  return out;
}

}  // namespace

std::vector<std::string> SentryMounts() {
  std::vector<std::string> out;
  for (const ViewMount& m : ViewMounts()) out.push_back(m.point);
  return out;
}

std::optional<uid_t> MountOwner(const std::string& path) {
  for (const ViewMount& m : ViewMounts()) {
    if (m.point != path) continue;
    const std::size_t at = m.options.find("user_id=");
    if (at == std::string::npos) return std::nullopt;
    return static_cast<uid_t>(std::strtoul(m.options.c_str() + at + 8, nullptr, 10));
  }
  return std::nullopt;
}

bool IsDeadMount(const std::string& path) {
  // statfs always asks the server (stat may be answered from the kernel's
  // attribute cache for a second after the server died).
  // ENOTCONN once the connection is gone; ECONNABORTED for a request the
  // kernel ended as it aborted the connection (Linux fuse end_requests).
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) != 0 && (errno == ENOTCONN || errno == ECONNABORTED);
}

int CleanDeadMounts(const std::string& beside_given) {
  // At the default place or beside it (/sandbox/PID/proc) only: a dead view
  // at a place a user chose is cleaned by the run that asks for that place,
  // which says so.
  const std::filesystem::path beside = beside_given.empty()
                                           ? std::filesystem::path(DefaultMountPath()).parent_path()
                                           : std::filesystem::path(beside_given);
  const std::string prefix = beside.string() + "/";
  int cleaned = 0;
  for (const std::string& path : SentryMounts()) {
    if (!path.starts_with(prefix)) continue;
    if (IsDeadMount(path) && ::umount2(path.c_str(), MNT_DETACH) == 0) ++cleaned;
  }
  // The places runs made beside the default whose sentry is gone: rmdir
  // takes only what is empty and not mounted on.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(beside, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::access(("/proc/" + name).c_str(), F_OK) == 0) continue;  // its sentry lives
    ::rmdir((entry.path() / "proc").c_str());
    ::rmdir(entry.path().c_str());
  }
  return cleaned;
}

bool IsSentryMount(const std::string& path) {
  const auto mounts = SentryMounts();
  return std::find(mounts.begin(), mounts.end(), path) != mounts.end();
}

std::string DefaultMountPath() {
  if (::geteuid() == 0) return "/sandbox/proc";
  const std::string pid = std::to_string(::getpid());
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && *runtime != 0) {
    return std::string(runtime) + "/sentry/" + pid + "/proc";
  }
  return "/tmp/sentry-" + std::to_string(::getuid()) + "/" + pid + "/proc";
}

std::expected<std::unique_ptr<Mount>, std::string> Mount::Create(Procfs& fs,
                                                                 const MountOptions& options,
                                                                 std::string* notice) {
  std::error_code ec;
  std::string created;  // the top directory this call made, if any
  std::filesystem::path path = std::filesystem::absolute(options.path, ec);
  if (ec) return std::unexpected(options.path + ": " + ec.message());
  path = path.lexically_normal();
  if (path.has_filename() == false && path.has_parent_path()) path = path.parent_path();
  const std::string where = path.string();
  struct stat st {};
  if (IsDeadMount(where) || ::stat(where.c_str(), &st) != 0) {
    if (IsDeadMount(where)) {
      // A sentry killed with SIGKILL left its mount: nobody serves it. (Killed
      // sentries may have stacked several.)
      int cleaned = 0;
      do {
        if (::umount2(where.c_str(), MNT_DETACH) != 0) {
          return std::unexpected("cannot clean the dead mount at " + where + ": " +
                                 std::strerror(errno));
        }
        ++cleaned;
      } while (IsDeadMount(where) && cleaned < 64);
      if (::stat(where.c_str(), &st) != 0) {
        std::filesystem::create_directories(path, ec);
        if (ec) return std::unexpected("cannot create " + where + ": " + ec.message());
      }
      if (notice != nullptr) {
        *notice = "cleaned a dead mount left at " + where + " by a killed sentry";
      }
    } else if (errno == ENOENT) {
      // Remember the first directory made, to remove what we made at the end.
      std::filesystem::path first = path;
      while (first.has_parent_path() && first.parent_path() != first &&
             !std::filesystem::exists(first.parent_path())) {
        first = first.parent_path();
      }
      std::filesystem::create_directories(path, ec);
      if (ec) return std::unexpected("cannot create " + where + ": " + ec.message());
      created = first.string();
    } else {
      return std::unexpected(where + ": " + std::strerror(errno));
    }
  } else if (IsSentryMount(where)) {
    return std::unexpected(where +
                           " is the view of a sentry still running; give this run "
                           "another place with --mount DIR");
  } else if (!S_ISDIR(st.st_mode)) {
    return std::unexpected(where + " is not a directory");
  }

  std::string opts = "default_permissions,fsname=sentry,subtype=sentry";
  if (options.allow_other) opts += ",allow_other";
  std::vector<std::string> args_text = {"sentry", "-o", opts};
  std::vector<char*> argv;
  argv.reserve(args_text.size());
  for (std::string& a : args_text) argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  fuse_set_log_func(Unprinted);
  fuse_session* session =
      fuse_session_new(&args, &Procfs::Operations(), sizeof(fuse_lowlevel_ops), &fs);
  fuse_opt_free_args(&args);
  if (session == nullptr) {
    RemoveMadeDirectories(where, created);
    return std::unexpected("cannot start a FUSE session");
  }
  if (fuse_session_mount(session, where.c_str()) != 0) {
    fuse_session_destroy(session);
    RemoveMadeDirectories(where, created);
    return std::unexpected("cannot mount the view at " + where +
                           (::access("/dev/fuse", R_OK | W_OK) != 0
                                ? std::string(": /dev/fuse: ") + std::strerror(errno)
                                : std::string()));
  }
  auto mount = std::unique_ptr<Mount>(new Mount(fs, where, session));
  mount->created_ = created;
  return mount;
}

Mount::Mount(Procfs& fs, std::string path, fuse_session* session)
    : fs_(fs), path_(std::move(path)), session_(session) {
  fs_.SetSession(session_);
  InstallCrashCleanup(path_);
  loop_ = platform::StartQuietThread([this] { Loop(); });
  // Only now: the kernel's first request waits for the loop to answer it.
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) device_ = st.st_dev;
}

void Mount::Loop() {
  fuse_loop_config* config = fuse_loop_cfg_create();
  // Idle workers are kept (libfuse's default, and its advice): one that
  // ended when idle would be made again at the next burst of readers.
  fuse_loop_cfg_set_max_threads(config, 4);
  fuse_session_loop_mt(session_, config);
  fuse_loop_cfg_destroy(config);
  std::lock_guard lock(mu_);
  ended_ = true;
  ended_cv_.notify_all();
}

void Mount::Detach() const {
  if (::geteuid() == 0) {
    ::umount2(path_.c_str(), MNT_DETACH);
    return;
  }
  // A user's mount goes through the setuid helper, as libfuse mounts it.
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execlp("fusermount3", "fusermount3", "-u", "-z", "-q", path_.c_str(), nullptr);
    ::_exit(127);
  }
  if (pid > 0) ::waitpid(pid, nullptr, 0);
}

Mount::~Mount() {
  fs_.CloseEvents();
  fs_.SetSession(nullptr);
  RemoveCrashCleanup();
  // Lazily, with the loop still serving: a reader inside keeps its files
  // (an `events` reader reads its end of file) until it leaves; when the
  // last one has, the kernel ends the connection and the loop returns.
  Detach();
  std::unique_lock lock(mu_);
  if (!ended_cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return ended_; })) {
    // Someone stays inside (a shell's cwd, an open file): end the
    // connection, so they get ENOTCONN instead of a server that is gone.
    lock.unlock();
    fuse_session_exit(session_);
    AbortConnection(device_);
    lock.lock();
    if (!ended_cv_.wait_for(lock, std::chrono::seconds(2), [&] { return ended_; })) {
      // Never seen: leave the loop to the process's exit rather than hang.
      loop_.detach();
      RemoveCreated();
      return;
    }
  }
  lock.unlock();
  loop_.join();
  fuse_session_unmount(session_);  // closes the device; the mount is already gone
  fuse_session_destroy(session_);
  RemoveCreated();
}

void Mount::RemoveCreated() const {
  RemoveMadeDirectories(path_, created_);
}

}  // namespace sentry::fusefs
