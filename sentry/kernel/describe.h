// Process tables in words: ps's columns, as `sentry inspect ps` and the
// sentry's own tables print them. (Records become sentences in narrate.h.)
#pragma once

#include <string>
#include <vector>

#include "sentry/kernel/record.h"
#include "sentry/kernel/view.h"

namespace sentry::kernel {

// A terminal's name from its tty_nr as /proc/PID/stat encodes it ("pts/3"; "?" for none).
std::string TtyName(std::int64_t tty_nr);

// ps's STAT ("Ss", "Rl+") and COMMAND ("sh -c …", "[comm]", "[comm] <defunct>").
std::string PsStat(const TaskInfo& p);
std::string PsCommand(const TaskInfo& p);

// A ps-like table: PID PPID PGID SID TTY STAT UID COMMAND.
std::string ProcessTable(const std::vector<TaskInfo>& processes);

// Sessions and process groups as nested boxes, each process in its group
// with its state, parent and command, the terminal's foreground group and
// orphaned groups marked (`sentry run --step`'s tree). Sessions with no
// process other than `except` (the sentry's own) are left out.
std::string GroupsAndSessions(const std::vector<SessionInfo>& sessions,
                              const std::vector<ProcessGroupInfo>& groups,
                              const std::vector<TaskInfo>& processes, std::int32_t except);

}  // namespace sentry::kernel
