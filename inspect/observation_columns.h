// Observations as columns of the `observation` table: the kind, the thread
// it concerns, seven integers whose meaning depends on the kind (a to g),
// a text (comm) and a list (argv, nested tids) as a JSON array.
//
// Columns, not one JSON object a row: replay decodes them with no parser
// (a million observations a second and more), and each integer is there
// for SQL as it is. `observation_kind` in the file says what a..g mean for
// each kind.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sentry/kernel/observation.h"

namespace sentry::inspect {

struct ObservationColumns {
  std::string_view kind;  // ObservationKindName: "clone", "exit_end", …
  std::int64_t tid = 0;   // the thread it concerns (the caller for clone and vfork-done)
  std::array<std::int64_t, 7> ints{};
  std::optional<std::string> text;
  std::optional<std::string> list;
};

ObservationColumns ToColumns(const kernel::Observation& obs);
// The error names what could not be decoded.
std::expected<kernel::ObservationBody, std::string> FromColumns(const ObservationColumns& cols);

// What a..g, text and list mean for each kind, for the lookup table.
struct ObservationKindMeaning {
  std::string_view kind;
  std::string_view columns;
};
std::vector<ObservationKindMeaning> ObservationKindMeanings();

}  // namespace sentry::inspect
