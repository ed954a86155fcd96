// Human-readable lines for records and process tables: what `sentry replay`
// prints, the FUSE view's `events` stream and `sentry inspect` show.
#pragma once

#include <string>
#include <vector>

#include "sentry/kernel/record.h"
#include "sentry/kernel/view.h"

namespace sentry::kernel {

// "#12 reaped 300 by 200: exit 3 (wait)"
std::string DescribeRecord(const Record& r);

// Who sent a delivered signal (a kSignalDelivered record), in words: "7",
// "pid 7 (outside the workload)", "a process outside its PID namespace",
// "the kernel".
std::string SignalSenderName(const Record& r);

// A terminal's name from its tty_nr as /proc/PID/stat encodes it ("pts/3"; "?" for none).
std::string TtyName(std::int64_t tty_nr);

// ps's STAT ("Ss", "Rl+") and COMMAND ("sh -c …", "[comm]", "[comm] <defunct>").
std::string PsStat(const TaskInfo& p);
std::string PsCommand(const TaskInfo& p);

// A ps-like table: PID PPID PGID SID TTY STAT UID COMMAND.
std::string ProcessTable(const std::vector<TaskInfo>& processes);

}  // namespace sentry::kernel
