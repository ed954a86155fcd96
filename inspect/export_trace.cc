#include "inspect/export_trace.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

namespace sentry::inspect {

namespace {

using Json = nlohmann::ordered_json;

double Micros(std::int64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

// Runs `sql` with ?1 = run and calls `row` for each result row.
std::expected<void, std::string> ForEach(Database& db, std::string_view sql, std::int64_t run,
                                         const auto& row) {
  auto stmt = db.Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, run);
  for (;;) {
    auto more = stmt->Step();
    if (!more) return std::unexpected(more.error());
    if (!*more) return {};
    row(*stmt);
  }
}

std::optional<std::int64_t> Opt(const Statement& s, int col) {
  if (s.IsNull(col)) return std::nullopt;
  return s.Int(col);
}

}  // namespace

std::expected<void, std::string> ExportChromeTrace(Database& db, std::int64_t run,
                                                   const PidNumbering& numbering,
                                                   std::ostream& out) {
  auto end = db.QueryInt(fmt::format(
      "SELECT coalesce(max(time_ns) - (SELECT start_time_ns FROM run WHERE run_id = {0}), 0) "
      "FROM observation WHERE run_id = {0}",
      run));
  if (!end) return std::unexpected(end.error());
  const std::int64_t run_end = *end;
  Json events = Json::array();
  std::map<std::int64_t, std::int64_t> upid_of;  // utid -> upid (the trace's pid)

  // Processes: a named track each, sorted by pid.
  auto done = ForEach(
      db, "SELECT upid, pid, comm, status FROM process_summary WHERE run_id = ?1", run,
      [&](const Statement& s) {
        const std::int64_t upid = s.Int(0);
        events.push_back(
            {{"ph", "M"},
             {"name", "process_name"},
             {"pid", upid},
             {"args",
              {{"name", fmt::format("{} (pid {})", s.Text(2), numbering.Label(s.Int(1)))}}}});
        events.push_back({{"ph", "M"},
                          {"name", "process_sort_index"},
                          {"pid", upid},
                          {"args", {{"sort_index", upid}}}});
      });
  // Threads: named, with their life as a slice.
  if (done) {
    done = ForEach(
        db,
        "SELECT t.utid, t.upid, t.tid, p.comm, t.start_ts, coalesce(t.end_ts, t.exit_ts), "
        "t.is_main_thread FROM thread t JOIN process p ON p.run_id = t.run_id AND p.upid = "
        "t.upid WHERE t.run_id = ?1",
        run, [&](const Statement& s) {
          const std::int64_t utid = s.Int(0);
          const std::int64_t upid = s.Int(1);
          upid_of[utid] = upid;
          const std::string name = fmt::format("{} {}", s.Text(3), numbering.Label(s.Int(2)));
          events.push_back({{"ph", "M"},
                            {"name", "thread_name"},
                            {"pid", upid},
                            {"tid", utid},
                            {"args", {{"name", name}}}});
          const std::int64_t start = s.Int(4);
          const std::int64_t stop = Opt(s, 5).value_or(run_end);
          events.push_back({{"ph", "X"},
                            {"name", s.Int(6) != 0 ? "process " + name : "thread " + name},
                            {"cat", "lifetime"},
                            {"pid", upid},
                            {"tid", utid},
                            {"ts", Micros(start)},
                            {"dur", Micros(std::max<std::int64_t>(stop - start, 0))}});
        });
  }
  // Stops as slices on their thread.
  if (done) {
    done = ForEach(db,
                   "SELECT s.utid, k.name, sn.name, s.start_ts, s.end_ts FROM stop s JOIN "
                   "stop_kind k ON k.id = s.kind LEFT JOIN signal_name sn ON sn.signo = s.signo "
                   "WHERE s.run_id = ?1",
                   run, [&](const Statement& s) {
                     const std::int64_t utid = s.Int(0);
                     std::string name = fmt::format("stopped: {}", s.Text(1));
                     if (!s.IsNull(2)) name += fmt::format(" ({})", s.Text(2));
                     const std::int64_t start = s.Int(3);
                     const std::int64_t stop = Opt(s, 4).value_or(run_end);
                     events.push_back({{"ph", "X"},
                                       {"name", name},
                                       {"cat", "stop"},
                                       {"pid", upid_of[utid]},
                                       {"tid", utid},
                                       {"ts", Micros(start)},
                                       {"dur", Micros(std::max<std::int64_t>(stop - start, 0))}});
                   });
  }
  // Signals, as instants on the receiving thread.
  if (done) {
    done = ForEach(db,
                   "SELECT s.receiver_utid, sn.name, s.ts, s.delivered, s.sender_tid, c.name FROM "
                   "signal s JOIN signal_name sn ON sn.signo = s.signo LEFT JOIN signal_cause c "
                   "ON c.id = s.cause WHERE s.run_id = ?1",
                   run, [&](const Statement& s) {
                     const std::int64_t utid = s.Int(0);
                     const bool delivered = s.Int(3) != 0;
                     Json args = {{"sender", s.IsNull(4) ? Json("kernel") : Json(s.Int(4))}};
                     if (!s.IsNull(5)) args["cause"] = s.Text(5);
                     events.push_back(
                         {{"ph", "i"},
                          {"s", "t"},
                          {"name", fmt::format("{}{}", s.Text(1), delivered ? "" : " (predicted)")},
                          {"cat", "signal"},
                          {"pid", upid_of[utid]},
                          {"tid", utid},
                          {"ts", Micros(s.Int(2))},
                          {"args", args}});
                   });
  }
  // Exit steps on the exiting thread.
  if (done) {
    done = ForEach(db, "SELECT utid, step, ts, wait_status FROM exit WHERE run_id = ?1", run,
                   [&](const Statement& s) {
                     const std::int64_t utid = s.Int(0);
                     Json ev = {{"ph", "i"},
                                {"s", "t"},
                                {"name", std::string(s.Text(1))},
                                {"cat", "exit"},
                                {"pid", upid_of[utid]},
                                {"tid", utid},
                                {"ts", Micros(s.Int(2))}};
                     if (!s.IsNull(3)) ev["args"] = {{"wait_status", s.Int(3)}};
                     events.push_back(std::move(ev));
                   });
  }
  // Waits on the waiting thread; a flow from the child's exit to each wait that reaped it.
  std::int64_t flow = 0;
  if (done) {
    done = ForEach(
        db,
        "SELECT w.waiter_utid, w.ts, w.returned, w.options_text, h.target, w.target_utid, "
        "w.consumed, w.cld_code, (SELECT t.exit_ts FROM thread t WHERE t.run_id = w.run_id AND "
        "t.utid = w.target_utid) FROM wait w JOIN wait_history h ON h.run_id = w.run_id AND "
        "h.seq = w.seq WHERE w.run_id = ?1",
        run, [&](const Statement& s) {
          const std::int64_t waiter = s.Int(0);
          const double ts = Micros(s.Int(1));
          events.push_back({{"ph", "i"},
                            {"s", "t"},
                            {"name", fmt::format("wait: {}", s.Text(2))},
                            {"cat", "wait"},
                            {"pid", upid_of[waiter]},
                            {"tid", waiter},
                            {"ts", ts},
                            {"args", {{"asked", s.Text(4)}, {"options", s.Text(3)}}}});
          const bool reaped = !s.IsNull(5) && s.Int(6) != 0 && s.Int(7) >= 1 && s.Int(7) <= 3;
          if (!reaped || s.IsNull(8)) return;
          const std::int64_t child = s.Int(5);
          ++flow;
          events.push_back({{"ph", "s"},
                            {"id", flow},
                            {"name", "reaped by"},
                            {"cat", "reap"},
                            {"pid", upid_of[child]},
                            {"tid", child},
                            {"ts", Micros(s.Int(8))}});
          events.push_back({{"ph", "f"},
                            {"bp", "e"},
                            {"id", flow},
                            {"name", "reaped by"},
                            {"cat", "reap"},
                            {"pid", upid_of[waiter]},
                            {"tid", waiter},
                            {"ts", ts}});
        });
  }
  if (!done) return std::unexpected(done.error());
  const Json trace = {{"displayTimeUnit", "ms"}, {"traceEvents", std::move(events)}};
  out << trace.dump() << '\n';
  return {};
}

}  // namespace sentry::inspect
