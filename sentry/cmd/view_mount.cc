#include "sentry/cmd/view_mount.h"

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <utility>

namespace sentry::cmd {

std::expected<std::unique_ptr<fusefs::Mount>, std::string> MountView(fusefs::Procfs& view,
                                                                     const std::string& path,
                                                                     bool allow_other,
                                                                     bool verbose) {
  std::string notice;
  const bool chosen = !path.empty();
  std::string where = chosen ? path : fusefs::DefaultMountPath();
  if (!chosen && ::geteuid() == 0) {
    // Killed sentries' views at the default place or beside it (a run that
    // found the default taken mounts at /sandbox/PID/proc): nobody serves them.
    if (const int dead = fusefs::CleanDeadMounts(); dead > 0 && verbose) {
      std::cerr << "sentry: cleaned " << dead << " dead view mount" << (dead > 1 ? "s" : "")
                << " left by killed sentries\n";
    }
  }
  if (!chosen && fusefs::IsSentryMount(where) && !fusefs::IsDeadMount(where)) {
    // Another run's: this one's goes beside it, said with -v only (the
    // workload's stderr is the workload's: a transparent run adds nothing
    // there), rather than refusing a run only for where its view goes.
    const std::string taken = where;
    where =
        (std::filesystem::path(where).parent_path() / std::to_string(::getpid()) / "proc").string();
    if (verbose) {
      std::cerr << "sentry: " << taken << " is the view of another sentry still running; this "
                << "run's is at " << where << " (sentry view --mount " << where
                << " -- CMD); choose the place with --mount DIR\n";
    }
  }
  auto mounted = fusefs::Mount::Create(view, {.path = where, .allow_other = allow_other}, &notice);
  // Said when the user chose the place; the default stays quiet (with -v
  // it is said): the workload's stderr is not the place for our housekeeping.
  if (!notice.empty() && (chosen || verbose)) std::cerr << "sentry: " << notice << "\n";
  if (!mounted) {
    if (chosen) return std::unexpected(mounted.error());
    if (verbose) std::cerr << "sentry: running without the view: " << mounted.error() << "\n";
    return nullptr;
  }
  if (verbose) std::cerr << "sentry: view mounted at " << (*mounted)->Path() << "\n";
  return std::move(*mounted);
}

namespace {

sigset_t EndSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (const int signo : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, signo);
  return set;
}

}  // namespace

void BlockEndSignals() {
  const sigset_t end = EndSignals();
  ::sigprocmask(SIG_BLOCK, &end, nullptr);
}

void ServeUntilInterrupted(const std::string& what, const std::string& path) {
  const sigset_t end = EndSignals();
  sigset_t before;
  ::sigprocmask(SIG_BLOCK, &end, &before);
  std::cerr << "sentry: " << what << " stays mounted at " << path << " until SIGINT or SIGTERM\n";
  int signo = 0;
  ::sigwait(&end, &signo);
  ::sigprocmask(SIG_SETMASK, &before, nullptr);
}

}  // namespace sentry::cmd
