// A run's process tree for graphviz: a node per process ("pid comm" and how
// it ended), a solid edge from each parent to the children it created, a
// dashed one from an adopter to the orphans it adopted, and a bold red one
// to a reaper that is not the parent the child was born to.
#pragma once

#include <cstdint>
#include <expected>
#include <ostream>
#include <string>

#include "inspect/sqlite.h"

namespace sentry::inspect {

std::expected<void, std::string> ExportDot(Database& db, std::int64_t run, std::ostream& out);

}  // namespace sentry::inspect
