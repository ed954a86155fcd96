#include "sentry/cmd/view.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "fusefs/mount.h"
#include "sentry/cmd/command_start.h"
#include "sentry/cmd/help.h"
#include "sentry/cmd/usage_error.h"

namespace sentry::cmd {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: sentry view [--mount DIR] -- CMD [ARGS...]\n"
    "\n"
    "Runs CMD with a running sentry's procfs view bound over /proc, in a mount\n"
    "namespace of its own: `sentry view -- ps -ef`, `sentry view -- pstree -p` and\n"
    "`sentry view -- top -b -n1` show the sandbox's processes as the model knows them.\n"
    "CMD acts on the pids it reads: with `sentry run --pidns` it runs in the sandbox's\n"
    "PID namespace, so `kill`, `pkill` and psutil reach the sandbox's processes and\n"
    "nothing outside (once that namespace is gone, CMD is refused). A replayed run's\n"
    "view holds past pids: CMD reads them in the host's namespace. Nothing else\n"
    "changes for CMD, and nothing changes outside it.\n";

constexpr CommandDoc kDoc{
    .name = "view",
    .summary = "run a command (ps, pstree, top) with a sentry's procfs view as its /proc",
    .usage = kUsage,
    .exit_status =
        "CMD's; 125 when the view cannot be used (none mounted, not allowed in, its\n"
        "namespace gone), 2 for a bad command line.",
    .files =
        "/sandbox/proc\n"
        "  the view `sentry run` mounts as root; sentry/pidns in it says whose pid\n"
        "  numbers it shows.",
    .environment =
        "XDG_RUNTIME_DIR\n"
        "  where the views of a user who is not root are mounted.",
    .examples =
        "sentry view -- ps -eo pid,ppid,pgid,sid,stat,comm\n"
        "sentry view -- pstree -p\n"
        "sentry view -- top -b -n1\n"
        "sentry view --mount /tmp/v -- lsof -p 7",
    .see_also =
        "sentry(1), sentry-run(1), proc(5), ps(1), pstree(1), lsof(8), "
        "pid_namespaces(7)",
};

// The view to bind: the one named, the default, or the only one mounted.
std::expected<std::string, std::string> FindView(const std::string& named) {
  if (!named.empty()) {
    std::error_code ec;
    std::string path = std::filesystem::absolute(named, ec).lexically_normal().string();
    if (fusefs::IsSentryMount(path)) return path;
    return std::unexpected("nothing is mounted at " + path + ": start `sentry run --mount " +
                           named + " -- CMD` first");
  }
  std::string fallback = fusefs::DefaultMountPath();
  if (fusefs::IsSentryMount(fallback)) return fallback;
  const auto mounts = fusefs::SentryMounts();
  if (mounts.size() == 1) return mounts.front();
  if (mounts.empty()) {
    return std::unexpected("no sentry view is mounted (looked at " + fallback +
                           "): start `sentry run -- CMD` first, or give --mount DIR");
  }
  std::string list;
  for (const auto& m : mounts) list += " " + m;
  return std::unexpected("several sentry views are mounted (" + list.substr(1) +
                         "): choose one with --mount DIR");
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out.flush());
}

// A private mount namespace (as a user namespace's root when not root).
std::expected<void, std::string> EnterMountNamespace() {
  if (::geteuid() == 0) {
    if (::unshare(CLONE_NEWNS) != 0) {
      return std::unexpected(std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno));
    }
  } else {
    const uid_t uid = ::geteuid();
    const gid_t gid = ::getegid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      return std::unexpected(std::string("unshare(CLONE_NEWUSER|CLONE_NEWNS): ") +
                             std::strerror(errno));
    }
    if (!WriteFile("/proc/self/setgroups", "deny") ||
        !WriteFile("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1") ||
        !WriteFile("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1")) {
      return std::unexpected("cannot map ids in the user namespace");
    }
  }
  // Keep our mounts to ourselves.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return std::unexpected(std::string("making / private: ") + std::strerror(errno));
  }
  return {};
}

// Waits for the tool and ends as it did: its exit code, or its signal. The
// terminal's signals reach the tool itself (same process group); this
// process only waits.
int AwaitTool(pid_t tool) {
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGQUIT, SIG_IGN);
  int status = 0;
  while (::waitpid(tool, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    std::signal(WTERMSIG(status), SIG_DFL);
    ::kill(::getpid(), WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
}

// A mount whose sentry was killed answers ENOTCONN.
std::expected<std::string, std::string> Alive(const std::string& path) {
  if (fusefs::IsDeadMount(path)) {
    return std::unexpected("the view at " + path +
                           " is dead (its sentry was killed); the next `sentry run` there "
                           "cleans it up");
  }
  // FUSE lets no other user in unless the run asked for it: said here,
  // rather than by the tool finding an empty /proc.
  struct stat st {};
  if (::stat((path + "/sentry").c_str(), &st) != 0 && errno == EACCES) {
    const auto owner = fusefs::MountOwner(path);
    return std::unexpected(
        "the view at " + path + " is " +
        (owner ? "uid " + std::to_string(*owner) + "'s" : std::string("another user's")) +
        ", and only its user may read it: a `sentry run --allow-other` lets others in");
  }
  return path;
}

// Where the tool runs, from the view's sentry/pidns: the pids it reads
// there must be the pids it acts on (kill, pidfd_open, ptrace, /proc/PID).
// The host's, as the view numbers them (a replayed run's view too: its
// pids are history): nullopt; or the workload's PID namespace, held open
// through its init. A namespace that is gone (the view kept mounted after
// the run) is refused: its numbers would name host processes.
std::expected<std::optional<int>, std::string> PidNamespaceOf(const std::string& view) {
  const auto read_pidns = [&] {
    std::ifstream in(view + "/sentry/pidns");
    std::string line;
    std::getline(in, line);
    return line;
  };
  const std::string pidns = read_pidns();
  // Empty: an older sentry's view, whose pids are the host's.
  if (pidns.empty() || pidns == "host" || pidns == "replay") return std::nullopt;
  if (pidns.starts_with("workload init ")) {
    const std::string init = pidns.substr(14);
    const int fd = ::open(("/proc/" + init + "/ns/pid").c_str(), O_RDONLY | O_CLOEXEC);
    // Still its init once the descriptor is held: the namespace is the one.
    if (fd >= 0 && read_pidns() == pidns) return fd;
    if (fd >= 0) ::close(fd);
  }
  return std::unexpected(
      "the sandbox's PID namespace is gone, and the view's pids would name host processes: "
      "read " +
      view + " directly, or ask `sentry inspect`");
}

// In the child that runs the tool: its own mount namespace with the view
// over /proc, then the tool. Never returns.
[[noreturn]] void ExecTool(const std::string& view, char** argv) {
  if (auto entered = EnterMountNamespace(); !entered) {
    std::cerr << "sentry: view: " << entered.error() << "\n";
    ::_exit(125);
  }
  if (::mount(view.c_str(), "/proc", nullptr, MS_BIND, nullptr) != 0) {
    std::cerr << "sentry: view: binding " << view << " over /proc: " << std::strerror(errno)
              << "\n";
    ::_exit(125);
  }
  ::execvp(argv[0], argv);
  const int error = errno;
  std::cerr << "sentry: view: " << argv[0] << ": " << std::strerror(error) << "\n";
  ::_exit(error == ENOENT ? 127 : 126);
}

// In the child that enters the workload's PID namespace (setns places its
// children in it, not itself): forks the tool there and ends as it did,
// with _exit, past any exit handler (a sanitizer's leak check would trace
// this process from inside that namespace, where it is not seen, and hang).
[[noreturn]] void RunToolInNamespace(int pidns, const std::string& view, char** argv) {
  if (::setns(pidns, CLONE_NEWPID) != 0) {
    std::cerr << "sentry: view: entering the sandbox's PID namespace (its pids are the view's): "
              << std::strerror(errno) << "\n";
    ::_exit(125);
  }
  ::close(pidns);
  const pid_t tool = ::fork();
  if (tool < 0) ::_exit(125);
  if (tool == 0) ExecTool(view, argv);
  ::_exit(AwaitTool(tool));
}

}  // namespace

int ViewMain(int argc, char** argv) {
  std::string mount;
  po::options_description opts("options");
  opts.add_options()("mount", po::value<std::string>(&mount)->value_name("DIR"),
                     "the view to use (default: /sandbox/proc as root, or the only view "
                     "mounted)")("help,h", "show this help");
  int i = CommandStart(opts, argc, argv);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(i, argv).options(opts).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return UsageError("view", e.what());
  }
  if (vm.count("help") != 0) return PrintHelp(std::cout, kDoc, opts);
  if (i < argc && std::strcmp(argv[i], "--") == 0) ++i;
  if (i >= argc) {
    return UsageError("view", "no command given");
  }
  auto view = FindView(mount);
  if (view) view = Alive(*view);
  if (!view) {
    std::cerr << "sentry: view: " << view.error() << "\n";
    return 125;
  }
  const auto pidns = PidNamespaceOf(*view);
  if (!pidns) {
    std::cerr << "sentry: view: " << pidns.error() << "\n";
    return 125;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    std::cerr << "sentry: view: fork: " << std::strerror(errno) << "\n";
    return 125;
  }
  const std::optional<int> held = *pidns;
  if (child == 0) {
    if (held.has_value()) RunToolInNamespace(held.value(), *view, argv + i);
    ExecTool(*view, argv + i);
  }
  if (held.has_value()) ::close(held.value());
  return AwaitTool(child);
}

}  // namespace sentry::cmd
