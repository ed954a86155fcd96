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
    n.to_namespace_.Note(kernel::TaskUid(static_cast<std::uint64_t>(stmt->Int(0))), host, ns);
    if (ns != 0) n.to_host_[ns].push_back(host);
  }
  return n;
}

std::optional<std::int32_t> PidNumbering::Shown(std::int32_t host_id) const {
  if (!in_namespace_) return host_id;
  const auto id = to_namespace_.Find({}, host_id);
  if (!id || *id == 0) return std::nullopt;
  return id;
}

PidNumbering PidNumbering::AtMoment(const std::vector<kernel::TaskInfo>& tasks) const {
  PidNumbering at = *this;
  if (!in_namespace_) return at;
  for (const kernel::TaskInfo& t : tasks) {
    at.to_namespace_.Note(t.uid, t.root_tid, t.nspid.size() > 1 ? t.nspid[1] : 0);
  }
  return at;
}

std::string PidNumbering::Label(std::int64_t host_id) const {
  return kernel::IdInWords(Shown(static_cast<std::int32_t>(host_id)), host_id);
}

std::vector<std::int32_t> PidNumbering::HostIdsOf(std::int32_t id) const {
  if (!in_namespace_) return {id};
  if (const auto it = to_host_.find(id); it != to_host_.end()) return it->second;
  if (to_namespace_.Find({}, id)) return {id};
  return {};
}

kernel::Narrator::NamespaceIds PidNumbering::ForNarrator() const {
  // A copy: the narrator may outlive this numbering.
  return [ids = to_namespace_](kernel::TaskUid task, std::int32_t host_id) {
    return ids.Find(task, host_id).value_or(0);
  };
}

std::string PidNumbering::NamespaceIdSql(std::string_view column) {
  return fmt::format(
      "CASE WHEN instr({0}, ' ') > 0 THEN CAST(substr({0}, instr({0}, ' ') + 1) AS INTEGER) END",
      column);
}

}  // namespace sentry::inspect
