#include "inspect/db_replay.h"

#include <fmt/format.h>

#include "sentry/kernel/json_codec.h"

namespace sentry::inspect {

std::expected<std::uint64_t, std::string> ReplayRun(
    Database& db, std::int64_t run_id, std::uint64_t at, kernel::Kernel& model,
    const std::function<void(std::span<const kernel::Record>)>& on_records) {
  auto stmt = db.Prepare(
      "SELECT seq, body FROM observation WHERE run_id = ?1 AND (?2 = 0 OR seq <= ?2) ORDER BY seq");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, run_id).Bind(2, static_cast<std::int64_t>(at));
  std::uint64_t applied = 0;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    auto decoded = kernel::DecodeObservation(stmt->Text(1));
    if (!decoded) {
      return std::unexpected(
          fmt::format("run {} observation {}: {}", run_id, stmt->Int(0), decoded.error()));
    }
    const auto records = model.Apply(decoded->observation);
    if (on_records) on_records(records);
    ++applied;
  }
  return applied;
}

}  // namespace sentry::inspect
