#include "inspect/words.h"

#include <fmt/format.h>
#include <string.h>  // strerrorname_np (glibc)

namespace sentry::inspect {

namespace abi = kernel::abi;

std::string WaitOptionsInWords(std::uint32_t options) {
  std::string out;
  for (const auto& [bit, name] : kWaitOptions) {
    if ((options & bit) == 0) continue;
    if (!out.empty()) out += '|';
    out += name;
  }
  return out.empty() ? "0" : out;
}

std::string ErrnoInWords(int err) {
  if (err == abi::kERESTARTSYS) return "ERESTARTSYS";
  const char* name = ::strerrorname_np(err);
  return name != nullptr ? name : fmt::format("errno {}", err);
}

std::string ExitStatusInWords(const kernel::ExitStatus& status) {
  if (!status.Signaled()) return fmt::format("exited {}", status.code);
  return fmt::format("killed by {}{}", abi::SignalName(status.signo),
                     status.core ? " (core dumped)" : "");
}

std::string WaitResultInWords(std::int64_t result, int cld_code, int status) {
  if (result < 0) return ErrnoInWords(static_cast<int>(-result));
  if (result == 0) return "nothing to report";
  const std::string_view signal = abi::SignalName(status);
  switch (cld_code) {
    case abi::kCLD_EXITED:
      return fmt::format("exited {}", status);
    case abi::kCLD_KILLED:
      return fmt::format("killed by {}", signal);
    case abi::kCLD_DUMPED:
      return fmt::format("killed by {} (core dumped)", signal);
    case abi::kCLD_TRAPPED:
      return fmt::format("trapped by {}", signal);
    case abi::kCLD_STOPPED:
      return fmt::format("stopped by {}", signal);
    case abi::kCLD_CONTINUED:
      return "continued";
    default:
      return "reported (the caller asked for no status)";
  }
}

}  // namespace sentry::inspect
