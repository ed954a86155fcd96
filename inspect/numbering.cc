#include "inspect/numbering.h"

#include <fmt/format.h>

#include <charconv>

namespace sentry::inspect {

// "4711 3 1" -> 3: the id at depth 1, 0 when the task has none (outside).
std::int32_t PidNumbering::NamespaceIdIn(std::string_view ids) {
  const std::size_t space = ids.find(' ');
  if (space == std::string_view::npos) return 0;
  std::int32_t id = 0;
  const char* first = ids.data() + space + 1;
  const auto [end, ec] = std::from_chars(first, ids.data() + ids.size(), id);
  return ec == std::errc() && end != first ? id : 0;
}

std::expected<PidNumbering, std::string> PidNumbering::Load(Database& db, std::int64_t run,
                                                            bool host_pids) {
  PidNumbering n;
  if (host_pids) return n;
  auto pidns = db.QueryInt(fmt::format("SELECT pidns FROM run WHERE run_id = {}", run));
  if (!pidns) return std::unexpected(pidns.error());
  if (*pidns == 0) return n;
  n.in_namespace_ = true;
  // Every task's ids, in the order they were created: a host id (or a
  // namespace id) used twice is left with its last owner.
  auto stmt = db.Prepare("SELECT utid, tid, ns_tids FROM thread WHERE run_id = ? ORDER BY utid");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, run);
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const auto host = static_cast<std::int32_t>(stmt->Int(1));
    const std::int32_t ns = NamespaceIdIn(stmt->Text(2));
    n.by_task_[static_cast<std::uint64_t>(stmt->Int(0))] = ns;
    n.to_namespace_[host] = ns;
    if (ns != 0) n.to_host_[ns].push_back(host);
  }
  return n;
}

std::optional<std::int32_t> PidNumbering::Shown(std::int32_t host_id) const {
  if (!in_namespace_) return host_id;
  const auto it = to_namespace_.find(host_id);
  if (it == to_namespace_.end() || it->second == 0) return std::nullopt;
  return it->second;
}

PidNumbering PidNumbering::AtMoment(const std::vector<kernel::TaskInfo>& tasks) const {
  PidNumbering at = *this;
  if (!in_namespace_) return at;
  for (const kernel::TaskInfo& t : tasks) {
    at.to_namespace_[t.root_tid] = t.nspid.size() > 1 ? t.nspid[1] : 0;
  }
  return at;
}

std::string PidNumbering::Label(std::int64_t host_id) const {
  const auto shown = Shown(static_cast<std::int32_t>(host_id));
  return shown ? std::to_string(*shown) : fmt::format("{} (a host id)", host_id);
}

std::vector<std::int32_t> PidNumbering::HostIdsOf(std::int32_t id) const {
  if (!in_namespace_) return {id};
  if (const auto it = to_host_.find(id); it != to_host_.end()) return it->second;
  if (to_namespace_.contains(id)) return {id};
  return {};
}

kernel::Narrator::NamespaceIds PidNumbering::ForNarrator() const {
  // Copies: the narrator may outlive this numbering.
  return [by_task = by_task_, to_namespace = to_namespace_](kernel::TaskUid task,
                                                            std::int32_t host_id) {
    if (const auto it = by_task.find(task.value); task && it != by_task.end()) return it->second;
    const auto it = to_namespace.find(host_id);
    return it != to_namespace.end() ? it->second : 0;
  };
}

std::string PidNumbering::NamespaceIdSql(std::string_view column) {
  return fmt::format(
      "CASE WHEN instr({0}, ' ') > 0 THEN CAST(substr({0}, instr({0}, ' ') + 1) AS INTEGER) END",
      column);
}

}  // namespace sentry::inspect
