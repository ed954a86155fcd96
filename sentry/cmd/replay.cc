#include "sentry/cmd/replay.h"

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "inspect/db_replay.h"
#include "inspect/queries.h"
#include "inspect/schema.h"
#include "sentry/cmd/usage_error.h"
#include "sentry/kernel/describe.h"
#include "sentry/kernel/json_codec.h"
#include "sentry/kernel/kernel.h"

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
    "options";

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
  return same ? 0 : 1;
}

int ReplayDatabase(const std::string& path, std::optional<std::int64_t> wanted, std::uint64_t at,
                   bool print_records) {
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
  kernel::Kernel model;
  std::vector<kernel::Record> replayed;
  auto applied = inspect::ReplayRun(*db, *run, at, model, [&](std::span<const kernel::Record> rs) {
    for (const kernel::Record& r : rs) {
      if (print_records) std::cout << kernel::DescribeRecord(r) << "\n";
      replayed.push_back(r);
    }
  });
  if (!applied) {
    std::cerr << "sentry: replay: " << path << ": " << applied.error() << "\n";
    return 1;
  }
  return Report(model, *logged, replayed);
}

}  // namespace

int ReplayMain(int argc, char** argv) {
  po::options_description opts(kUsage);
  std::uint64_t at = 0;
  std::string log_path;
  std::string db_path;
  std::int64_t run_wanted = 0;
  opts.add_options()("help,h", "show this help")(
      "at", po::value<std::uint64_t>(&at), "stop after observation SEQ (default: the whole log)")(
      "records,r", "print each record as it is produced")(
      "log", po::value<std::string>(&log_path), "the log to replay (also the positional argument)")(
      "db", po::value<std::string>(&db_path)->value_name("FILE"),
      "replay a run stored in this database instead of a log")(
      "run", po::value<std::int64_t>(&run_wanted)->value_name("N"),
      "with --db: the run to replay (default: the last)");
  po::positional_options_description positional;
  positional.add("log", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return UsageError("replay", e.what());
  }
  if (vm.count("help") != 0) {
    std::cout << opts << "\n";
    return 0;
  }
  if (!db_path.empty()) {
    if (!log_path.empty()) {
      return UsageError("replay", "give a LOG or --db, not both");
    }
    return ReplayDatabase(
        db_path, vm.count("run") != 0 ? std::optional<std::int64_t>(run_wanted) : std::nullopt, at,
        vm.count("records") != 0);
  }
  if (log_path.empty()) {
    return UsageError("replay", "no log given (a --log-records file, or --db FILE)");
  }
  std::ifstream in(log_path);
  if (!in) {
    std::cerr << fmt::format("sentry: replay: cannot open {}\n", log_path);
    return 1;
  }
  const bool print_records = vm.count("records") != 0;
  kernel::Kernel model;
  std::vector<kernel::Record> logged;
  std::vector<kernel::Record> replayed;
  std::string line;
  std::uint64_t line_no = 0;
  std::uint64_t applied = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    if (kernel::IsRecordLine(line)) {
      auto record = kernel::DecodeRecord(line);
      if (!record) {
        std::cerr << fmt::format("sentry: replay: {}:{}: {}\n", log_path, line_no, record.error());
        return 1;
      }
      if (at == 0 || record->seq <= at) logged.push_back(std::move(*record));
      continue;
    }
    auto decoded = kernel::DecodeObservation(line);
    if (!decoded) {
      std::cerr << fmt::format("sentry: replay: {}:{}: {}\n", log_path, line_no, decoded.error());
      return 1;
    }
    if (at != 0 && applied >= at) continue;
    for (const kernel::Record& r : model.Apply(decoded->observation)) {
      if (print_records) std::cout << kernel::DescribeRecord(r) << "\n";
      replayed.push_back(r);
    }
    ++applied;
  }
  return Report(model, logged, replayed);
}

}  // namespace sentry::cmd
