#include "inspect/explain.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

#include "inspect/words.h"
#include "sentry/kernel/abi.h"
#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/record.h"

namespace sentry::inspect {

namespace {

namespace abi = kernel::abi;
using kernel::RecordKind;

struct ProcessRow {
  std::int64_t pid = 0;
  std::string comm;
};

// The run's names: which process each task belongs to, and each process's pid and name.
struct Names {
  std::map<std::int64_t, std::int64_t> upid_of;  // utid -> upid
  std::map<std::int64_t, ProcessRow> process;    // upid -> pid, comm

  std::string Process(std::int64_t utid, std::int64_t tid) const {
    const auto u = upid_of.find(utid);
    if (u == upid_of.end()) return tid != 0 ? fmt::format("{}", tid) : "someone outside";
    const auto p = process.find(u->second);
    if (p == process.end()) return fmt::format("{}", tid);
    return fmt::format("{} ({})", p->second.pid, p->second.comm);
  }
};

std::string Status(std::int64_t wait_status) {
  return ExitStatusInWords(
      kernel::ExitStatus::FromWaitStatus(static_cast<std::uint32_t>(wait_status)));
}

std::string CloneHow(std::optional<std::int64_t> flags) {
  if (!flags) return "";
  const auto f = static_cast<std::uint64_t>(*flags);
  std::vector<std::string> how;
  if ((f & abi::kCLONE_VFORK) != 0)
    how.emplace_back("vfork (the parent waited until it exec'd or exited)");
  if ((f & abi::kCLONE_PARENT) != 0) how.emplace_back("CLONE_PARENT (a sibling of its creator)");
  if ((f & abi::kCLONE_NEWPID) != 0) how.emplace_back("a new PID namespace");
  if ((f & abi::kCLONE_VM) != 0 && (f & abi::kCLONE_VFORK) == 0) how.emplace_back("shared memory");
  if (how.empty()) return " with fork";
  std::string out = " with ";
  for (std::size_t i = 0; i < how.size(); ++i) out += (i > 0 ? ", " : "") + how[i];
  return out;
}

std::expected<ResultTable, std::string> Fail(std::string error) {
  return std::unexpected(std::move(error));
}

}  // namespace

std::expected<ResultTable, std::string> ExplainProcess(Database& db, std::int64_t run,
                                                       ExplainTarget target) {
  // Which process: by upid, or the only one with this pid.
  std::int64_t upid = target.upid;
  if (upid == 0) {
    auto find = db.Prepare(
        "SELECT upid, comm, start_ts FROM process WHERE run_id = ? AND pid = ? ORDER BY upid");
    if (!find) return Fail(find.error());
    find->Bind(1, run).Bind(2, std::int64_t{target.pid});
    std::vector<std::string> candidates;
    for (;;) {
      auto row = find->Step();
      if (!row) return Fail(row.error());
      if (!*row) break;
      upid = find->Int(0);
      candidates.push_back(fmt::format("upid {} ({}, started at {:.3f}s)", find->Int(0),
                                       find->Text(1), static_cast<double>(find->Int(2)) / 1e9));
    }
    if (candidates.empty()) return Fail(fmt::format("run {} has no process {}", run, target.pid));
    if (candidates.size() > 1) {
      std::string list;
      for (const auto& c : candidates) list += (list.empty() ? "" : "; ") + c;
      return Fail(
          fmt::format("pid {} was used by {} processes in run {}: {}; choose one with "
                      "--upid",
                      target.pid, candidates.size(), run, list));
    }
  }

  Names names;
  {
    auto threads = db.Prepare("SELECT utid, upid FROM thread WHERE run_id = ?");
    if (!threads) return Fail(threads.error());
    threads->Bind(1, run);
    while (true) {
      auto row = threads->Step();
      if (!row) return Fail(row.error());
      if (!*row) break;
      names.upid_of[threads->Int(0)] = threads->Int(1);
    }
    auto processes = db.Prepare("SELECT upid, pid, comm FROM process WHERE run_id = ?");
    if (!processes) return Fail(processes.error());
    processes->Bind(1, run);
    while (true) {
      auto row = processes->Step();
      if (!row) return Fail(row.error());
      if (!*row) break;
      names.process[processes->Int(0)] = {processes->Int(1), std::string(processes->Text(2))};
    }
  }
  if (!names.process.contains(upid)) return Fail(fmt::format("run {} has no upid {}", run, upid));
  std::set<std::int64_t> mine;
  for (const auto& [utid, owner] : names.upid_of) {
    if (owner == upid) mine.insert(utid);
  }
  const ProcessRow& self = names.process[upid];

  // How it was created: its main thread's row.
  std::optional<std::int64_t> clone_flags;
  {
    auto first = db.Prepare(
        "SELECT clone_flags FROM thread WHERE run_id = ? AND upid = ? AND is_main_thread = 1");
    if (!first) return Fail(first.error());
    first->Bind(1, run).Bind(2, upid);
    if (auto row = first->Step(); row && *row && !first->IsNull(0)) clone_flags = first->Int(0);
  }

  auto records = db.Prepare(
      "SELECT r.seq, r.time_ns - run.start_time_ns, r.kind, r.utid, r.tid, r.other_utid, "
      "r.other_tid, r.value, r.value2, r.detail, "
      "CASE WHEN r.kind = ?3 THEN (SELECT o.list FROM observation o "
      "WHERE o.run_id = r.run_id AND o.seq = r.seq) END "
      "FROM record r JOIN run USING (run_id) WHERE r.run_id = ?1 ORDER BY r.seq, r.idx");
  if (!records) return Fail(records.error());
  records->Bind(1, run).Bind(3, static_cast<std::int64_t>(RecordKind::kExec));

  ResultTable t{.columns = {"seq", "time", "event"}, .rows = {}};
  std::map<std::int64_t, std::string> predicted_cause;  // signo -> why the kernel sends it
  bool reaped = false;
  bool zombie = false;
  for (;;) {
    auto row = records->Step();
    if (!row) return Fail(row.error());
    if (!*row) break;
    const auto& r = *records;
    const std::int64_t utid = r.Int(3);
    const std::int64_t other_utid = r.Int(5);
    const bool subject = mine.contains(utid);
    const bool other = other_utid != 0 && mine.contains(other_utid);
    if (!subject && !other) continue;
    const auto kind = static_cast<RecordKind>(r.Int(2));
    const std::int64_t tid = r.Int(4);
    const std::int64_t other_tid = r.Int(6);
    const std::int64_t value = r.Int(7);
    const std::int64_t value2 = r.Int(8);
    const bool main_thread = tid == self.pid;
    std::string text;
    switch (kind) {
      case RecordKind::kTaskCreated:
        if (subject && main_thread && value == tid) {
          text = other_utid == 0
                     ? fmt::format("pid {} ({}) was already running when the sentry started", tid,
                                   self.comm)
                     : fmt::format("started as pid {}, created by {}{}", tid,
                                   names.Process(other_utid, other_tid), CloneHow(clone_flags));
        } else if (subject) {
          text = fmt::format("thread {} created", tid);
        } else if (value == tid) {
          text = fmt::format("created child {}", names.Process(utid, tid));
        }
        break;
      case RecordKind::kExec: {
        std::string argv;
        if (!r.IsNull(10)) {
          const auto parsed = nlohmann::json::parse(r.Text(10), nullptr, false);
          if (parsed.is_array()) {
            for (const auto& a : parsed) argv += (argv.empty() ? "" : " ") + a.get<std::string>();
          }
        }
        text = fmt::format("exec'd {}", argv.empty() ? std::string(r.Text(9)) : argv);
        if (value != value2) text += fmt::format(" (from thread {}, which took the pid)", value);
        break;
      }
      case RecordKind::kExitInitiated:
        if (!subject) break;
        text = value2 != 0 ? fmt::format("began to exit, the whole process: {}", Status(value))
                           : fmt::format("thread {} began to exit: {}", tid, Status(value));
        break;
      case RecordKind::kZombie:
        if (!subject) break;
        zombie = true;
        text = fmt::format("became a zombie ({}): it stays one until its parent waits for it",
                           Status(value));
        break;
      case RecordKind::kParentNotified:
        if (!subject) break;
        text = value != 0
                   ? fmt::format("its parent {} was sent {}", names.Process(other_utid, other_tid),
                                 abi::SignalName(static_cast<int>(value)))
                   : fmt::format("its parent {} was not signalled",
                                 names.Process(other_utid, other_tid));
        if (value2 != 0) text += " (and ignores it: the child is reaped automatically)";
        break;
      case RecordKind::kReaped: {
        const auto cause = static_cast<kernel::ReapCause>(value2);
        if (subject && main_thread && cause != kernel::ReapCause::kExec &&
            cause != kernel::ReapCause::kThread) {
          reaped = true;
          text = cause == kernel::ReapCause::kWait
                     ? fmt::format("reaped by {} with a wait: {}",
                                   names.Process(other_utid, other_tid), Status(value))
                     : fmt::format("reaped automatically: {} ({})", kernel::ReapCauseName(cause),
                                   Status(value));
        } else if (!subject && cause == kernel::ReapCause::kWait) {
          text = fmt::format("reaped its child {}: {}", names.Process(utid, tid), Status(value));
        }
        break;
      }
      case RecordKind::kReparented:
        if (subject && value2 != 0) {
          text = fmt::format(
              "adopted by {} after all, which had not yet begun to exit (the host's "
              "answer)",
              names.Process(other_utid, other_tid));
        } else if (subject) {
          text = fmt::format("its parent {} exited: reparented to {}", value,
                             names.Process(other_utid, other_tid));
        } else {
          text = fmt::format("adopted {}", names.Process(utid, tid));
        }
        break;
      case RecordKind::kSessionCreated:
        if (subject) text = fmt::format("became the leader of new session {}", value);
        break;
      case RecordKind::kProcessGroupCreated:
        if (subject) text = fmt::format("process group {} created (session {})", value, value2);
        break;
      case RecordKind::kProcessGroupJoined:
        if (subject) text = fmt::format("moved from process group {} to {}", value2, value);
        break;
      case RecordKind::kGroupStopCompleted:
        if (subject) {
          text = fmt::format("stopped by {}; its parent {} was told",
                             abi::SignalName(static_cast<int>(value)),
                             names.Process(other_utid, other_tid));
        }
        break;
      case RecordKind::kGroupContinued:
        if (subject) text = value != 0 ? "continued before every thread had stopped" : "continued";
        break;
      case RecordKind::kSignalPredicted: {
        const auto cause = static_cast<kernel::SignalCause>(value2);
        if (subject && kernel::IsSentryCause(cause)) {
          // The sentry sent it: said when sent (a SIGKILL has no delivery).
          text = fmt::format("{}: {}", abi::SignalName(static_cast<int>(value)),
                             kernel::SignalCauseName(cause));
        } else if (subject) {
          predicted_cause[value] = kernel::SignalCauseName(cause);
        }
        break;
      }
      case RecordKind::kSignalDelivered: {
        const std::string signal(abi::SignalName(static_cast<int>(value)));
        if (subject) {
          std::string from =
              other_utid != 0 ? names.Process(other_utid, other_tid)
              : other_tid != 0
                  ? fmt::format("pid {} (outside the workload)", other_tid)
                  : std::string(value2 <= 0 ? "a process outside its PID namespace" : "the kernel");
          text = fmt::format("got {} from {}", signal, from);
          if (other_utid == 0 && predicted_cause.contains(value)) {
            text += ": " + predicted_cause[value];
            predicted_cause.erase(value);
          }
          if (!main_thread) text += fmt::format(" (thread {})", tid);
        } else {
          text = fmt::format("sent {} to {}", signal, names.Process(utid, tid));
        }
        break;
      }
      case RecordKind::kDispositionChanged:
        if (!subject) break;
        if (value == 1) {
          text = "set SIGCHLD to SIG_IGN: its children are reaped automatically";
        } else if (value2 != 0) {
          text = "set SA_NOCLDWAIT: its children are reaped automatically";
        } else {
          text = value == 2 ? "installed a SIGCHLD handler" : "set SIGCHLD back to SIG_DFL";
        }
        break;
      case RecordKind::kSubreaperChanged:
        if (subject)
          text = value != 0 ? "became a child subreaper: it adopts orphaned descendants"
                            : "stopped being a child subreaper";
        break;
      case RecordKind::kPdeathsigChanged:
        if (subject)
          text = fmt::format("asked for {} when its parent dies",
                             abi::SignalName(static_cast<int>(value)));
        break;
      case RecordKind::kNamespaceCreated:
        if (subject) text = fmt::format("is init (pid 1) of a new PID namespace");
        break;
      case RecordKind::kDivergence:
        text = fmt::format("DIVERGENCE (the host's fact won): {}", r.Text(9));
        break;
      default:
        break;
    }
    if (text.empty()) continue;
    t.rows.push_back(
        {Cell{.text = std::to_string(r.Int(0)), .number = true},
         Cell{.text = fmt::format("{:.6f}", static_cast<double>(r.Int(1)) / 1e9), .number = true},
         Cell{.text = std::move(text), .number = false}});
  }
  if (zombie && !reaped) {
    t.rows.push_back({Cell{}, Cell{},
                      Cell{.text = "the log ends with it still a zombie: `sentry inspect zombies` "
                                   "says why nobody reaped it",
                           .number = false}});
  }
  return t;
}

}  // namespace sentry::inspect
