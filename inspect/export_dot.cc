#include "inspect/export_dot.h"

#include <fmt/format.h>

namespace sentry::inspect {

namespace {

// A dot string literal's body.
std::string Quoted(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::expected<void, std::string> ExportDot(Database& db, std::int64_t run, std::ostream& out) {
  auto stmt = db.Prepare(
      "SELECT upid, pid, comm, coalesce(status, state), parent_upid, last_parent_upid, "
      "reaper_upid FROM process_summary WHERE run_id = ?1 ORDER BY upid");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, run);
  std::string nodes;
  std::string edges;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const Statement& s = *stmt;
    const std::int64_t upid = s.Int(0);
    nodes += fmt::format("  p{} [label=\"{} {}\\n{}\"];\n", upid, s.Int(1), Quoted(s.Text(2)),
                         Quoted(s.Text(3)));
    if (!s.IsNull(4)) edges += fmt::format("  p{} -> p{};\n", s.Int(4), upid);
    if (!s.IsNull(5) && (s.IsNull(4) || s.Int(5) != s.Int(4))) {
      edges += fmt::format("  p{} -> p{} [style=dashed, label=\"adopted\"];\n", s.Int(5), upid);
    }
    if (!s.IsNull(6) && (s.IsNull(4) || s.Int(6) != s.Int(4)) &&
        (s.IsNull(5) || s.Int(6) != s.Int(5))) {
      edges +=
          fmt::format("  p{} -> p{} [color=red, style=bold, label=\"reaped\"];\n", s.Int(6), upid);
    }
  }
  out << fmt::format("digraph \"sentry run {}\" {{\n  node [shape=box, fontname=monospace];\n", run)
      << nodes << edges << "}\n";
  return {};
}

}  // namespace sentry::inspect
