// The event log's speed. Builds a realistic run of about RECORDS records
// (a shell running jobs, applied to the model), then, interleaved round by
// round:
//   db.ingest_records_per_sec   the log's TableWriter alone writing it, in
//                               the writer thread's batches and transactions
//   db.ingest_ceiling_per_sec   a bare prepared INSERT loop into a flat
//                               10-column table, same rows, same batches
// and on the file the last round wrote:
//   db.waits_query_ms           `sentry inspect waits --format csv > /dev/null`
//   db.replay_records_per_sec   ReplayRun rebuilding the model from the file
//
//   bench_db SENTRY DIR [RECORDS [ROUNDS]]
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

double WaitsQuerySeconds(const std::string& sentry, const std::string& path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> argv = {sentry, "inspect", "--db", path, "--format", "csv", "waits"};
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
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Fail("inspect waits failed");
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

  std::vector<double> ingest;
  std::vector<double> ceiling;
  for (int r = 0; r < rounds; ++r) {
    ingest.push_back(static_cast<double>(records) / Ingest(run_path, entries));
    ceiling.push_back(static_cast<double>(records) / Ceiling(ceiling_path, records));
  }
  std::vector<double> waits;
  std::vector<double> replay;
  for (int r = 0; r < rounds; ++r) {
    waits.push_back(WaitsQuerySeconds(sentry, run_path) * 1000);
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
  std::printf("db.waits_query_ms: %.0f\n", Median(waits));
  std::printf("db.replay_records_per_sec: %.0f\n", Median(replay));
  // SENTRY_BENCH_KEEP=1 keeps the generated run for a look with sqlite3.
  if (std::getenv("SENTRY_BENCH_KEEP") == nullptr) Remove(run_path);
  return 0;
}
