// Explain: the life of one process in plain sentences, with the model's
// reasons — created by whom and how, what it exec'd, the groups and
// sessions it joined, the signals it got and from whom (and why the kernel
// sent them), how it stopped and continued, how it exited, why it became
// a zombie and who reaped it (or why nobody did). The answer to "who
// reaped my child?", "why is this a zombie?", "why did my job get SIGHUP?".
#pragma once

#include <cstdint>
#include <expected>
#include <string>

#include "inspect/numbering.h"
#include "inspect/result_table.h"
#include "inspect/sqlite.h"

namespace sentry::inspect {

struct ExplainTarget {
  std::int32_t pid = 0;   // in `numbering`'s ids, or the host's (ambiguous if reused: then upid)
  std::int64_t upid = 0;  // set: this process exactly
};

// Rows (seq, time, event) in order, told in `numbering`'s ids. The error
// for a pid used by several processes lists them and asks for --upid. The
// answer reads `db` as it is printed.
std::expected<Answer, std::string> ExplainProcess(Database& db, std::int64_t run,
                                                  ExplainTarget target,
                                                  const PidNumbering& numbering);

}  // namespace sentry::inspect
