// The event log's speed. Builds a realistic run of about RECORDS records
// (a shell running jobs, applied to the model), then, interleaved round by
// round:
//   db.ingest_records_per_sec   the log's TableWriter alone writing it, in
//                               the writer thread's batches and transactions
//   db.ingest_ceiling_per_sec   a bare prepared INSERT loop into a flat
//                               10-column table, same rows, same batches
//   db.ingest_floor_per_sec     the rows the writer left in the file (every
//                               table's, same columns and values) written
//                               again by bare 32-row INSERTs, with as many
//                               commits: what the log's content costs
//                               SQLite, with none of the writer's work
// and on the file the last round wrote:
//   db.waits_query_ms           `sentry inspect waits --format csv > /dev/null`
//   db.query_ms.tree            `sentry inspect tree --format csv > /dev/null`
//   db.processes                processes in the run
//   db.replay_records_per_sec   ReplayRun rebuilding the model from the file
//
//   bench_db SENTRY DIR [RECORDS [ROUNDS]]
#include <fcntl.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "bench/model_workload.h"
#include "inspect/db_replay.h"
#include "inspect/event_log.h"
#include "inspect/run_registry.h"
#include "inspect/schema.h"
#include "inspect/table_writer.h"
#include "sentry/kernel/kernel.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kBatch = 4096;  // what the writer thread commits at most at once

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "bench_db: %s\n", what.c_str());
  std::exit(1);
}

void Remove(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) unlink((path + suffix).c_str());
}

// The entries a live run of `target` records would hand the writer.
std::vector<sentry::inspect::LogEntry> MakeRun(std::size_t target, std::size_t& records) {
  sentry::kernel::Kernel model;
  std::vector<sentry::inspect::LogEntry> entries;
  std::uint64_t seq = 0;
  std::int64_t now = 1'000'000;
  auto apply = [&](sentry::kernel::Observation obs) {
    obs.time_ns = now += 1000;
    const auto out = model.Apply(obs);
    records += out.size();
    entries.push_back(sentry::inspect::MakeLogEntry(model, obs, ++seq, out));
  };
  for (const auto& obs : bench::ShellPrefix()) apply(obs);
  const auto block = bench::MakeBlock(2'000);
  while (records < target) {
    for (const auto& obs : block) apply(obs);
  }
  return entries;
}

// Writes `entries` as the log's writer does; returns the seconds it took.
double Ingest(const std::string& path, const std::vector<sentry::inspect::LogEntry>& entries) {
  Remove(path);
  auto db = sentry::inspect::OpenForWriting(path);
  if (!db) Fail(db.error());
  auto run = sentry::inspect::BeginRun(
      *db, {.argv = {"sh"}, .cwd = "/", .pidns = false, .start_time_ns = 0});
  if (!run) Fail(run.error());
  auto writer = sentry::inspect::TableWriter::Create(*db, *run, 0);
  if (!writer) Fail(writer.error());
  const auto start = Clock::now();
  for (std::size_t i = 0; i < entries.size(); i += kBatch) {
    auto done = db->Exec("BEGIN");
    for (std::size_t j = i; done && j < std::min(entries.size(), i + kBatch); ++j)
      done = writer->Write(entries[j]);
    if (done) done = writer->FinishBatch();
    if (done) done = db->Exec("COMMIT");
    if (!done) Fail(done.error());
  }
  const double took = Seconds(start);
  if (auto done = sentry::inspect::FinishRun(*db, *run, 0); !done) Fail(done.error());
  return took;
}

// The same number of rows through a bare prepared INSERT; seconds.
double Ceiling(const std::string& path, std::size_t rows) {
  Remove(path);
  auto db =
      sentry::inspect::Database::Open(path, sentry::inspect::Database::Mode::kReadWriteCreate);
  if (!db) Fail(db.error());
  if (auto done = db->Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE "
                           "flat (a INTEGER, b INTEGER, c INTEGER, d INTEGER, e INTEGER, f "
                           "INTEGER, g INTEGER, h INTEGER, i INTEGER, j TEXT)");
      !done)
    Fail(done.error());
  auto insert = db->Prepare("INSERT INTO flat VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert) Fail(insert.error());
  const auto start = Clock::now();
  for (std::size_t i = 0; i < rows; i += kBatch) {
    auto done = db->Exec("BEGIN");
    for (std::size_t j = i; done && j < std::min(rows, i + kBatch); ++j) {
      const auto n = static_cast<std::int64_t>(j);
      for (int c = 1; c <= 9; ++c) insert->Bind(c, n + c);
      insert->Bind(10, std::string_view(""));
      done = insert->Run();
    }
    if (done) done = db->Exec("COMMIT");
    if (!done) Fail(done.error());
  }
  const double took = Seconds(start);
  Remove(path);
  return took;
}

// Every row a table holds, as bare values, to be written again.
struct TableRows {
  std::string name;
  int columns = 0;
  std::size_t rows = 0;
  std::vector<std::optional<std::int64_t>> numbers;  // row after row; nullopt: NULL or text
  std::vector<std::optional<std::string>> texts;     // set where the value is text
};

// The tables the writer fills on the live path, as it left them in `path`.
std::vector<TableRows> ReadWrittenRows(const std::string& path) {
  auto db = sentry::inspect::OpenForReading(path);
  if (!db) Fail(db.error());
  std::vector<TableRows> out;
  for (const char* name : {"observation", "record", "thread", "process", "process_group", "session",
                           "process_group_member", "wait", "signal", "stop", "divergence"}) {
    auto select = db->Prepare(std::string("SELECT * FROM ") + name);
    if (!select) Fail(select.error());
    TableRows t;
    t.name = name;
    t.columns = select->Columns();
    for (;;) {
      auto row = select->Step();
      if (!row) Fail(row.error());
      if (!*row) break;
      ++t.rows;
      for (int c = 0; c < t.columns; ++c) {
        const bool text = select->Type(c) == SQLITE_TEXT;
        t.numbers.push_back(select->IsNull(c) || text ? std::nullopt
                                                      : std::optional(select->Int(c)));
        t.texts.push_back(text ? std::optional(std::string(select->Text(c))) : std::nullopt);
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

// Writes `tables` into a fresh log with bare sqlite3 calls: 32 rows to an
// INSERT, each table's rows spread evenly over `commits` transactions as
// the writer's batches spread them; returns the seconds it took.
double Floor(const std::string& path, const std::vector<TableRows>& tables, std::size_t commits) {
  Remove(path);
  auto db = sentry::inspect::OpenForWriting(path);
  if (!db) Fail(db.error());
  constexpr std::size_t kPerStatement = 32;
  struct Prepared {
    sentry::inspect::Statement many;
    sentry::inspect::Statement one;
  };
  std::vector<Prepared> stmts;
  for (const TableRows& t : tables) {
    std::string row = "(";
    for (int c = 0; c < t.columns; ++c) row += c == 0 ? "?" : ",?";
    row += ")";
    std::string many = "INSERT INTO " + t.name + " VALUES " + row;
    for (std::size_t r = 1; r < kPerStatement; ++r) many += "," + row;
    auto m = db->Prepare(many);
    auto o = db->Prepare("INSERT INTO " + t.name + " VALUES " + row);
    if (!m || !o) Fail(!m ? m.error() : o.error());
    stmts.push_back({std::move(*m), std::move(*o)});
  }
  auto write = [](sqlite3_stmt* stmt, const TableRows& t, std::size_t first, std::size_t rows) {
    const auto columns = static_cast<std::size_t>(t.columns);
    for (std::size_t i = 0; i < rows * columns; ++i) {
      const std::size_t at = first * columns + i;
      const int param = static_cast<int>(i + 1);
      if (t.texts[at]) {
        sqlite3_bind_text(stmt, param, t.texts[at]->data(), static_cast<int>(t.texts[at]->size()),
                          SQLITE_STATIC);
      } else if (t.numbers[at]) {
        sqlite3_bind_int64(stmt, param, *t.numbers[at]);
      } else {
        sqlite3_bind_null(stmt, param);
      }
    }
    if (sqlite3_step(stmt) != SQLITE_DONE) Fail("a floor INSERT failed");
    sqlite3_reset(stmt);
  };
  const auto start = Clock::now();
  for (std::size_t batch = 0; batch < commits; ++batch) {
    if (auto done = db->Exec("BEGIN"); !done) Fail(done.error());
    for (std::size_t i = 0; i < tables.size(); ++i) {
      const TableRows& t = tables[i];
      std::size_t row = t.rows * batch / commits;
      const std::size_t end = t.rows * (batch + 1) / commits;
      for (; row + kPerStatement <= end; row += kPerStatement)
        write(stmts[i].many.Get(), t, row, kPerStatement);
      for (; row < end; ++row) write(stmts[i].one.Get(), t, row, 1);
    }
    if (auto done = db->Exec("COMMIT"); !done) Fail(done.error());
  }
  const double took = Seconds(start);
  Remove(path);
  return took;
}

// `sentry inspect QUESTION --format csv`, its output discarded.
double InspectSeconds(const std::string& sentry, const std::string& path,
                      const std::string& question) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> argv = {sentry, "inspect", "--db", path, "--format", "csv", question};
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const auto start = Clock::now();
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0)
    Fail("cannot run " + sentry);
  int status = 0;
  waitpid(pid, &status, 0);
  const double took = Seconds(start);
  posix_spawn_file_actions_destroy(&actions);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Fail("inspect " + question + " failed");
  return took;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_db SENTRY DIR [RECORDS [ROUNDS]]\n");
    return 2;
  }
  const std::string sentry = argv[1];
  const std::string dir = argv[2];
  const std::size_t target = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 1'000'000;
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 3;
  std::size_t records = 0;
  const auto entries = MakeRun(target, records);
  const std::string run_path = dir + "/bench-run.db";
  const std::string ceiling_path = dir + "/bench-ceiling.db";
  const std::string floor_path = dir + "/bench-floor.db";
  const std::size_t commits = (entries.size() + kBatch - 1) / kBatch;

  std::vector<double> ingest;
  std::vector<double> ceiling;
  std::vector<double> floor;
  std::vector<TableRows> written;
  for (int r = 0; r < rounds; ++r) {
    ingest.push_back(static_cast<double>(records) / Ingest(run_path, entries));
    if (written.empty()) written = ReadWrittenRows(run_path);
    ceiling.push_back(static_cast<double>(records) / Ceiling(ceiling_path, records));
    floor.push_back(static_cast<double>(records) / Floor(floor_path, written, commits));
  }
  std::vector<double> waits;
  std::vector<double> tree;
  std::vector<double> replay;
  for (int r = 0; r < rounds; ++r) {
    waits.push_back(InspectSeconds(sentry, run_path, "waits") * 1000);
    tree.push_back(InspectSeconds(sentry, run_path, "tree") * 1000);
    auto db = sentry::inspect::OpenForReading(run_path);
    if (!db) Fail(db.error());
    sentry::kernel::Kernel model;
    std::size_t replayed = 0;
    const auto start = Clock::now();
    auto applied = sentry::inspect::ReplayRun(
        *db, 1, 0, model,
        [&](const sentry::kernel::Observation&, std::uint64_t,
            std::span<const sentry::kernel::Record> rs) { replayed += rs.size(); });
    if (!applied) Fail(applied.error());
    replay.push_back(static_cast<double>(replayed) / Seconds(start));
  }
  const double in = Median(ingest);
  const double ceil = Median(ceiling);
  std::printf("db.rounds: %d\n", rounds);
  std::printf("db.records: %zu\n", records);
  std::printf("db.observations: %zu\n", entries.size());
  std::printf("db.ingest_records_per_sec: %.0f\n", in);
  std::printf("db.ingest_ceiling_per_sec: %.0f\n", ceil);
  std::printf("db.ingest_ratio_to_ceiling: %.2f\n", in / ceil);
  std::printf("db.ingest_floor_per_sec: %.0f\n", Median(floor));
  std::printf("db.ingest_floor_ratio_to_ceiling: %.2f\n", Median(floor) / ceil);
  std::printf("db.ingest_ratio_to_floor: %.2f\n", in / Median(floor));
  std::printf("db.waits_query_ms: %.0f\n", Median(waits));
  std::printf("db.query_ms.tree: %.0f\n", Median(tree));
  if (auto db = sentry::inspect::OpenForReading(run_path)) {
    if (auto n = db->QueryInt("SELECT count(*) FROM process"))
      std::printf("db.processes: %lld\n", static_cast<long long>(*n));
  }
  std::printf("db.replay_records_per_sec: %.0f\n", Median(replay));
  // SENTRY_BENCH_KEEP=1 keeps the generated run for a look with sqlite3.
  if (std::getenv("SENTRY_BENCH_KEEP") == nullptr) Remove(run_path);
  return 0;
}
