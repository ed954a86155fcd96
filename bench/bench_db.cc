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
//   db.processes                processes in the run
//   db.bytes_per_process        the file's size over them
//   db.replay_records_per_sec   ReplayRun rebuilding the model from the file
// Then the questions users ask, on a second run of PROCESSES processes in a
// busier mix (every job in a group of its own, with a thread, a caught
// signal, a Ctrl-Z and bg, and an `sh -c` exec: about 20 records each), and
// on one a tenth its size; each the median of ROUNDS, output discarded:
//   db.query_ms.NAME            on the large run: runs, waits, waits_all,
//                               zombies, timeline, ps, tree, the last four
//                               with --at the middle of the run (NAME_at),
//                               explain of the busiest process (the shell),
//                               export chrome-json and dot
//   db.query_ms_small.NAME      the same on the small run
//   db.query_ms.max             the slowest of the large run's
//   db.query_ms_small.max       the slowest of the small run's
//   db.query.processes, db.query.records, db.query.bytes_per_process
//                               the large run's size and its file's size
//
//   bench_db SENTRY DIR [RECORDS [ROUNDS [PROCESSES]]]
#include <fcntl.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/stat.h>
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

// The entries a live run would hand the writer: the shell, then `block`
// again and again until the run has `records` records or `blocks` blocks.
std::vector<sentry::inspect::LogEntry> MakeRun(
    const std::vector<sentry::kernel::Observation>& block, std::size_t target, std::size_t blocks,
    std::size_t& records) {
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
  for (std::size_t b = 0; records < target && b < blocks; ++b) {
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

// `sentry COMMAND --db PATH ARGS...`, its output discarded; seconds.
double CommandSeconds(const std::string& sentry, const std::string& command,
                      const std::string& path, const std::vector<std::string>& question) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> argv = {sentry, command, "--db", path};
  argv.insert(argv.end(), question.begin(), question.end());
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
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string line = command;
    for (const auto& a : question) line += " " + a;
    Fail(line + " failed");
  }
  return took;
}

// A question users ask of a run, as a command line after `--db FILE`.
struct Question {
  std::string name;
  std::string command;
  std::vector<std::string> args;
};

// The questions, on a run whose middle is observation `middle`.
std::vector<Question> Questions(std::size_t middle) {
  const std::string at = std::to_string(middle);
  auto inspect = [](std::string name, std::vector<std::string> args) {
    args.insert(args.begin(), {"--format", "csv"});
    return Question{.name = std::move(name), .command = "inspect", .args = std::move(args)};
  };
  return {
      inspect("runs", {"runs"}),
      inspect("waits", {"waits"}),
      inspect("waits_all", {"waits", "--all"}),
      inspect("zombies", {"zombies"}),
      inspect("timeline", {"timeline"}),
      inspect("ps", {"ps"}),
      inspect("tree", {"tree"}),
      inspect("zombies_at", {"zombies", "--at", at}),
      inspect("timeline_at", {"timeline", "--at", at}),
      inspect("ps_at", {"ps", "--at", at}),
      inspect("tree_at", {"tree", "--at", at}),
      inspect("explain_busiest", {"explain", "200"}),  // the shell: every job's parent
      Question{
          .name = "export_chrome_json", .command = "export", .args = {"--format", "chrome-json"}},
      Question{.name = "export_dot", .command = "export", .args = {"--format", "dot"}},
  };
}

// The busier mix the questions are asked of.
constexpr bench::JobMix kBusyMix = {
    .own_group_every = 1, .thread_every = 1, .stop_every = 1, .signal_every = 1, .exec_every = 1};

// Writes a run of about `processes` processes in the busy mix into `path`,
// asks every question `rounds` times (interleaved) and prints the medians
// under `prefix` (and the run's size, if `print_size`).
void AskQuestions(const std::string& sentry, const std::string& path, std::size_t processes,
                  int rounds, const std::string& prefix, bool print_size) {
  constexpr int kJobsPerBlock = 1'000;
  std::size_t records = 0;
  const auto entries = MakeRun(bench::MakeBlock(kJobsPerBlock, kBusyMix), SIZE_MAX,
                               std::max<std::size_t>(1, processes / kJobsPerBlock), records);
  Ingest(path, entries);
  const auto questions = Questions(entries.size() / 2);
  std::vector<std::vector<double>> ms(questions.size());
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t q = 0; q < questions.size(); ++q)
      ms[q].push_back(CommandSeconds(sentry, questions[q].command, path, questions[q].args) * 1000);
  }
  double slowest = 0;
  for (std::size_t q = 0; q < questions.size(); ++q) {
    const double median = Median(ms[q]);
    slowest = std::max(slowest, median);
    std::printf("%s.%s: %.0f\n", prefix.c_str(), questions[q].name.c_str(), median);
  }
  std::printf("%s.max: %.0f\n", prefix.c_str(), slowest);
  if (!print_size) return;
  auto db = sentry::inspect::OpenForReading(path);
  if (!db) Fail(db.error());
  auto n = db->QueryInt("SELECT count(*) FROM process");
  if (!n) Fail(n.error());
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) Fail("cannot stat " + path);
  std::printf("db.query.processes: %lld\n", static_cast<long long>(*n));
  std::printf("db.query.records: %zu\n", records);
  std::printf("db.query.bytes_per_process: %.0f\n",
              static_cast<double>(st.st_size) / static_cast<double>(*n));
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
  const std::size_t processes = argc > 5 ? std::strtoul(argv[5], nullptr, 10) : 100'000;
  std::size_t records = 0;
  const auto entries = MakeRun(bench::MakeBlock(2'000), target, SIZE_MAX, records);
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
  std::vector<double> replay;
  for (int r = 0; r < rounds; ++r) {
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
  if (auto db = sentry::inspect::OpenForReading(run_path)) {
    if (auto n = db->QueryInt("SELECT count(*) FROM process")) {
      std::printf("db.processes: %lld\n", static_cast<long long>(*n));
      struct stat st {};
      if (stat(run_path.c_str(), &st) == 0 && *n > 0) {
        std::printf("db.bytes_per_process: %.0f\n",
                    static_cast<double>(st.st_size) / static_cast<double>(*n));
      }
    }
  }
  std::printf("db.replay_records_per_sec: %.0f\n", Median(replay));
  // SENTRY_BENCH_KEEP=1 keeps the generated runs for a look with sqlite3.
  const bool keep = std::getenv("SENTRY_BENCH_KEEP") != nullptr;
  if (!keep) Remove(run_path);
  const std::string large_path = dir + "/bench-questions.db";
  const std::string small_path = dir + "/bench-questions-small.db";
  AskQuestions(sentry, large_path, processes, rounds, "db.query_ms", true);
  AskQuestions(sentry, small_path, processes / 10, rounds, "db.query_ms_small", false);
  if (!keep) {
    Remove(large_path);
    Remove(small_path);
  }
  return 0;
}
