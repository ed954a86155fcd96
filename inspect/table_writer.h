// TableWriter: turns one observation and its records into rows of the event
// log's tables (share/sql/): the raw `observation` and `record` rows, and
// the question-shaped tables (process, thread, wait, signal, stop, process
// groups, sessions, divergence). The `exit` timeline is a view over
// `record` (002_exit_view.sql): nothing to write for it.
//
// Runs on the log's writer thread, inside the writer's transaction. Every
// live-path write is an append or an update by primary key (the process
// and thread rows as their tasks exit, when those rows were written by an
// earlier batch: BatchRows); which rows are still open (a stop, a group
// membership, a live pid) is kept here, not looked up.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "inspect/batch_rows.h"
#include "inspect/row_buffer.h"
#include "inspect/span_rows.h"
#include "inspect/sqlite.h"
#include "sentry/kernel/observation.h"
#include "sentry/kernel/record.h"

namespace sentry::inspect {

// What the model knew of a task the moment it was created, read on the
// tracer thread (the writer cannot ask the model later: it has moved on).
struct TaskFacts {
  std::uint64_t utid = 0;
  std::uint64_t upid = 0;
  std::vector<std::int32_t> ns_tids;  // outermost first
  std::int32_t ppid = 0;              // root pid of its parent process (0: outside)
  std::int32_t pgid = 0;
  std::int32_t sid = 0;
  bool leader = false;
  std::string comm;
  std::vector<std::string> argv;
};

// One observation as the tracer handed it over.
struct LogEntry {
  std::uint64_t seq = 0;
  kernel::Observation observation;
  std::vector<kernel::Record> records;
  std::vector<TaskFacts> created;  // one per kTaskCreated record, in order
};

class TableWriter {
 public:
  // Prepares every statement; the error is SQLite's.
  static std::expected<TableWriter, std::string> Create(Database& db, std::int64_t run_id,
                                                        std::int64_t start_time_ns);

  std::expected<void, std::string> Write(const LogEntry& entry);
  // Before the batch's transaction commits: writes the rows still buffered
  // and the run row's counters.
  std::expected<void, std::string> FinishBatch();

 private:
  enum Stmt : std::uint8_t {
    kObservation,
    kRecord,
    kThread,
    kThreadExit,
    kThreadEnd,
    kProcess,
    kProcessExec,
    kProcessExit,
    kProcessZombie,
    kProcessReaped,
    kProcessParent,
    kProcessGroup,
    kProcessGroupGone,
    kSession,
    kSessionGone,
    kMember,
    kMemberLeave,
    kWait,
    kSignal,
    kStop,
    kStopEnd,
    kDivergence,
    kRunCounts,
    kStmtCount,
  };

  TableWriter(std::int64_t run_id, std::int64_t start_time_ns);
  // The append-only tables, written through RowBuffers.
  static bool Buffered(Stmt stmt);
  RowBuffer& Buf(Stmt stmt);
  std::int64_t Ts(std::int64_t time_ns) const { return time_ns - start_time_ns_; }
  std::expected<void, std::string> WriteRecord(const LogEntry& entry, const kernel::Record& r,
                                               std::size_t idx, const TaskFacts* facts);
  std::expected<void, std::string> OnTaskCreated(const LogEntry& entry, const kernel::Record& r,
                                                 const TaskFacts& facts);
  std::expected<void, std::string> OnReaped(const kernel::Record& r);
  std::expected<void, std::string> OnWait(const LogEntry& entry, const kernel::Record& r);
  std::expected<void, std::string> OnStopChanged(const kernel::Record& r);
  // A thread's exit_ts (kThreadExit) or end_ts (kThreadEnd), unless set.
  std::expected<void, std::string> ThreadTime(Stmt which, std::uint64_t utid, std::int64_t ts);
  std::expected<void, std::string> JoinGroup(std::uint64_t upid, std::int32_t pgid,
                                             std::int64_t ts);
  std::expected<void, std::string> LeaveGroup(std::uint64_t upid, std::int64_t ts);
  // Writes the spans kept in the open batch (SpanRows::Flush).
  std::expected<void, std::string> FlushSpans();
  // 0 (unknown) becomes NULL.
  static std::optional<std::int64_t> OrNull(std::uint64_t id);
  std::optional<std::int64_t> UpidOf(std::uint64_t utid) const;
  // A live process's pid and current name (its last exec's comm).
  struct Name {
    std::int32_t pid = 0;
    std::string comm;
  };
  const Name* NameOf(std::uint64_t upid) const;

  // The thread and process tables' rows, as BatchRows keeps them.
  struct ThreadRow {
    std::int64_t utid = 0;
    std::int64_t tid = 0;
    std::string ns_tids;
    std::int64_t upid = 0;
    std::optional<std::int64_t> creator_utid;
    std::optional<std::int64_t> clone_flags;
    std::int64_t is_main_thread = 0;
    std::int64_t start_ts = 0;
    std::optional<std::int64_t> exit_ts;
    std::optional<std::int64_t> end_ts;
  };
  struct ProcessRow {
    std::int64_t upid = 0;
    std::int64_t pid = 0;
    std::string ns_pids;
    std::optional<std::int64_t> parent_upid;
    std::int64_t ppid = 0;
    std::optional<std::int64_t> creator_utid;
    std::string comm;
    std::string argv;  // JSON array
    std::int64_t exit_signal = 0;
    std::int64_t start_ts = 0;
    std::int64_t exec_count = 0;
    std::optional<std::int64_t> exit_ts;
    std::optional<std::int64_t> zombie_ts;
    std::optional<std::int64_t> reaped_ts;
    std::optional<std::int64_t> wait_status;
    std::optional<std::int64_t> exit_code;
    std::optional<std::int64_t> exit_signo;
    std::optional<std::int64_t> core_dumped;
    std::optional<std::int64_t> reaper_upid;
    std::optional<std::int64_t> reap_cause;
    std::optional<std::int64_t> last_parent_upid;
  };

  // The span tables' rows (SpanRows keeps them while the batch is open).
  struct MemberRow {
    std::int64_t upid = 0;
    std::int64_t pgid = 0;
    std::int64_t sid = 0;
    std::int64_t join_ts = 0;
    std::optional<std::int64_t> leave_ts;
  };
  struct GroupRow {
    std::int64_t pgid = 0;
    std::int64_t sid = 0;
    std::int64_t created_ts = 0;
    std::optional<std::int64_t> creator_utid;
    std::optional<std::int64_t> gone_ts;
  };
  struct SessionRow {
    std::int64_t sid = 0;
    std::optional<std::int64_t> leader_utid;
    std::int64_t created_ts = 0;
    std::optional<std::int64_t> gone_ts;
  };
  struct StopRow {
    std::int64_t utid = 0;
    std::int64_t upid = 0;
    std::int64_t tid = 0;
    std::int64_t kind = 0;
    std::optional<std::int64_t> signo;
    std::int64_t start_seq = 0;
    std::int64_t start_ts = 0;
    std::optional<std::int64_t> end_seq;
    std::optional<std::int64_t> end_ts;
  };

  std::int64_t run_id_;
  std::int64_t start_time_ns_;
  std::vector<Statement> stmts_;                   // by Stmt; empty where Buffered
  std::vector<std::optional<RowBuffer>> buffers_;  // by Stmt; set where Buffered

  std::uint64_t observations_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t divergences_ = 0;
  std::unordered_map<std::uint64_t, std::uint64_t> upid_of_;      // utid -> upid
  std::unordered_map<std::uint64_t, std::uint64_t> leader_of_;    // upid -> leader utid
  std::unordered_map<std::int32_t, std::uint64_t> live_pid_;      // root pid -> upid
  std::unordered_map<std::uint64_t, std::int64_t> stop_signal_;   // upid -> group stop signal
  std::unordered_map<std::int32_t, std::int32_t> group_session_;  // live pgid -> sid
  std::unordered_map<std::uint64_t, kernel::Usage> cpu_used_;     // upid -> its threads' usage
  std::unordered_map<std::uint64_t, Name> names_;                 // live upid -> pid, comm
  std::vector<std::uint64_t> released_;          // processes reaped by the entry being written
  BatchRows<ThreadRow> new_threads_;             // by utid: inserted in the open batch
  BatchRows<ProcessRow> new_processes_;          // by upid: inserted in the open batch
  SpanRows<std::uint64_t, MemberRow> members_;   // by upid: its group membership
  SpanRows<std::int32_t, GroupRow> groups_;      // by pgid
  SpanRows<std::int32_t, SessionRow> sessions_;  // by sid
  SpanRows<std::uint64_t, StopRow> stops_;       // by utid: its internal stop
};

}  // namespace sentry::inspect
