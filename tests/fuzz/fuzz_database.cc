// `sentry inspect` and `sentry replay --db` on a corrupted event log: the
// fuzzer's bytes are a database file (seeded with real runs' files, made
// small: 512-byte pages, no WAL), and every question is asked of it, every
// export written and every run replayed into a model whose invariants are
// checked after each observation. Whatever the file holds, each one answers
// or returns an error: none crashes, hangs or breaks the model.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <ostream>
#include <span>
#include <streambuf>
#include <string>

#include "inspect/db_replay.h"
#include "inspect/explain.h"
#include "inspect/export_dot.h"
#include "inspect/export_trace.h"
#include "inspect/queries.h"
#include "inspect/schema.h"
#include "tests/fuzz/model_invariants.h"

namespace {

namespace inspect = sentry::inspect;
namespace kernel = sentry::kernel;

// Answers are printed (the printing reads rows and formats cells) into
// nothing, so a large answer costs no memory.
class Discard final : public std::streambuf {
 protected:
  int_type overflow(int_type c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char* /*s*/, std::streamsize n) override { return n; }
};

std::ostream& Nowhere() {
  static Discard sink;
  static std::ostream out(&sink);
  return out;
}

// The file the bytes are written to: a directory of this process's own on
// tmpfs, its journal files (a mutated header can ask for WAL) removed after
// each input.
const std::string& DatabasePath() {
  static const std::string path = [] {
    std::string dir = "/dev/shm/sentry-fuzz-database-" + std::to_string(::getpid());
    ::mkdir(dir.c_str(), 0700);
    return dir + "/run.db";
  }();
  return path;
}

void RemoveFiles() {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::remove((DatabasePath() + suffix).c_str());
  }
}

// How many answers this input has printed: the formats take turns, the
// same for an input however many came before it (a finding replays alone).
int g_printed = 0;

void Print(std::expected<inspect::Answer, std::string> answer) {
  if (!answer) return;
  // One format per answer: each reads the rows once.
  const auto format = static_cast<inspect::OutputFormat>(g_printed++ % 3);
  (void)answer->Print(Nowhere(), format);
}

// `sentry replay --db`: the run's observations into a fresh model, its
// invariants after each, then the records it stored.
void Replay(inspect::Database& db, std::int64_t run, std::uint64_t at) {
  kernel::Kernel model;
  const auto applied = inspect::ReplayRun(
      db, run, at, model,
      [&](const kernel::Observation& /*obs*/, std::uint64_t seq,
          std::span<const kernel::Record> /*records*/) {
        if (const std::string broken = sentry::fuzz::BrokenInvariant(model); !broken.empty()) {
          std::fprintf(stderr, "after replaying observation %llu\ninvariant broken: %s\n",
                       static_cast<unsigned long long>(seq), broken.c_str());
          std::abort();
        }
      });
  (void)applied;
  (void)inspect::StoredRecords(db, run, at);
}

// Every question `sentry inspect` takes about one run, as the command line
// asks them (the numbering first; --at checked against the run's length).
void AskAbout(inspect::Database& db, std::int64_t run, bool host_pids) {
  const auto numbering = inspect::PidNumbering::Load(db, run, host_pids);
  if (!numbering) return;
  const auto observations = inspect::ObservationCount(db, run);
  const std::uint64_t middle =
      observations && *observations > 1 ? static_cast<std::uint64_t>(*observations / 2) : 0;
  for (const std::uint64_t at : {std::uint64_t{0}, middle}) {
    Print(inspect::PsTable(db, run, at, *numbering));
    Print(inspect::ZombiesTable(db, run, at, *numbering));
    Print(inspect::TreeTable(db, run, at, *numbering));
    Print(inspect::TimelineTable(db, run, std::nullopt, *numbering, at));
    if (middle == 0) break;
  }
  Print(inspect::WaitsTable(db, run, false, *numbering));
  Print(inspect::WaitsTable(db, run, true, *numbering));
  // A pid and a upid the run has, if its process table says one.
  const auto pid = db.QueryInt("SELECT pid FROM process WHERE run_id = " + std::to_string(run) +
                               " ORDER BY upid LIMIT 1");
  if (pid && *pid > 0 && *pid <= INT32_MAX) {
    const auto shown = numbering->Shown(static_cast<std::int32_t>(*pid));
    const std::int32_t said = shown.value_or(static_cast<std::int32_t>(*pid));
    Print(inspect::ExplainProcess(db, run, {.pid = said, .upid = 0}, *numbering));
    Print(inspect::TimelineTable(db, run, said, *numbering));
  }
  Print(inspect::ExplainProcess(db, run, {.pid = 0, .upid = 1}, *numbering));
  (void)inspect::ExportChromeTrace(db, run, *numbering, Nowhere());
  (void)inspect::ExportDot(db, run, *numbering, Nowhere());
  if (middle != 0) (void)inspect::ExportDotAt(db, run, middle, *numbering, Nowhere());
  Replay(db, run, 0);
  if (middle != 0) Replay(db, run, middle);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  g_printed = 0;
  RemoveFiles();
  {
    std::ofstream file(DatabasePath(), std::ios::binary);
    file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  if (auto db = inspect::OpenForReading(DatabasePath())) {
    Print(inspect::RunsTable(*db));
    Print(inspect::SqlTable(*db, "SELECT * FROM process_summary"));
    // The last run (as the questions default to), and the first.
    const auto last = inspect::ResolveRun(*db, std::nullopt);
    if (last) {
      AskAbout(*db, *last, false);
      AskAbout(*db, *last, true);
    }
    const auto first = db->QueryInt("SELECT min(run_id) FROM run");
    if (first && (!last || *first != *last)) {
      if (const auto run = inspect::ResolveRun(*db, *first)) AskAbout(*db, *run, false);
    }
  }
  RemoveFiles();
  return 0;
}
