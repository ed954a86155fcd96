// Threads of one process waiting for the same child (fellow_waiters.cc).
#pragma once

namespace scenarios {

// Returns the scenario's exit code; with `report_path`, writes there who
// reaped each child ("CHILD REAPER_TID" lines).
int FellowWaiters(const char* report_path);

}  // namespace scenarios
