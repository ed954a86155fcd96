// A run's process tree for graphviz: a node per process ("pid comm" and how
// it ended), a solid edge from each parent to the children it created, a
// dashed one from an adopter to the orphans it adopted, and a bold red one
// to a reaper that is not the parent the child was born to.
#pragma once

#include <cstdint>
#include <expected>
#include <ostream>
#include <string>

#include "inspect/numbering.h"
#include "inspect/sqlite.h"

namespace sentry::inspect {

// Labels say `numbering`'s ids.
std::expected<void, std::string> ExportDot(Database& db, std::int64_t run,
                                           const PidNumbering& numbering, std::ostream& out);

// The run as it was after observation `at` (the model rebuilt from the
// log), for slides: each session a box holding a box per process group (the
// terminal's foreground and orphaned groups said), each process in its
// group with its state (zombies dashed and grey, stopped ones yellow), and
// an edge from each parent to its children. The sentry's own session is
// left out.
std::expected<void, std::string> ExportDotAt(Database& db, std::int64_t run, std::uint64_t at,
                                             const PidNumbering& numbering, std::ostream& out);

}  // namespace sentry::inspect
