// PidNumbering: which ids `inspect` says and accepts.
//
// A run under `run --pidns` is told in the ids the workload saw: those of
// its own PID namespace (depth 1, the one the sentry made), which its tools,
// its logs and the view (`ps` through `sentry view`) show too. `--host-pids`
// asks for the host's ids instead. Linux gives a task outside a namespace no
// id in it (getppid and getsid read 0 there); so does this: the sentry and
// its session holder, outside, have none. A run without a namespace of its
// own has one numbering, the host's.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inspect/sqlite.h"
#include "sentry/kernel/narrate.h"
#include "sentry/kernel/view.h"

namespace sentry::inspect {

class PidNumbering {
 public:
  // Run `run`'s numbering: its namespace's when it has one and `host_pids`
  // is false, the host's otherwise.
  static std::expected<PidNumbering, std::string> Load(Database& db, std::int64_t run,
                                                       bool host_pids);

  // True: ids are the namespace's (tables then add the host's beside).
  bool InNamespace() const { return in_namespace_; }
  // The id said for host id `host_id`; nullopt when it has none there.
  std::optional<std::int32_t> Shown(std::int32_t host_id) const;
  // ... as Linux says an id outside the caller's namespace: 0.
  std::int32_t ShownOrZero(std::int32_t host_id) const { return Shown(host_id).value_or(0); }
  // ... for a label: "7", or "31327 (a host id)" as the sentences say it.
  std::string Label(std::int64_t host_id) const;
  // The host ids a user's `id` names: the namespace's id first (every
  // process that had it, if the namespace reused it); a host id of the run
  // is taken too, so either numbering is accepted. Empty: neither.
  std::vector<std::int32_t> HostIdsOf(std::int32_t id) const;
  // Whether HostIdsOf reads `id` as the namespace's.
  bool IsNamespaceId(std::int32_t id) const { return in_namespace_ && to_host_.contains(id); }
  // A `ns_pids`/`ns_tids` value's id in the namespace ("4711 3" -> 3; 0: none).
  static std::int32_t NamespaceIdIn(std::string_view ids);
  // This numbering with the ids a rebuilt model's tasks had at its moment
  // (TaskInfo::nspid, read in the root view): exact where the host reused
  // an id over the run.
  PidNumbering AtMoment(const std::vector<kernel::TaskInfo>& tasks) const;
  // For a Narrator (NumberInNamespace), when InNamespace().
  kernel::Narrator::NamespaceIds ForNarrator() const;

  // SQL: the namespace id in a `ns_pids` / `ns_tids` column ("4711 3" -> 3),
  // NULL when it has none. SQLite's CAST takes the leading integer.
  static std::string NamespaceIdSql(std::string_view column);

 private:
  bool in_namespace_ = false;
  kernel::NamespaceIdMemo to_namespace_;  // by utid, and by host tid (its latest owner)
  std::unordered_map<std::int32_t, std::vector<std::int32_t>> to_host_;  // each host tid it named
};

}  // namespace sentry::inspect
