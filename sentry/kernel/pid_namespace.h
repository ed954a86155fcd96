// PID namespaces: nested id spaces. A task has an id in its own namespace and
// in every ancestor namespace; process groups and sessions take the ids of
// their originator / leader in each of those namespaces.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "sentry/kernel/ids.h"

namespace sentry::kernel {

struct Task;
struct ProcessGroup;
struct Session;

// A task's (or group's) ids at every namespace level from the root (depth 0)
// down to its own. The root id is inline: the common, un-nested case
// allocates nothing.
struct NsIds {
  std::int32_t root = 0;
  std::vector<std::int32_t> nested;  // depth 1.. own depth

  int depth() const { return static_cast<int>(nested.size()); }
  std::int32_t At(int depth_level) const {
    return depth_level == 0 ? root : nested[static_cast<std::size_t>(depth_level - 1)];
  }
  std::int32_t Own() const { return nested.empty() ? root : nested.back(); }
};

struct PidNamespace {
  NamespaceUid uid;
  PidNamespace* parent = nullptr;  // nullptr for the root
  int depth = 0;

  // Lookups by the ids visible in this namespace. Mutated only by the tracer
  // thread under Kernel::mu_ (exclusive).
  std::unordered_map<std::int32_t, Task*> tasks;
  std::unordered_map<std::int32_t, ProcessGroup*> process_groups;
  std::unordered_map<std::int32_t, Session*> sessions;

  // Last id handed out by the model's own allocator (used only when the host
  // did not say which id a task got in this namespace).
  std::int32_t last_allocated = 0;
  // Set when the namespace's init has exited: every other task is killed.
  bool exiting = false;
  // Tasks whose own namespace this is, plus child namespaces: the namespace
  // is freed when this drops to zero.
  int refs = 0;

  // Is `self` this namespace or one of its ancestors?
  bool IsSelfOrAncestor(const PidNamespace* other) const {
    for (const PidNamespace* ns = other; ns != nullptr; ns = ns->parent) {
      if (ns == this) return true;
    }
    return false;
  }
};

// The id `ids` (owned by an object living in `own`) has in namespace `view`;
// 0 when not visible there (view is not `own` or one of its ancestors).
inline std::int32_t IdIn(const NsIds& ids, const PidNamespace* own, const PidNamespace* view) {
  if (view == nullptr || own == nullptr || !view->IsSelfOrAncestor(own)) return 0;
  return ids.At(view->depth);
}

}  // namespace sentry::kernel
