#include "sentry/kernel/abi.h"

#include <array>
#include <string>

namespace sentry::kernel::abi {

std::string_view SignalName(int sig) {
  static constexpr std::array<std::string_view, 32> kNames = {
      "0",         "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
      "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
      "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
      "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS"};
  if (sig >= 0 && static_cast<std::size_t>(sig) < kNames.size()) {
    return kNames[static_cast<std::size_t>(sig)];
  }
  // Real-time and out-of-range signals: "SIG34". The table is built once.
  static const std::array<std::string, kMaxSignal + 1> kRt = [] {
    std::array<std::string, kMaxSignal + 1> names;
    for (int s = 32; s <= kMaxSignal; ++s)
      names[static_cast<std::size_t>(s)] = "SIG" + std::to_string(s);
    return names;
  }();
  if (sig >= 32 && sig <= kMaxSignal) return kRt[static_cast<std::size_t>(sig)];
  return "SIG?";
}

std::string_view ErrnoName(int err) {
  switch (err) {
    case 0:
      return "0";
    case kEPERM:
      return "EPERM";
    case kESRCH:
      return "ESRCH";
    case kEINTR:
      return "EINTR";
    case kECHILD:
      return "ECHILD";
    case kEAGAIN:
      return "EAGAIN";
    case kEACCES:
      return "EACCES";
    case kEINVAL:
      return "EINVAL";
    case kERESTARTSYS:
      return "ERESTARTSYS";
    default:
      return "E?";
  }
}

}  // namespace sentry::kernel::abi
