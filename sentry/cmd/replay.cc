#include "sentry/cmd/replay.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "inspect/db_replay.h"
#include "inspect/queries.h"
#include "inspect/schema.h"
#include "sentry/cmd/help.h"
#include "sentry/cmd/usage_error.h"
#include "sentry/cmd/view_mount.h"
#include "sentry/kernel/describe.h"
#include "sentry/kernel/json_codec.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/narrate.h"

namespace sentry::cmd {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: sentry replay [options] LOG\n"
    "       sentry replay --db FILE [--run N] [options]\n"
    "\n"
    "Rebuilds the model from LOG, a file of one JSON object per line as written by\n"
    "`sentry run --log-records` (observations; record lines are compared, not applied),\n"
    "or from a run stored in a database by `sentry run --db` (default the last run),\n"
    "then prints the process table as of the last observation applied. Exits 1 if\n"
    "the records it makes differ from those the run wrote.\n"
    "\n"
    "With --mount DIR, the model as of --at SEQ (or the end) is then served as the\n"
    "procfs view `sentry run` mounts, until SIGINT or SIGTERM: `sentry view --mount\n"
    "DIR -- ps -ef` shows the run's processes as they were. Only what the run\n"
    "recorded is there: CPU times, memory and the like read 0, and exe, cwd and root\n"
    "lead nowhere (the run's pids are not the host's now).\n";

constexpr CommandDoc kDoc{
    .name = "replay",
    .summary = "rebuild the model from a recorded run and check it makes the same records",
    .usage = kUsage,
    .exit_status =
        "0 when the replay makes the records the run wrote, 1 when it differs or the\n"
        "input cannot be read, 2 for a bad command line or an --at past the end.",
    .files =
        "./sentry.db\n"
        "  with --db: the event log `sentry run` writes.\n"
        "\n"
        "LOG\n"
        "  a file `sentry run --log-records LOG` wrote: one JSON object a line.",
    .environment = {},
    .examples =
        "sentry replay --db sentry.db --records\n"
        "sentry replay run.jsonl\n"
        "sentry replay --db sentry.db --at 40 --mount /tmp/v &\n"
        "sentry view --mount /tmp/v -- ps -ef",
    .see_also = "sentry(1), sentry-run(1), sentry-inspect(1), sentry-view(1)",
};

// The view of a replayed model, when --mount asks for one: fed every
// observation replayed (its wait histories), mounted once the replay is done.
class ReplayView {
 public:
  ReplayView(const kernel::Kernel& model, std::string path, bool pidns) : path_(std::move(path)) {
    if (!path_.empty()) {
      procfs_ = std::make_unique<fusefs::Procfs>(
          model, fusefs::Procfs::Options{.owner = ::getuid(), .pidns = pidns, .live = false});
    }
  }
  void Consume(const kernel::Observation& obs, std::uint64_t seq,
               std::span<const kernel::Record> records) {
    if (procfs_) procfs_->Consume(obs, seq, records);
  }
  // Mounts and serves until SIGINT or SIGTERM; false (said) if it cannot mount.
  bool Serve() {
    if (!procfs_) return true;
    BlockEndSignals();
    auto mounted = MountView(*procfs_, path_, false, false);
    if (!mounted || !*mounted) {
      std::cerr << "sentry: replay: " << (mounted ? "no view" : mounted.error()) << "\n";
      return false;
    }
    std::cout.flush();
    ServeUntilInterrupted("the replayed model", (*mounted)->Path());
    procfs_->CloseEvents();
    return true;
  }

 private:
  std::string path_;
  std::unique_ptr<fusefs::Procfs> procfs_;
};

// Prints the table and the comparison; 0 if the replay made the logged records.
int Report(const kernel::Kernel& model, const std::vector<kernel::Record>& logged,
           const std::vector<kernel::Record>& replayed) {
  std::cout << kernel::ProcessTable(model.Processes());
  const kernel::KernelStats stats = model.Stats();
  std::cout << fmt::format("observations {}, records {}, divergences {}", stats.observations,
                           stats.records, stats.divergences);
  if (logged.empty()) {
    std::cout << "\n";
    return 0;
  }
  const bool same = logged == replayed;
  std::cout << fmt::format(", logged records {} ({})\n", logged.size(),
                           same ? "replay matches" : "REPLAY DIFFERS");
  if (same) return 0;
  // The first difference, for whoever has to find out why.
  const auto [mine, theirs] =
      std::mismatch(replayed.begin(), replayed.end(), logged.begin(), logged.end());
  const std::size_t index = static_cast<std::size_t>(mine - replayed.begin());
  std::cout << fmt::format("first difference at record {}:\n  logged:   {}\n  replayed: {}\n",
                           index + 1,
                           theirs != logged.end() ? kernel::EncodeRecord(*theirs) : "(none)",
                           mine != replayed.end() ? kernel::EncodeRecord(*mine) : "(none)");
  return 1;
}

void Print(const std::vector<kernel::Sentence>& sentences) {
  for (const kernel::Sentence& s : sentences) std::cout << kernel::Narrator::Line(s) << "\n";
}

// --at past the last observation is a question the log cannot answer.
bool AtIsInside(std::uint64_t at, std::uint64_t observations) {
  if (at <= observations) return true;
  std::cerr << fmt::format(
      "sentry: replay: --at {} is past the end: the run has {} observation{}\n", at, observations,
      observations == 1 ? "" : "s");
  return false;
}

// Replays a JSON-lines log. A last line cut short (a killed sentry) is
// replayed up to the line before, with a warning; any other bad line, or an
// observation out of sequence, is an error naming the line.
int ReplayLog(const std::string& path, std::uint64_t at, bool print_records,
              const std::string& mount) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << fmt::format("sentry: replay: cannot open {}: {}\n", path, std::strerror(errno));
    return 1;
  }
  kernel::Kernel model;
  kernel::Narrator narrator;
  ReplayView view(model, mount, false);
  std::vector<kernel::Record> logged;
  std::vector<kernel::Record> replayed;
  std::string line;
  std::uint64_t line_no = 0;
  std::uint64_t seen = 0;  // observations read, the last one's seq
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    const bool cut_short = in.eof();  // no newline after it: the writer died mid-line
    std::string error;
    if (kernel::IsRecordLine(line)) {
      auto record = kernel::DecodeRecord(line);
      if (record) {
        if (at == 0 || record->seq <= at) logged.push_back(std::move(*record));
        continue;
      }
      error = record.error();
    } else if (auto decoded = kernel::DecodeObservation(line); decoded) {
      if (decoded->seq != seen + 1) {
        std::cerr << fmt::format(
            "sentry: replay: {}:{}: observation {} where {} was due (lines out of order or "
            "missing)\n",
            path, line_no, decoded->seq, seen + 1);
        return 1;
      }
      seen = decoded->seq;
      if (at != 0 && seen > at) continue;
      const auto records = model.Apply(decoded->observation);
      view.Consume(decoded->observation, decoded->seq, records);
      if (print_records) Print(narrator.Narrate(records, &decoded->observation));
      replayed.insert(replayed.end(), records.begin(), records.end());
      continue;
    } else {
      error = decoded.error();
    }
    if (!cut_short) {
      std::cerr << fmt::format("sentry: replay: {}:{}: {}\n", path, line_no, error);
      return 1;
    }
    std::cerr << fmt::format(
        "sentry: replay: {}:{}: the last line is cut short (its sentry was killed?); "
        "replayed up to the line before\n",
        path, line_no);
    // The last observation's records may be cut short too (what the cut
    // line was cannot be told): compared without them.
    std::erase_if(logged, [&](const kernel::Record& r) { return r.seq == seen; });
    std::erase_if(replayed, [&](const kernel::Record& r) { return r.seq == seen; });
  }
  if (!AtIsInside(at, seen)) return 2;
  const int status = Report(model, logged, replayed);
  return view.Serve() ? status : 1;
}

int ReplayDatabase(const std::string& path, std::optional<std::int64_t> wanted, std::uint64_t at,
                   bool print_records, const std::string& mount, bool host_pids) {
  auto db = inspect::OpenForReading(path);
  if (!db) {
    std::cerr << "sentry: replay: " << db.error() << "\n";
    return 1;
  }
  auto run = inspect::ResolveRun(*db, wanted);
  if (!run) {
    std::cerr << "sentry: replay: " << run.error() << "\n";
    return 1;
  }
  auto logged = inspect::StoredRecords(*db, *run, at);
  if (!logged) {
    std::cerr << "sentry: replay: " << path << ": " << logged.error() << "\n";
    return 1;
  }
  auto pidns = db->QueryInt(fmt::format("SELECT pidns FROM run WHERE run_id = {}", *run));
  if (!pidns) {
    std::cerr << "sentry: replay: " << path << ": " << pidns.error() << "\n";
    return 1;
  }
  kernel::Kernel model;
  kernel::Narrator narrator;
  // Told in the pids its workload saw, as its view shows them (inspect.cc).
  if (*pidns != 0 && !host_pids) narrator.NumberInNamespace(kernel::NamespaceIdsIn(model));
  ReplayView view(model, mount, *pidns != 0);
  std::vector<kernel::Record> replayed;
  auto applied = inspect::ReplayRun(
      *db, *run, at, model,
      [&](const kernel::Observation& obs, std::uint64_t seq, std::span<const kernel::Record> rs) {
        view.Consume(obs, seq, rs);
        if (print_records) Print(narrator.Narrate(rs, &obs));
        replayed.insert(replayed.end(), rs.begin(), rs.end());
      });
  if (!applied) {
    std::cerr << "sentry: replay: " << path << ": " << applied.error() << "\n";
    return 1;
  }
  if (at != 0 && !AtIsInside(at, *applied)) return 2;
  const int status = Report(model, *logged, replayed);
  return view.Serve() ? status : 1;
}

}  // namespace

int ReplayMain(int argc, char** argv) {
  po::options_description opts("options");
  std::uint64_t at = 0;
  std::string log_path;
  std::string db_path;
  std::int64_t run_wanted = 0;
  std::string mount;
  opts.add_options()("help,h", "show this help")(
      "at", po::value<std::uint64_t>(&at), "stop after observation SEQ (default: the whole log)")(
      "records,r", "print each record as it is produced")(
      "log", po::value<std::string>(&log_path), "the log to replay (also the positional argument)")(
      "db", po::value<std::string>(&db_path)->value_name("FILE"),
      "replay a run stored in this database instead of a log")(
      "run", po::value<std::int64_t>(&run_wanted)->value_name("N"),
      "with --db: the run to replay (default: the last)")(
      "mount", po::value<std::string>(&mount)->value_name("DIR"),
      "then serve the replayed model as a procfs view at DIR until SIGINT or SIGTERM")(
      "host-pids", "with --db, a --pidns run: the records in the host's pids, not its namespace's");
  po::positional_options_description positional;
  positional.add("log", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return UsageError("replay", e.what());
  }
  if (vm.count("help") != 0) return PrintHelp(std::cout, kDoc, opts);
  if (!db_path.empty()) {
    if (!log_path.empty()) {
      return UsageError("replay", "give a LOG or --db, not both");
    }
    return ReplayDatabase(
        db_path, vm.count("run") != 0 ? std::optional<std::int64_t>(run_wanted) : std::nullopt, at,
        vm.count("records") != 0, mount, vm.count("host-pids") != 0);
  }
  if (log_path.empty()) {
    return UsageError("replay", "no log given (a --log-records file, or --db FILE)");
  }
  return ReplayLog(log_path, at, vm.count("records") != 0, mount);
}

}  // namespace sentry::cmd
