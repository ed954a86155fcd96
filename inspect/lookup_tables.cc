#include "inspect/lookup_tables.h"

#include <string.h>  // strerrorname_np (glibc)

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

#include "inspect/observation_columns.h"
#include "inspect/words.h"
#include "sentry/kernel/abi.h"
#include "sentry/kernel/narrate.h"
#include "sentry/kernel/record.h"
#include "sentry/kernel/task_stop.h"

namespace sentry::inspect {

namespace {

namespace abi = kernel::abi;

// What a record's generic fields mean, per kind (record.h's table, in words).
std::string_view RecordMeaning(kernel::RecordKind kind) {
  using K = kernel::RecordKind;
  switch (kind) {
    case K::kTaskCreated:
      return "subject: new task; other: its creator; value: tgid; value2: exit signal";
    case K::kCloneFailed:
      return "subject: caller; value: errno; value2: clone flags";
    case K::kExec:
      return "subject: exec-ing task; value: tid before; value2: tid after";
    case K::kExitInitiated:
      return "subject: task; value: wait status; value2: 1 for a group exit";
    case K::kZombie:
      return "subject: task; value: wait status";
    case K::kParentNotified:
      return "subject: exited leader; other: parent; value: signal sent; value2: 1 if ignored";
    case K::kReaped:
      return "subject: reaped task; other: reaper (0: automatic); value: wait status; value2: "
             "reap_cause";
    case K::kReparented:
      return "subject: child; other: new parent; value: old parent tid; value2: 1 when the host "
             "showed an exiting adopter the model had passed over";
    case K::kSessionCreated:
      return "subject: leader; value: sid";
    case K::kSessionGone:
      return "value: sid";
    case K::kProcessGroupCreated:
      return "subject: originator; value: pgid; value2: sid";
    case K::kProcessGroupGone:
      return "value: pgid; value2: sid";
    case K::kProcessGroupJoined:
      return "subject: thread group leader; value: new pgid; value2: old pgid";
    case K::kSyscallResult:
      return "subject: caller; other: target; value: result; value2: 0 setsid 1 setpgid 2 wait "
             "3 clone";
    case K::kGroupStopInitiated:
      return "subject: first thread; value: stop signal";
    case K::kGroupStopCompleted:
      return "subject: last thread; other: parent notified; value: stop signal";
    case K::kGroupContinued:
      return "subject: leader; value: 1 if it interrupted an initiated stop";
    case K::kStopChanged:
      return "subject: task; value: stop_kind; value2: external stop count";
    case K::kSignalDelivered:
      return "subject: receiver; other: sender; value: signal; value2: si_code";
    case K::kSignalPredicted:
      return "subject: receiver (leader); other: cause task; value: signal; value2: signal_cause";
    case K::kWaitReturned:
      return "subject: waiter; other: child reported; value: result; value2: CLD code";
    case K::kDispositionChanged:
      return "subject: leader; value: 0 SIG_DFL 1 SIG_IGN 2 handler; value2: SA_NOCLDWAIT";
    case K::kSubreaperChanged:
      return "subject: leader; value: 1 subreaper, 0 not";
    case K::kPdeathsigChanged:
      return "subject: task; value: signal";
    case K::kForegroundChanged:
      return "subject: session leader; value: foreground pgid; value2: tty_nr";
    case K::kNamespaceCreated:
      return "subject: init task; value: depth";
    case K::kDivergence:
      return "subject: task concerned; other: other party; value: model; value2: host";
  }
  return "";
}

std::expected<void, std::string> Insert(Database& db, std::string_view sql, const auto& fill_rows) {
  auto stmt = db.Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  std::expected<void, std::string> result;
  fill_rows([&](std::int64_t id, std::string_view name, std::string_view extra) {
    if (!result) return;
    stmt->Bind(1, id).Bind(2, name);
    if (sqlite3_bind_parameter_count(stmt->Get()) >= 3) stmt->Bind(3, extra);
    result = stmt->Run();
  });
  return result;
}

}  // namespace

std::expected<void, std::string> FillLookupTables(Database& db) {
  using kernel::RecordKind;
  auto done = Insert(db, "INSERT INTO record_kind VALUES (?, ?, ?)", [](auto row) {
    for (int k = 0; k <= static_cast<int>(RecordKind::kDivergence); ++k) {
      const auto kind = static_cast<RecordKind>(k);
      row(k, kernel::RecordKindName(kind), RecordMeaning(kind));
    }
  });
  if (done) {
    auto stmt = db.Prepare("INSERT INTO observation_kind VALUES (?, ?)");
    if (!stmt) return std::unexpected(stmt.error());
    for (const auto& [kind, columns] : ObservationKindMeanings()) {
      if (done) done = stmt->Bind(1, kind).Bind(2, columns).Run();
    }
  }
  if (done) {
    done = Insert(db, "INSERT INTO signal_name VALUES (?, ?)", [](auto row) {
      for (int s = 1; s <= abi::kMaxSignal; ++s) row(s, abi::SignalName(s), "");
    });
  }
  if (done) {
    done = Insert(db, "INSERT INTO errno_name VALUES (?, ?, ?)", [](auto row) {
      for (int e = 1; e < 4096; ++e) {
        const char* name = ::strerrorname_np(e);
        if (name != nullptr) row(e, name, ::strerror(e));
      }
      // The kernel-internal restart codes a traced syscall can show.
      row(512, "ERESTARTSYS", "interrupted; restarted if the handler allows");
      row(513, "ERESTARTNOINTR", "interrupted; always restarted");
      row(514, "ERESTARTNOHAND", "interrupted; restarted if no handler ran");
      row(516, "ERESTART_RESTARTBLOCK", "interrupted; restarted by restart_syscall");
    });
  }
  if (done) {
    done = Insert(db, "INSERT INTO reap_cause VALUES (?, ?)", [](auto row) {
      for (int c = 0; c <= static_cast<int>(kernel::ReapCause::kNamespaceExit); ++c)
        row(c, kernel::ReapCauseName(static_cast<kernel::ReapCause>(c)), "");
    });
  }
  if (done) {
    done = Insert(db, "INSERT INTO signal_cause VALUES (?, ?)", [](auto row) {
      for (int c = 0; c <= static_cast<int>(kernel::kLastSignalCause); ++c)
        row(c, kernel::SignalCauseName(static_cast<kernel::SignalCause>(c)), "");
    });
  }
  if (done) {
    done = Insert(db, "INSERT INTO stop_kind VALUES (?, ?)", [](auto row) {
      for (int k = 0; k <= static_cast<int>(kernel::StopKind::kTrace); ++k)
        row(k, kernel::StopKindName(static_cast<kernel::StopKind>(k)), "");
    });
  }
  if (done) {
    done = Insert(db, "INSERT INTO cld_code VALUES (?, ?)", [](auto row) {
      static constexpr std::array<std::string_view, 6> kNames = {
          "CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"};
      for (std::size_t i = 0; i < kNames.size(); ++i)
        row(static_cast<std::int64_t>(i + 1), kNames[i], "");
    });
  }
  if (done) {
    done = Insert(db, "INSERT INTO wait_option VALUES (?, ?)", [](auto row) {
      for (const auto& [bit, name] : kWaitOptions) row(bit, name, "");
    });
  }
  if (done) {
    done = Insert(db, "INSERT INTO si_code VALUES (?, ?)", [](auto row) {
      row(0, "SI_USER", "");
      row(0x80, "SI_KERNEL", "");
      row(-1, "SI_QUEUE", "");
      row(-2, "SI_TIMER", "");
      row(-3, "SI_MESGQ", "");
      row(-4, "SI_ASYNCIO", "");
      row(-5, "SI_SIGIO", "");
      row(-6, "SI_TKILL", "");
    });
  }
  return done;
}

std::expected<void, std::string> FillRuleTable(Database& db) {
  return Insert(db, "INSERT INTO rule VALUES (?, ?, ?)", [](auto row) {
    for (int r = 0; r <= static_cast<int>(kernel::kLastRule); ++r) {
      const auto rule = static_cast<kernel::Rule>(r);
      row(r, kernel::RuleName(rule), kernel::RuleInWords(rule));
    }
  });
}

}  // namespace sentry::inspect
