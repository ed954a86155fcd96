#include "platform/sentry_observations.h"

#include <signal.h>
#include <unistd.h>

#include "platform/launcher.h"
#include "platform/proc_files.h"
#include "sentry/kernel/abi.h"

namespace sentry::platform {

using kernel::ThreadId;

kernel::TaskExisting SentryItself(pid_t self) {
  return kernel::TaskExisting{.tid = ThreadId(self),
                              .tgid = ThreadId(self),
                              .parent = ThreadId(0),
                              .pgid = kernel::ProcessGroupId(::getpgrp()),
                              .sid = kernel::SessionId(::getsid(0)),
                              .uid = ::getuid(),
                              .gid = ::getgid(),
                              .subreaper = true,
                              .comm = "sentry",
                              .argv = ReadCmdline(self)};
}

kernel::Clone SessionLeaderForked(pid_t self, pid_t session_leader) {
  return kernel::Clone{.parent = ThreadId(self),
                       .child = ThreadId(session_leader),
                       .flags = 0,
                       .exit_signal = SIGCHLD,
                       .nested_tids = {},
                       .error = 0,
                       .pgid = 0,
                       .comm = kSessionLeaderName};
}

kernel::SetSid SessionLeaderSetsid(pid_t session_leader) {
  return kernel::SetSid{.tid = ThreadId(session_leader), .result = session_leader};
}

kernel::WaitDone SentryReaped(pid_t self, pid_t pid, int status) {
  const auto decoded = kernel::FromWait4Status(static_cast<std::uint32_t>(status));
  return kernel::WaitDone{.tid = ThreadId(self),
                          .request = kernel::WaitRequest::FromWait4(-1, kernel::abi::kWALL),
                          .result = pid,
                          .code = decoded.code,
                          .status = decoded.status};
}

}  // namespace sentry::platform
