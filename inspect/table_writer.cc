#include "inspect/table_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <utility>

#include "inspect/observation_columns.h"
#include "inspect/words.h"
#include "sentry/kernel/abi.h"
#include "sentry/kernel/json_text.h"
#include "sentry/kernel/task_stop.h"

namespace sentry::inspect {

namespace {

using kernel::RecordKind;
namespace abi = kernel::abi;

// The statements, in TableWriter::Stmt order. ?1 is always run_id. Each
// spans several adjacent literals, on purpose.
// NOLINTBEGIN(bugprone-suspicious-missing-comma)
constexpr std::string_view kSql[] = {
    // kObservation
    "INSERT INTO observation (run_id, seq, time_ns, kind, tid, a, b, c, d, e, f, g, text, list) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    // kRecord
    "INSERT INTO record (run_id, seq, idx, time_ns, kind, utid, tid, other_utid, other_tid, "
    "value, value2, detail, rule) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
    "?13)",
    // kThread
    "INSERT INTO thread (run_id, utid, tid, ns_tids, upid, creator_utid, clone_flags, "
    "is_main_thread, start_ts, exit_ts, end_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    "?11)",
    // kThreadExit
    "UPDATE thread SET exit_ts = coalesce(exit_ts, ?3) WHERE run_id = ?1 AND utid = ?2",
    // kThreadEnd
    "UPDATE thread SET end_ts = coalesce(end_ts, ?3) WHERE run_id = ?1 AND utid = ?2",
    // kProcess
    "INSERT INTO process (run_id, upid, pid, ns_pids, parent_upid, ppid, creator_utid, comm, "
    "argv, exit_signal, start_ts, exec_count, exit_ts, zombie_ts, reaped_ts, wait_status, "
    "exit_code, exit_signo, core_dumped, reaper_upid, reap_cause, last_parent_upid) VALUES (?1, "
    "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "
    "?22)",
    // kProcessExec
    "UPDATE process SET comm = ?3, argv = ?4, exec_count = exec_count + 1 WHERE run_id = ?1 AND "
    "upid = ?2",
    // kProcessExit
    "UPDATE process SET exit_ts = coalesce(exit_ts, ?3) WHERE run_id = ?1 AND upid = ?2",
    // kProcessZombie
    "UPDATE process SET exit_ts = coalesce(exit_ts, ?3), zombie_ts = ?3, wait_status = ?4, "
    "exit_code = ?5, exit_signo = ?6, core_dumped = ?7 WHERE run_id = ?1 AND upid = ?2",
    // kProcessReaped
    "UPDATE process SET reaped_ts = ?3, reaper_upid = ?4, reap_cause = ?5, "
    "wait_status = coalesce(wait_status, ?6), exit_code = coalesce(exit_code, ?7), "
    "exit_signo = coalesce(exit_signo, ?8), core_dumped = coalesce(core_dumped, ?9), "
    "zombie_ts = coalesce(zombie_ts, ?3), exit_ts = coalesce(exit_ts, ?3) "
    "WHERE run_id = ?1 AND upid = ?2",
    // kProcessParent
    "UPDATE process SET last_parent_upid = ?3 WHERE run_id = ?1 AND upid = ?2",
    // kProcessGroup
    "INSERT INTO process_group (run_id, pgid, sid, created_ts, creator_utid, gone_ts) VALUES (?1, "
    "?2, ?3, ?4, ?5, ?6)",
    // kProcessGroupGone
    "UPDATE process_group SET gone_ts = ?2 WHERE rowid = ?3 AND run_id = ?1",
    // kSession
    "INSERT INTO session (run_id, sid, leader_utid, created_ts, gone_ts) VALUES (?1, ?2, ?3, ?4, "
    "?5)",
    // kSessionGone
    "UPDATE session SET gone_ts = ?2 WHERE rowid = ?3 AND run_id = ?1",
    // kMember
    "INSERT INTO process_group_member (run_id, upid, pgid, sid, join_ts, leave_ts) VALUES (?1, ?2, "
    "?3, ?4, ?5, ?6)",
    // kMemberLeave
    "UPDATE process_group_member SET leave_ts = ?2 WHERE rowid = ?3 AND run_id = ?1",
    // kWait
    "INSERT INTO wait (run_id, seq, ts, waiter_utid, waiter_upid, waiter_tid, idtype, id, "
    "options, result, errno, target_utid, target_upid, cld_code, status, consumed, "
    "child_utime_ns, child_stime_ns, waiter_pid, waiter_comm, options_text, returned, target_pid, "
    "target_comm) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
    "?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
    // kSignal
    "INSERT INTO signal (run_id, seq, ts, receiver_utid, receiver_tid, sender_utid, sender_tid, "
    "signo, si_code, delivered, cause) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    // kStop
    "INSERT INTO stop (run_id, utid, upid, tid, kind, signo, start_seq, start_ts, end_seq, end_ts) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    // kStopEnd
    "UPDATE stop SET end_seq = ?2, end_ts = ?3 WHERE rowid = ?4 AND run_id = ?1",
    // kDivergence
    "INSERT INTO divergence (run_id, seq, ts, utid, tid, other_utid, other_tid, model, host, "
    "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    // kRunCounts
    "UPDATE run SET observations = ?2, records = ?3, divergences = ?4 WHERE run_id = ?1",
};
// NOLINTEND(bugprone-suspicious-missing-comma)

std::string JoinIds(const std::vector<std::int32_t>& ids) {
  std::string out;
  for (const std::int32_t id : ids) {
    if (!out.empty()) out += ' ';
    out += std::to_string(id);
  }
  return out;
}

std::int64_t Bool(bool b) {
  return b ? 1 : 0;
}

// SQL's coalesce(field, value) for a row kept in memory.
void Coalesce(std::optional<std::int64_t>& field, std::optional<std::int64_t> value) {
  if (!field) field = value;
}

// A wait status's exit code, or its signal and core flag, as the process
// row has them.
struct ExitColumns {
  std::optional<std::int64_t> code;
  std::optional<std::int64_t> signo;
  std::int64_t core = 0;
};
ExitColumns ExitColumnsOf(std::int64_t wait_status) {
  const auto es = kernel::ExitStatus::FromWaitStatus(static_cast<std::uint32_t>(wait_status));
  if (es.Signaled()) return {.code = std::nullopt, .signo = es.signo, .core = Bool(es.core)};
  return {.code = es.code, .signo = std::nullopt, .core = Bool(es.core)};
}

}  // namespace

static_assert(std::size(kSql) == 23, "one statement per TableWriter::Stmt");

TableWriter::TableWriter(std::int64_t run_id, std::int64_t start_time_ns)
    : run_id_(run_id), start_time_ns_(start_time_ns) {}

std::expected<TableWriter, std::string> TableWriter::Create(Database& db, std::int64_t run_id,
                                                            std::int64_t start_time_ns) {
  TableWriter writer(run_id, start_time_ns);
  for (std::size_t i = 0; i < std::size(kSql); ++i) {
    const std::string_view sql = kSql[i];
    writer.stmts_.emplace_back();
    writer.buffers_.emplace_back();
    if (Buffered(static_cast<Stmt>(i))) {
      const auto params =
          std::count(sql.begin() + static_cast<std::ptrdiff_t>(sql.find("VALUES")), sql.end(), '?');
      auto buffer = RowBuffer::Create(db, sql, static_cast<int>(params));
      if (!buffer) return std::unexpected(std::string(sql.substr(0, 40)) + "…: " + buffer.error());
      writer.buffers_.back() = std::move(*buffer);
      continue;
    }
    auto stmt = db.Prepare(sql);
    if (!stmt) return std::unexpected(std::string(sql.substr(0, 40)) + "…: " + stmt.error());
    writer.stmts_.back() = std::move(*stmt);
  }
  return writer;
}

std::optional<std::int64_t> TableWriter::OrNull(std::uint64_t id) {
  if (id == 0) return std::nullopt;
  return static_cast<std::int64_t>(id);
}

const TableWriter::Name* TableWriter::NameOf(std::uint64_t upid) const {
  const auto it = names_.find(upid);
  return it != names_.end() ? &it->second : nullptr;
}

std::optional<std::int64_t> TableWriter::UpidOf(std::uint64_t utid) const {
  const auto it = upid_of_.find(utid);
  if (it == upid_of_.end()) return std::nullopt;
  return static_cast<std::int64_t>(it->second);
}

bool TableWriter::Buffered(Stmt stmt) {
  return stmt == kObservation || stmt == kRecord || stmt == kWait || stmt == kSignal ||
         stmt == kDivergence || stmt == kThread || stmt == kProcess || stmt == kProcessGroup ||
         stmt == kSession || stmt == kMember || stmt == kStop;
}

RowBuffer& TableWriter::Buf(Stmt stmt) {
  std::optional<RowBuffer>& buffer = buffers_[stmt];
  if (!buffer) std::abort();  // Create made one for every Buffered statement
  return *buffer;
}

std::expected<void, std::string> TableWriter::FinishBatch() {
  if (auto done = FlushSpans(); !done) return done;
  for (const ThreadRow& t : new_threads_.Rows()) {
    RowBuffer& b = Buf(kThread);
    b.Bind(1, run_id_)
        .Bind(2, t.utid)
        .Bind(3, t.tid)
        .Bind(4, std::string_view(t.ns_tids))
        .Bind(5, t.upid)
        .Bind(6, t.creator_utid)
        .Bind(7, t.clone_flags)
        .Bind(8, t.is_main_thread)
        .Bind(9, t.start_ts)
        .Bind(10, t.exit_ts)
        .Bind(11, t.end_ts);
    if (auto done = b.Add(); !done) return done;
  }
  new_threads_.Clear();
  for (const ProcessRow& p : new_processes_.Rows()) {
    RowBuffer& b = Buf(kProcess);
    b.Bind(1, run_id_)
        .Bind(2, p.upid)
        .Bind(3, p.pid)
        .Bind(4, std::string_view(p.ns_pids))
        .Bind(5, p.parent_upid)
        .Bind(6, p.ppid)
        .Bind(7, p.creator_utid)
        .Bind(8, std::string_view(p.comm))
        .Bind(9, std::string_view(p.argv))
        .Bind(10, p.exit_signal)
        .Bind(11, p.start_ts)
        .Bind(12, p.exec_count)
        .Bind(13, p.exit_ts)
        .Bind(14, p.zombie_ts)
        .Bind(15, p.reaped_ts)
        .Bind(16, p.wait_status)
        .Bind(17, p.exit_code)
        .Bind(18, p.exit_signo)
        .Bind(19, p.core_dumped)
        .Bind(20, p.reaper_upid)
        .Bind(21, p.reap_cause)
        .Bind(22, p.last_parent_upid);
    if (auto done = b.Add(); !done) return done;
  }
  new_processes_.Clear();
  for (auto& buffer : buffers_) {
    if (!buffer) continue;
    if (auto done = buffer->Flush(); !done) return done;
  }
  Statement& s = stmts_[kRunCounts];
  s.Bind(1, run_id_)
      .Bind(2, static_cast<std::int64_t>(observations_))
      .Bind(3, static_cast<std::int64_t>(records_))
      .Bind(4, static_cast<std::int64_t>(divergences_));
  return s.Run();
}

std::expected<void, std::string> TableWriter::Write(const LogEntry& entry) {
  const kernel::Observation& obs = entry.observation;
  const ObservationColumns cols = ToColumns(obs);
  RowBuffer& o = Buf(kObservation);
  o.Bind(1, run_id_)
      .Bind(2, static_cast<std::int64_t>(entry.seq))
      .Bind(3, obs.time_ns)
      .Bind(4, cols.kind)
      .Bind(5, cols.tid);
  for (std::size_t i = 0; i < cols.ints.size(); ++i) o.Bind(6 + static_cast<int>(i), cols.ints[i]);
  if (cols.text) {
    o.Bind(13, std::string_view(*cols.text));
  } else {
    o.BindNull(13);
  }
  if (cols.list) {
    o.Bind(14, std::string_view(*cols.list));
  } else {
    o.BindNull(14);
  }
  if (auto done = o.Add(); !done) return done;
  ++observations_;
  if (const auto* end = std::get_if<kernel::ExitEnd>(&obs.body)) {
    for (const kernel::Record& r : entry.records) {
      // The exiting thread's CPU time counts toward its process's.
      if (r.tid == end->tid) {
        if (auto upid = UpidOf(r.task.value)) {
          cpu_used_[static_cast<std::uint64_t>(*upid)].Accumulate(end->usage);
        }
        break;
      }
    }
  }
  std::size_t created = 0;
  for (std::size_t i = 0; i < entry.records.size(); ++i) {
    const kernel::Record& r = entry.records[i];
    const TaskFacts* facts = nullptr;
    if (r.kind == RecordKind::kTaskCreated && created < entry.created.size()) {
      facts = &entry.created[created++];
    }
    if (auto done = WriteRecord(entry, r, i, facts); !done) return done;
  }
  for (const std::uint64_t upid : released_) {
    names_.erase(upid);
    cpu_used_.erase(upid);
  }
  released_.clear();
  return {};
}

std::expected<void, std::string> TableWriter::WriteRecord(const LogEntry& entry,
                                                          const kernel::Record& r, std::size_t idx,
                                                          const TaskFacts* facts) {
  ++records_;
  RowBuffer& rec = Buf(kRecord);
  rec.Bind(1, run_id_)
      .Bind(2, static_cast<std::int64_t>(r.seq))
      .Bind(3, static_cast<std::int64_t>(idx))
      .Bind(4, r.time_ns)
      .Bind(5, static_cast<std::int64_t>(r.kind))
      .Bind(6, static_cast<std::int64_t>(r.task.value))
      .Bind(7, std::int64_t{r.tid.value})
      .Bind(8, static_cast<std::int64_t>(r.other_task.value))
      .Bind(9, std::int64_t{r.other_tid.value})
      .Bind(10, r.value)
      .Bind(11, r.value2)
      .Bind(12, r.detail)
      .Bind(13, static_cast<std::int64_t>(r.rule));
  if (auto done = rec.Add(); !done) return done;

  const std::int64_t ts = Ts(r.time_ns);
  const std::uint64_t utid = r.task.value;
  const auto upid = UpidOf(utid);
  switch (r.kind) {
    case RecordKind::kTaskCreated:
      if (facts != nullptr) return OnTaskCreated(entry, r, *facts);
      return {};
    case RecordKind::kExec: {
      if (!upid) return {};
      // The exec-ing thread leads its process from now on (a non-leader's
      // exec takes the leader's place).
      leader_of_[static_cast<std::uint64_t>(*upid)] = utid;
      if (auto it = names_.find(static_cast<std::uint64_t>(*upid)); it != names_.end())
        it->second.comm = r.detail;
      const auto* exec = std::get_if<kernel::Exec>(&entry.observation.body);
      std::string argv =
          exec != nullptr ? kernel::JsonText(nlohmann::json(exec->argv)) : std::string("[]");
      if (ProcessRow* row = new_processes_.Find(static_cast<std::uint64_t>(*upid))) {
        row->comm = r.detail;
        row->argv = std::move(argv);
        ++row->exec_count;
        return {};
      }
      Statement& s = stmts_[kProcessExec];
      return s.Bind(1, run_id_).Bind(2, *upid).Bind(3, r.detail).Bind(4, argv).Run();
    }
    case RecordKind::kExitInitiated: {
      if (auto done = ThreadTime(kThreadExit, utid, ts); !done) return done;
      const bool leader = upid && leader_of_[static_cast<std::uint64_t>(*upid)] == utid;
      if (upid && (r.value2 != 0 || leader)) {
        if (ProcessRow* row = new_processes_.Find(static_cast<std::uint64_t>(*upid))) {
          Coalesce(row->exit_ts, ts);
        } else {
          Statement& p = stmts_[kProcessExit];
          if (auto done = p.Bind(1, run_id_).Bind(2, *upid).Bind(3, ts).Run(); !done) return done;
        }
      }
      return {};
    }
    case RecordKind::kZombie: {
      if (auto done = ThreadTime(kThreadEnd, utid, ts); !done) return done;
      if (upid) {
        const ExitColumns exit = ExitColumnsOf(r.value);
        if (ProcessRow* row = new_processes_.Find(static_cast<std::uint64_t>(*upid))) {
          Coalesce(row->exit_ts, ts);
          row->zombie_ts = ts;
          row->wait_status = r.value;
          row->exit_code = exit.code;
          row->exit_signo = exit.signo;
          row->core_dumped = exit.core;
        } else {
          Statement& p = stmts_[kProcessZombie];
          p.Bind(1, run_id_).Bind(2, *upid).Bind(3, ts).Bind(4, r.value);
          p.Bind(5, exit.code).Bind(6, exit.signo).Bind(7, exit.core);
          if (auto done = p.Run(); !done) return done;
        }
      }
      return {};
    }
    case RecordKind::kParentNotified:
      return {};  // in `record` only; the `exit` view shows it
    case RecordKind::kReaped:
      return OnReaped(r);
    case RecordKind::kReparented: {
      if (!upid) return {};
      if (ProcessRow* row = new_processes_.Find(static_cast<std::uint64_t>(*upid))) {
        row->last_parent_upid = UpidOf(r.other_task.value);
        return {};
      }
      Statement& s = stmts_[kProcessParent];
      return s.Bind(1, run_id_).Bind(2, *upid).Bind(3, UpidOf(r.other_task.value)).Run();
    }
    case RecordKind::kSessionCreated:
      sessions_.Begin(static_cast<std::int32_t>(r.value), SessionRow{.sid = r.value,
                                                                     .leader_utid = OrNull(utid),
                                                                     .created_ts = ts,
                                                                     .gone_ts = std::nullopt});
      return {};
    case RecordKind::kSessionGone: {
      const auto in_file = sessions_.End(static_cast<std::int32_t>(r.value),
                                         [ts](SessionRow& row) { row.gone_ts = ts; });
      if (!in_file) return {};
      return stmts_[kSessionGone].Bind(1, run_id_).Bind(2, ts).Bind(3, *in_file).Run();
    }
    case RecordKind::kProcessGroupCreated: {
      const auto pgid = static_cast<std::int32_t>(r.value);
      groups_.Begin(pgid, GroupRow{.pgid = r.value,
                                   .sid = r.value2,
                                   .created_ts = ts,
                                   .creator_utid = OrNull(utid),
                                   .gone_ts = std::nullopt});
      group_session_[pgid] = static_cast<std::int32_t>(r.value2);
      return {};
    }
    case RecordKind::kProcessGroupGone: {
      const auto pgid = static_cast<std::int32_t>(r.value);
      group_session_.erase(pgid);
      const auto in_file = groups_.End(pgid, [ts](GroupRow& row) { row.gone_ts = ts; });
      if (!in_file) return {};
      return stmts_[kProcessGroupGone].Bind(1, run_id_).Bind(2, ts).Bind(3, *in_file).Run();
    }
    case RecordKind::kProcessGroupJoined: {
      if (!upid) return {};
      const auto process = static_cast<std::uint64_t>(*upid);
      if (auto done = LeaveGroup(process, ts); !done) return done;
      return JoinGroup(process, static_cast<std::int32_t>(r.value), ts);
    }
    case RecordKind::kGroupStopInitiated:
      if (upid) stop_signal_[static_cast<std::uint64_t>(*upid)] = r.value;
      return {};
    case RecordKind::kStopChanged:
      return OnStopChanged(r);
    case RecordKind::kSignalDelivered:
    case RecordKind::kSignalPredicted: {
      const bool delivered = r.kind == RecordKind::kSignalDelivered;
      RowBuffer& s = Buf(kSignal);
      s.Bind(1, run_id_)
          .Bind(2, static_cast<std::int64_t>(r.seq))
          .Bind(3, ts)
          .Bind(4, static_cast<std::int64_t>(utid))
          .Bind(5, std::int64_t{r.tid.value})
          .Bind(6, OrNull(r.other_task.value))
          .Bind(7, r.other_tid ? std::optional<std::int64_t>(r.other_tid.value) : std::nullopt)
          .Bind(8, r.value)
          .Bind(9, delivered ? std::optional<std::int64_t>(r.value2) : std::nullopt)
          .Bind(10, Bool(delivered))
          .Bind(11, delivered ? std::nullopt : std::optional<std::int64_t>(r.value2));
      return s.Add();
    }
    case RecordKind::kWaitReturned:
      return OnWait(entry, r);
    case RecordKind::kDivergence: {
      ++divergences_;
      RowBuffer& s = Buf(kDivergence);
      s.Bind(1, run_id_)
          .Bind(2, static_cast<std::int64_t>(r.seq))
          .Bind(3, ts)
          .Bind(4, OrNull(utid))
          .Bind(5, r.tid ? std::optional<std::int64_t>(r.tid.value) : std::nullopt)
          .Bind(6, OrNull(r.other_task.value))
          .Bind(7, r.other_tid ? std::optional<std::int64_t>(r.other_tid.value) : std::nullopt)
          .Bind(8, r.value)
          .Bind(9, r.value2)
          .Bind(10, r.detail);
      return s.Add();
    }
    case RecordKind::kCloneFailed:
    case RecordKind::kSyscallResult:
    case RecordKind::kGroupStopCompleted:
    case RecordKind::kGroupContinued:
    case RecordKind::kDispositionChanged:
    case RecordKind::kSubreaperChanged:
    case RecordKind::kPdeathsigChanged:
    case RecordKind::kForegroundChanged:
    case RecordKind::kNamespaceCreated:
      return {};  // in `record` only
  }
  return {};
}

std::expected<void, std::string> TableWriter::OnTaskCreated(const LogEntry& entry,
                                                            const kernel::Record& r,
                                                            const TaskFacts& facts) {
  const std::int64_t ts = Ts(r.time_ns);
  const auto* clone = std::get_if<kernel::Clone>(&entry.observation.body);
  upid_of_[facts.utid] = facts.upid;
  new_threads_.Add(
      facts.utid,
      ThreadRow{.utid = static_cast<std::int64_t>(facts.utid),
                .tid = r.tid.value,
                .ns_tids = JoinIds(facts.ns_tids),
                .upid = static_cast<std::int64_t>(facts.upid),
                .creator_utid = clone != nullptr ? OrNull(r.other_task.value) : std::nullopt,
                .clone_flags = clone != nullptr ? std::optional<std::int64_t>(
                                                      static_cast<std::int64_t>(clone->flags))
                                                : std::nullopt,
                .is_main_thread = Bool(facts.leader),
                .start_ts = ts,
                .exit_ts = std::nullopt,
                .end_ts = std::nullopt});
  if (!facts.leader) return {};

  leader_of_[facts.upid] = facts.utid;
  live_pid_[r.tid.value] = facts.upid;
  names_[facts.upid] = Name{.pid = r.tid.value, .comm = facts.comm};
  std::optional<std::int64_t> parent;
  if (const auto it = live_pid_.find(facts.ppid); facts.ppid != 0 && it != live_pid_.end()) {
    parent = static_cast<std::int64_t>(it->second);
  }
  ProcessRow row;
  row.upid = static_cast<std::int64_t>(facts.upid);
  row.pid = r.tid.value;
  row.ns_pids = JoinIds(facts.ns_tids);
  row.parent_upid = parent;
  row.ppid = facts.ppid;
  row.creator_utid = clone != nullptr ? OrNull(r.other_task.value) : std::nullopt;
  row.comm = facts.comm;
  row.argv = kernel::JsonText(nlohmann::json(facts.argv));
  row.exit_signal = r.value2;
  row.start_ts = ts;
  row.last_parent_upid = parent;  // reparentings move it
  new_processes_.Add(facts.upid, std::move(row));
  group_session_.try_emplace(facts.pgid, facts.sid);
  return JoinGroup(facts.upid, facts.pgid, ts);
}

std::expected<void, std::string> TableWriter::OnReaped(const kernel::Record& r) {
  const std::int64_t ts = Ts(r.time_ns);
  const std::uint64_t utid = r.task.value;
  if (auto done = ThreadTime(kThreadEnd, utid, ts); !done) return done;
  const auto upid = UpidOf(utid);
  upid_of_.erase(utid);
  stops_.Forget(utid);
  const auto cause = static_cast<kernel::ReapCause>(r.value2);
  if (!upid) return {};
  const auto process = static_cast<std::uint64_t>(*upid);
  // A thread, or the old leader a non-leader's exec replaced: the process lives on.
  if (cause == kernel::ReapCause::kExec || leader_of_[process] != utid) return {};
  const ExitColumns exit = ExitColumnsOf(r.value);
  // The reaper may be gone from the live maps only after this record.
  const std::optional<std::int64_t> reaper = UpidOf(r.other_task.value);
  if (ProcessRow* row = new_processes_.Find(process)) {
    row->reaped_ts = ts;
    row->reaper_upid = reaper;
    row->reap_cause = r.value2;
    Coalesce(row->wait_status, r.value);
    Coalesce(row->exit_code, exit.code);
    Coalesce(row->exit_signo, exit.signo);
    Coalesce(row->core_dumped, exit.core);
    Coalesce(row->zombie_ts, ts);
    Coalesce(row->exit_ts, ts);
  } else {
    Statement& p = stmts_[kProcessReaped];
    p.Bind(1, run_id_)
        .Bind(2, *upid)
        .Bind(3, ts)
        .Bind(4, reaper)
        .Bind(5, r.value2)
        .Bind(6, r.value)
        .Bind(7, exit.code)
        .Bind(8, exit.signo)
        .Bind(9, exit.core);
    if (auto done = p.Run(); !done) return done;
  }
  if (auto done = LeaveGroup(process, ts); !done) return done;
  if (const auto it = live_pid_.find(r.tid.value); it != live_pid_.end() && it->second == process)
    live_pid_.erase(it);
  leader_of_.erase(process);
  stop_signal_.erase(process);
  released_.push_back(process);  // its name and CPU time serve this entry's wait record too
  return {};
}

std::expected<void, std::string> TableWriter::OnWait(const LogEntry& entry,
                                                     const kernel::Record& r) {
  const auto* done_obs = std::get_if<kernel::WaitDone>(&entry.observation.body);
  if (done_obs == nullptr) return {};
  const std::uint32_t options = done_obs->request.options;
  const bool reported = r.value > 0;
  const bool consumed = reported && (options & abi::kWNOWAIT) == 0;
  const int code = static_cast<int>(r.value2);
  const bool exit_event =
      code == abi::kCLD_EXITED || code == abi::kCLD_KILLED || code == abi::kCLD_DUMPED;
  const auto target_upid = UpidOf(r.other_task.value);
  std::optional<std::int64_t> utime;
  std::optional<std::int64_t> stime;
  if (consumed && exit_event && target_upid) {
    const kernel::Usage& used = cpu_used_[static_cast<std::uint64_t>(*target_upid)];
    utime = used.utime_ns;
    stime = used.stime_ns;
  }
  const auto waiter_upid = UpidOf(r.task.value);
  const Name* waiter = waiter_upid ? NameOf(static_cast<std::uint64_t>(*waiter_upid)) : nullptr;
  const Name* target =
      reported && target_upid ? NameOf(static_cast<std::uint64_t>(*target_upid)) : nullptr;
  // A status is what the waiter got. Where the host did not say (no status
  // pointer, or the waiter died before the tracer read it) the column stays
  // empty, and the words say what the model knows the event was.
  const bool told = done_obs->code != 0;
  std::string returned = WaitResultInWords(r.value, code, done_obs->status);
  if (reported && !told) {
    std::optional<std::int64_t> reaped_status;
    for (const kernel::Record& other : entry.records) {
      if (other.kind == kernel::RecordKind::kReaped && other.task == r.other_task)
        reaped_status = other.value;
    }
    std::string event = code == abi::kCLD_STOPPED     ? "stopped"
                        : code == abi::kCLD_CONTINUED ? "continued"
                                                      : "reported";
    if (exit_event && reaped_status) {
      // A reap's wait status, as wait4 would have returned it.
      const auto got = kernel::FromWait4Status(static_cast<std::uint32_t>(*reaped_status));
      event = WaitResultInWords(r.value, got.code, got.status);
    }
    returned =
        fmt::format("{} (its status not read: the waiter asked for none, or died first)", event);
  }
  RowBuffer& s = Buf(kWait);
  s.Bind(19, std::int64_t{waiter != nullptr ? waiter->pid : r.tid.value})
      .Bind(20, waiter != nullptr ? std::string_view(waiter->comm) : std::string_view("?"))
      .Bind(21, WaitOptionsInWords(options))
      .Bind(22, std::string_view(returned))
      .Bind(23, target != nullptr ? std::optional<std::int64_t>(target->pid) : std::nullopt);
  if (target != nullptr) {
    s.Bind(24, std::string_view(target->comm));
  } else {
    s.BindNull(24);
  }
  s.Bind(1, run_id_)
      .Bind(2, static_cast<std::int64_t>(r.seq))
      .Bind(3, Ts(r.time_ns))
      .Bind(4, static_cast<std::int64_t>(r.task.value))
      .Bind(5, waiter_upid.value_or(0))
      .Bind(6, std::int64_t{r.tid.value})
      .Bind(7, std::int64_t{done_obs->request.idtype})
      .Bind(8, std::int64_t{done_obs->request.id})
      .Bind(9, std::int64_t{options})
      .Bind(10, r.value)
      .Bind(11, r.value < 0 ? std::optional<std::int64_t>(-r.value) : std::nullopt)
      .Bind(12, reported ? OrNull(r.other_task.value) : std::nullopt)
      .Bind(13, reported ? target_upid : std::nullopt)
      .Bind(14, reported ? std::optional<std::int64_t>(code) : std::nullopt)
      .Bind(15, reported && told ? std::optional<std::int64_t>(done_obs->status) : std::nullopt)
      .Bind(16, reported ? std::optional<std::int64_t>(Bool(consumed)) : std::nullopt)
      .Bind(17, utime)
      .Bind(18, stime);
  return s.Add();
}

std::expected<void, std::string> TableWriter::OnStopChanged(const kernel::Record& r) {
  const std::uint64_t utid = r.task.value;
  const std::int64_t ts = Ts(r.time_ns);
  const auto kind = static_cast<kernel::StopKind>(r.value);
  const auto seq = static_cast<std::int64_t>(r.seq);
  const auto in_file = stops_.End(utid, [seq, ts](StopRow& row) {
    row.end_seq = seq;
    row.end_ts = ts;
  });
  if (in_file) {
    Statement& end = stmts_[kStopEnd];
    if (auto done = end.Bind(1, run_id_).Bind(2, seq).Bind(3, ts).Bind(4, *in_file).Run(); !done)
      return done;
  }
  if (kind == kernel::StopKind::kNone) return {};
  const auto upid = UpidOf(utid);
  std::optional<std::int64_t> signo;
  if (kind == kernel::StopKind::kGroupStop && upid) {
    if (const auto it = stop_signal_.find(static_cast<std::uint64_t>(*upid));
        it != stop_signal_.end())
      signo = it->second;
  }
  stops_.Begin(utid, StopRow{.utid = static_cast<std::int64_t>(utid),
                             .upid = upid.value_or(0),
                             .tid = r.tid.value,
                             .kind = r.value,
                             .signo = signo,
                             .start_seq = seq,
                             .start_ts = ts,
                             .end_seq = std::nullopt,
                             .end_ts = std::nullopt});
  return {};
}

std::expected<void, std::string> TableWriter::ThreadTime(Stmt which, std::uint64_t utid,
                                                         std::int64_t ts) {
  if (ThreadRow* row = new_threads_.Find(utid)) {
    Coalesce(which == kThreadExit ? row->exit_ts : row->end_ts, ts);
    return {};
  }
  Statement& s = stmts_[which];
  return s.Bind(1, run_id_).Bind(2, OrNull(utid)).Bind(3, ts).Run();
}

std::expected<void, std::string> TableWriter::JoinGroup(std::uint64_t upid, std::int32_t pgid,
                                                        std::int64_t ts) {
  const auto sid = group_session_.find(pgid);
  members_.Begin(upid, MemberRow{.upid = static_cast<std::int64_t>(upid),
                                 .pgid = pgid,
                                 .sid = sid != group_session_.end() ? sid->second : 0,
                                 .join_ts = ts,
                                 .leave_ts = std::nullopt});
  return {};
}

std::expected<void, std::string> TableWriter::LeaveGroup(std::uint64_t upid, std::int64_t ts) {
  const auto in_file = members_.End(upid, [ts](MemberRow& row) { row.leave_ts = ts; });
  if (!in_file) return {};
  return stmts_[kMemberLeave].Bind(1, run_id_).Bind(2, ts).Bind(3, *in_file).Run();
}

std::expected<void, std::string> TableWriter::FlushSpans() {
  // A row whose columns are bound: on its own for its rowid (`alone`), or
  // appended with the others.
  auto write = [](RowBuffer& b, bool alone) -> std::expected<std::int64_t, std::string> {
    if (alone) return b.AddNow();
    if (auto done = b.Add(); !done) return std::unexpected(done.error());
    return 0;
  };
  auto member = [&](const MemberRow& m, bool alone) {
    return write(Buf(kMember)
                     .Bind(1, run_id_)
                     .Bind(2, m.upid)
                     .Bind(3, m.pgid)
                     .Bind(4, m.sid)
                     .Bind(5, m.join_ts)
                     .Bind(6, m.leave_ts),
                 alone);
  };
  auto group = [&](const GroupRow& g, bool alone) {
    return write(Buf(kProcessGroup)
                     .Bind(1, run_id_)
                     .Bind(2, g.pgid)
                     .Bind(3, g.sid)
                     .Bind(4, g.created_ts)
                     .Bind(5, g.creator_utid)
                     .Bind(6, g.gone_ts),
                 alone);
  };
  auto session = [&](const SessionRow& s, bool alone) {
    return write(Buf(kSession)
                     .Bind(1, run_id_)
                     .Bind(2, s.sid)
                     .Bind(3, s.leader_utid)
                     .Bind(4, s.created_ts)
                     .Bind(5, s.gone_ts),
                 alone);
  };
  auto stop = [&](const StopRow& s, bool alone) {
    return write(Buf(kStop)
                     .Bind(1, run_id_)
                     .Bind(2, s.utid)
                     .Bind(3, s.upid)
                     .Bind(4, s.tid)
                     .Bind(5, s.kind)
                     .Bind(6, s.signo)
                     .Bind(7, s.start_seq)
                     .Bind(8, s.start_ts)
                     .Bind(9, s.end_seq)
                     .Bind(10, s.end_ts),
                 alone);
  };
  auto done = members_.Flush(member);
  if (done) done = groups_.Flush(group);
  if (done) done = sessions_.Flush(session);
  if (done) done = stops_.Flush(stop);
  return done;
}

}  // namespace sentry::inspect
