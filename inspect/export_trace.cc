#include "inspect/export_trace.h"

#include <fmt/format.h>

#include <optional>
#include <unordered_map>

#include "inspect/json_stream.h"

namespace sentry::inspect {

namespace {

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
  std::unordered_map<std::int64_t, std::int64_t> upid_of;  // utid -> upid (the trace's pid)
  JsonStream json(out);
  json.OpenObject().Member("displayTimeUnit", "ms").Key("traceEvents").OpenArray();
  // An event's first members: its phase, then name, category, track.
  auto begin = [&](std::string_view ph, std::string_view name) -> JsonStream& {
    return json.OpenObject().Member("ph", ph).Member("name", name);
  };
  auto on_thread = [&](std::int64_t utid) -> JsonStream& {
    return json.Member("pid", upid_of[utid]).Member("tid", utid);
  };
  // Times are microseconds; the log's are nanoseconds.
  auto micros = [&](std::string_view key, std::int64_t ns) -> JsonStream& {
    return json.Key(key).Thousandths(ns);
  };
  auto slice = [&](std::int64_t start, std::optional<std::int64_t> stop) {
    micros("ts", start);
    micros("dur", std::max<std::int64_t>(stop.value_or(run_end) - start, 0));
  };

  // Processes: a named track each, sorted by pid.
  auto done = ForEach(
      db, "SELECT upid, pid, comm, status FROM process_summary WHERE run_id = ?1", run,
      [&](const Statement& s) {
        const std::int64_t upid = s.Int(0);
        begin("M", "process_name").Member("pid", upid).Key("args").OpenObject();
        json.Member("name", fmt::format("{} (pid {})", s.Text(2), numbering.Label(s.Int(1))));
        json.Close().Close();
        begin("M", "process_sort_index").Member("pid", upid);
        json.Key("args").OpenObject().Member("sort_index", upid).Close().Close();
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
          upid_of[utid] = s.Int(1);
          const std::string name = fmt::format("{} {}", s.Text(3), numbering.Label(s.Int(2)));
          begin("M", "thread_name");
          on_thread(utid).Key("args").OpenObject().Member("name", name).Close().Close();
          begin("X", (s.Int(6) != 0 ? "process " : "thread ") + name).Member("cat", "lifetime");
          on_thread(utid);
          slice(s.Int(4), Opt(s, 5));
          json.Close();
        });
  }
  // Stops as slices on their thread.
  if (done) {
    done = ForEach(db,
                   "SELECT s.utid, k.name, sn.name, s.start_ts, s.end_ts FROM stop s JOIN "
                   "stop_kind k ON k.id = s.kind LEFT JOIN signal_name sn ON sn.signo = s.signo "
                   "WHERE s.run_id = ?1",
                   run, [&](const Statement& s) {
                     std::string name = fmt::format("stopped: {}", s.Text(1));
                     if (!s.IsNull(2)) name += fmt::format(" ({})", s.Text(2));
                     begin("X", name).Member("cat", "stop");
                     on_thread(s.Int(0));
                     slice(s.Int(3), Opt(s, 4));
                     json.Close();
                   });
  }
  // Signals, as instants on the receiving thread.
  if (done) {
    done = ForEach(db,
                   "SELECT s.receiver_utid, sn.name, s.ts, s.delivered, s.sender_tid, c.name FROM "
                   "signal s JOIN signal_name sn ON sn.signo = s.signo LEFT JOIN signal_cause c "
                   "ON c.id = s.cause WHERE s.run_id = ?1",
                   run, [&](const Statement& s) {
                     const bool delivered = s.Int(3) != 0;
                     json.OpenObject().Member("ph", "i").Member("s", "t");
                     json.Member("name",
                                 fmt::format("{}{}", s.Text(1), delivered ? "" : " (predicted)"));
                     json.Member("cat", "signal");
                     on_thread(s.Int(0));
                     micros("ts", s.Int(2));
                     json.Key("args").OpenObject().Key("sender");
                     if (s.IsNull(4)) {
                       json.Value("kernel");
                     } else {
                       json.Value(s.Int(4));
                     }
                     if (!s.IsNull(5)) json.Member("cause", s.Text(5));
                     json.Close().Close();
                   });
  }
  // Exit steps on the exiting thread.
  if (done) {
    done = ForEach(db, "SELECT utid, step, ts, wait_status FROM exit WHERE run_id = ?1", run,
                   [&](const Statement& s) {
                     json.OpenObject().Member("ph", "i").Member("s", "t");
                     json.Member("name", s.Text(1)).Member("cat", "exit");
                     on_thread(s.Int(0));
                     micros("ts", s.Int(2));
                     if (!s.IsNull(3))
                       json.Key("args").OpenObject().Member("wait_status", s.Int(3)).Close();
                     json.Close();
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
          const std::int64_t ts = s.Int(1);
          json.OpenObject().Member("ph", "i").Member("s", "t");
          json.Member("name", fmt::format("wait: {}", s.Text(2))).Member("cat", "wait");
          on_thread(waiter);
          micros("ts", ts).Key("args").OpenObject();
          json.Member("asked", s.Text(4)).Member("options", s.Text(3)).Close().Close();
          const bool reaped = !s.IsNull(5) && s.Int(6) != 0 && s.Int(7) >= 1 && s.Int(7) <= 3;
          if (!reaped || s.IsNull(8)) return;
          ++flow;
          json.OpenObject().Member("ph", "s").Member("id", flow).Member("name", "reaped by");
          json.Member("cat", "reap");
          on_thread(s.Int(5));
          micros("ts", s.Int(8)).Close();
          json.OpenObject().Member("ph", "f").Member("bp", "e").Member("id", flow);
          json.Member("name", "reaped by").Member("cat", "reap");
          on_thread(waiter);
          micros("ts", ts).Close();
        });
  }
  if (!done) return std::unexpected(done.error());
  json.Close().Close();
  json.Flush();
  out << '\n';
  return {};
}

}  // namespace sentry::inspect
