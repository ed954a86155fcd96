#include "tests/platform/database_check.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "tests/platform/platform_test_util.h"

namespace sentry::platform::testing {

namespace {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct Finalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;
using Stmt = std::unique_ptr<sqlite3_stmt, Finalize>;

Stmt Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &raw, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  return Stmt(raw);
}

std::int64_t QueryInt(sqlite3* db, const char* sql) {
  Stmt s = Prepare(db, sql);
  if (!s || sqlite3_step(s.get()) != SQLITE_ROW) return -1;
  return sqlite3_column_int64(s.get(), 0);
}

std::string Text(sqlite3_stmt* s, int col) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
  return text != nullptr ? text : "";
}

}  // namespace

void ExpectDatabaseMatchesLog(const std::string& db_path,
                              const std::vector<kernel::Record>& records, int exit_code) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK)
      << db_path;
  Db db(raw);
  {
    Stmt check = Prepare(db.get(), "PRAGMA integrity_check");
    ASSERT_EQ(sqlite3_step(check.get()), SQLITE_ROW);
    EXPECT_EQ(Text(check.get(), 0), "ok") << db_path;
  }
  EXPECT_EQ(QueryInt(db.get(), "SELECT count(*) FROM run"), 1) << db_path;
  Stmt run = Prepare(db.get(), "SELECT state, exit_code, records FROM run");
  ASSERT_EQ(sqlite3_step(run.get()), SQLITE_ROW);
  EXPECT_EQ(Text(run.get(), 0), "finished") << db_path;
  EXPECT_EQ(sqlite3_column_int64(run.get(), 1), exit_code) << db_path;
  EXPECT_EQ(sqlite3_column_int64(run.get(), 2), static_cast<std::int64_t>(records.size()));

  Stmt rows = Prepare(db.get(),
                      "SELECT r.seq, r.time_ns, k.name, r.utid, r.tid, r.other_utid, r.other_tid, "
                      "r.value, r.value2, r.detail FROM record r "
                      "JOIN record_kind k ON k.id = r.kind ORDER BY r.seq, r.idx");
  std::size_t i = 0;
  while (sqlite3_step(rows.get()) == SQLITE_ROW) {
    ASSERT_LT(i, records.size()) << "more records in the database than in the log";
    const kernel::Record& want = records[i++];
    sqlite3_stmt* s = rows.get();
    EXPECT_EQ(static_cast<std::uint64_t>(sqlite3_column_int64(s, 0)), want.seq);
    EXPECT_EQ(sqlite3_column_int64(s, 1), want.time_ns);
    EXPECT_EQ(Text(s, 2), kernel::RecordKindName(want.kind)) << "seq " << want.seq;
    EXPECT_EQ(static_cast<std::uint64_t>(sqlite3_column_int64(s, 3)), want.task.value);
    EXPECT_EQ(sqlite3_column_int64(s, 4), want.tid.value);
    EXPECT_EQ(static_cast<std::uint64_t>(sqlite3_column_int64(s, 5)), want.other_task.value);
    EXPECT_EQ(sqlite3_column_int64(s, 6), want.other_tid.value);
    EXPECT_EQ(sqlite3_column_int64(s, 7), want.value);
    EXPECT_EQ(sqlite3_column_int64(s, 8), want.value2);
    EXPECT_EQ(Text(s, 9), want.detail);
  }
  EXPECT_EQ(i, records.size()) << "records missing from the database";

  // The summary tables: a process row per leader created; those never
  // reaped are those the records leave unreaped (a non-leader's exec makes
  // it the leader, the old one reaped with it).
  std::int64_t leaders = 0;
  std::set<std::uint64_t> unreaped;
  for (const kernel::Record& r : records) {
    if (r.kind == kernel::RecordKind::kTaskCreated && r.tid.value == r.value) {
      ++leaders;
      unreaped.insert(r.task.value);
    } else if (r.kind == kernel::RecordKind::kExec) {
      unreaped.insert(r.task.value);
    } else if (r.kind == kernel::RecordKind::kReaped) {
      unreaped.erase(r.task.value);
    }
  }
  EXPECT_EQ(QueryInt(db.get(), "SELECT count(*) FROM process"), leaders) << db_path;
  EXPECT_EQ(QueryInt(db.get(), "SELECT count(*) FROM process WHERE reaped_ts IS NULL"),
            static_cast<std::int64_t>(unreaped.size()))
      << db_path;
  EXPECT_EQ(QueryInt(db.get(), "SELECT count(*) FROM thread"),
            QueryInt(db.get(),
                     "SELECT count(*) FROM record WHERE kind = "
                     "(SELECT id FROM record_kind WHERE name = 'task_created')"));
  EXPECT_EQ(QueryInt(db.get(), "SELECT count(*) FROM wait"),
            QueryInt(db.get(),
                     "SELECT count(*) FROM record WHERE kind = "
                     "(SELECT id FROM record_kind WHERE name = 'wait_returned')"));

  // Replaying the stored observations makes exactly the stored records.
  const Outcome replay = RunInNewSession({SENTRY_BINARY, "replay", "--db", db_path}, "db-replay");
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("(replay matches)"), std::string::npos) << replay.out << replay.err;
}

}  // namespace sentry::platform::testing
