// The lookup tables of a new event log: the names of the numbers the other
// tables hold (signals, errnos, record kinds, reap and signal causes, stop
// kinds, CLD_* codes, wait options, si_codes), generated from the same
// definitions the model uses so the two never disagree.
#pragma once

#include <expected>
#include <string>

#include "inspect/sqlite.h"

namespace sentry::inspect {

// Fills them; called inside the transaction that creates the schema.
std::expected<void, std::string> FillLookupTables(Database& db);
// The `rule` table (schema version 3): each rule's name and sentence.
std::expected<void, std::string> FillRuleTable(Database& db);

}  // namespace sentry::inspect
