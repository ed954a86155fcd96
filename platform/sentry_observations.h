// What the sentry tells the model of its own part of the workload's shape,
// the same under either platform: it is no followed task, so no platform
// sees these.
#pragma once

#include <sys/types.h>

#include "sentry/kernel/observation.h"

namespace sentry::platform {

// The sentry itself (`self`), as it exists when the run starts: the
// subreaper every orphan comes to.
kernel::TaskExisting SentryItself(pid_t self);

// The session leader's fork by the sentry: it set its session up before any
// platform followed it.
kernel::Clone SessionLeaderForked(pid_t self, pid_t session_leader);
kernel::SetSid SessionLeaderSetsid(pid_t session_leader);

// The sentry's own wait4(-1, __WALL) reaped `pid` with wait status `status`.
kernel::WaitDone SentryReaped(pid_t self, pid_t pid, int status);

}  // namespace sentry::platform
