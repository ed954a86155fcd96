// The seeded random workload for stress runs (random_workload.cc).
#pragma once

namespace scenarios {

// Runs the workload `seed` chooses; as a subreaper if asked. Returns 0.
int RandomWorkload(unsigned long seed, bool subreaper);

}  // namespace scenarios
