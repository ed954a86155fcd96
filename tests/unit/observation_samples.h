// One observation of every kind, with every field set to something other
// than its default: what the codecs' round-trip tests encode and decode.
#pragma once

#include <vector>

#include "sentry/kernel/observation.h"

namespace sentry::kernel::testing {

std::vector<Observation> OneOfEachKind();

}  // namespace sentry::kernel::testing
