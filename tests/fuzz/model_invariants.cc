#include "tests/fuzz/model_invariants.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace sentry::fuzz {

using kernel::ExitState;
using kernel::ThreadId;

std::string BrokenInvariant(const kernel::Kernel& model) {
  const auto processes = model.Processes();
  const auto groups = model.ProcessGroups();
  const auto sessions = model.Sessions();
  std::map<std::int32_t, int> memberships;
  for (const auto& g : groups) {
    for (const std::int32_t member : g.members) {
      ++memberships[member];
      const auto t = model.FindTask(ThreadId(member));
      if (!t)
        return fmt::format("group {} lists {}, which the model does not have", g.pgid, member);
      if (t->pgid != g.pgid || t->sid != g.sid) {
        return fmt::format("group {} (session {}) lists {}, whose pgid is {} and sid {}", g.pgid,
                           g.sid, member, t->pgid, t->sid);
      }
    }
    // Ids may repeat: when the host made a session or group the model
    // thought impossible, the model follows it and the stale one keeps its
    // id. One session of the group's id must list it.
    if (!std::ranges::any_of(sessions, [&](const kernel::SessionInfo& s) {
          return s.sid == g.sid && std::ranges::find(s.groups, g.pgid) != s.groups.end();
        })) {
      return fmt::format("no session {} lists its group {}", g.sid, g.pgid);
    }
  }
  for (const auto& p : processes) {
    const int count = memberships[p.tgid];
    const bool live = p.exit_state == ExitState::kNone;
    if (live ? count != 1 : count > 1) {
      return fmt::format("process {} ({}) is a member of {} process groups", p.tgid,
                         live ? "live" : "exiting", count);
    }
    const auto threads = model.Threads(ThreadId(p.tgid));
    for (const auto& t : threads) {
      if (t.tgid != p.tgid) {
        return fmt::format("thread {} of process {} names {} as its group", t.tid, p.tgid, t.tgid);
      }
      // A leader that exits first is a zombie while its threads run (Linux
      // delay_group_leader), but its parent hears of it only once all are gone.
      if (p.exit_parent_notified && t.exit_state == ExitState::kNone) {
        return fmt::format("the parent of {} was told of its exit while its thread {} lives",
                           p.tgid, t.tid);
      }
      for (const std::int32_t child : t.children) {
        const auto c = model.FindTask(ThreadId(child));
        if (!c) return fmt::format("{} lists a child {} the model does not have", t.tid, child);
        if (c->parent_tid != t.tid) {
          return fmt::format("{} lists child {}, whose parent is {}", t.tid, child, c->parent_tid);
        }
      }
    }
    if (p.parent_tid != 0) {
      const auto parent = model.FindTask(ThreadId(p.parent_tid));
      if (parent && std::ranges::find(parent->children, p.tgid) == parent->children.end()) {
        return fmt::format("{}'s parent {} does not list it", p.tgid, p.parent_tid);
      }
    }
  }
  return {};
}

}  // namespace sentry::fuzz
