// What must hold of the model after any observation, however odd (checked
// through its snapshot API, as the view and inspect read it):
//   - every process's threads name it as their thread group;
//   - a process is a member of exactly one process group (zombies: of at
//     most one, until reaped), whose pgid and sid it has;
//   - every process group belongs to a session that lists it;
//   - a process whose parent was told of its exit has no thread that has
//     not exited (a leader that exits first is a zombie meanwhile);
//   - a thread's children name it as their parent, and a parent visible in
//     the model lists the child.
#pragma once

#include <string>

#include "sentry/kernel/kernel.h"

namespace sentry::fuzz {

// The first invariant broken, in words; empty when all hold.
std::string BrokenInvariant(const kernel::Kernel& model);

}  // namespace sentry::fuzz
