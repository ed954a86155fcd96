// Mounting the procfs view, for `sentry run` (the live model) and `sentry
// replay --mount` (a past one), and serving it until the user says stop.
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "fusefs/mount.h"
#include "fusefs/procfs.h"

namespace sentry::cmd {

// Mounts the view: at `path` if given (failing is an error), else at the
// default place. The default never keeps the workload from running: if a
// live sentry holds it, this run's view goes to a place of its own
// (/sandbox/PID/proc); if FUSE is missing, the run goes on without a view
// (nullptr, said with -v). Views left by killed sentries are cleaned on the
// way.
std::expected<std::unique_ptr<fusefs::Mount>, std::string> MountView(fusefs::Procfs& view,
                                                                     const std::string& path,
                                                                     bool allow_other,
                                                                     bool verbose);

// Blocks SIGINT, SIGTERM and SIGHUP: from before a mount is made, none of
// them may end the sentry with the mount still there.
void BlockEndSignals();

// Says on stderr that `what` stays mounted at `path`, then waits for SIGINT
// or SIGTERM (or a hangup), blocked meanwhile.
void ServeUntilInterrupted(const std::string& what, const std::string& path);

}  // namespace sentry::cmd
