// A run as a Chrome trace-event JSON file (the format chrome://tracing and
// the Perfetto UI open): one track per process and thread, named "comm
// (pid N)"; each thread's life, and each stop, as a slice; signals, waits
// and exit steps as instant events; a flow arrow from every reaped child's
// exit to the wait that reaped it.
//
// Trace "pid"/"tid" are the never-reused upid/utid, so a reused host pid
// never merges two processes' tracks; the host's ids are in the names.
// Times are microseconds since the run started.
#pragma once

#include <cstdint>
#include <expected>
#include <ostream>
#include <string>

#include "inspect/numbering.h"
#include "inspect/sqlite.h"

namespace sentry::inspect {

std::expected<void, std::string> ExportChromeTrace(Database& db, std::int64_t run,
                                                   const PidNumbering& numbering,
                                                   std::ostream& out);

}  // namespace sentry::inspect
