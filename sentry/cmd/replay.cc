#include "sentry/cmd/replay.h"

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "sentry/kernel/describe.h"
#include "sentry/kernel/json_codec.h"
#include "sentry/kernel/kernel.h"

namespace sentry::cmd {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: sentry replay [options] LOG\n"
    "\n"
    "Rebuilds the model from LOG, a file of one JSON object per line as written by\n"
    "`sentry run --log-records` (observations; record lines are compared, not applied),\n"
    "then prints the process table as of the last observation applied.\n"
    "\n"
    "options";

}  // namespace

int ReplayMain(int argc, char** argv) {
  po::options_description opts(kUsage);
  std::uint64_t at = 0;
  std::string log_path;
  opts.add_options()("help,h", "show this help")(
      "at", po::value<std::uint64_t>(&at), "stop after observation SEQ (default: the whole log)")(
      "records,r", "print each record as it is produced")(
      "log", po::value<std::string>(&log_path), "the log to replay (also the positional argument)");
  po::positional_options_description positional;
  positional.add("log", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "sentry: replay: " << e.what() << "\n" << opts << "\n";
    return 2;
  }
  if (vm.count("help") != 0) {
    std::cout << opts << "\n";
    return 0;
  }
  if (log_path.empty()) {
    std::cerr << "sentry: replay: no log given\n" << opts << "\n";
    return 2;
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
  std::cout << kernel::ProcessTable(model.Processes());
  const kernel::KernelStats stats = model.Stats();
  std::cout << fmt::format("observations {}, records {}, divergences {}", stats.observations,
                           stats.records, stats.divergences);
  if (!logged.empty()) {
    const bool same = logged == replayed;
    std::cout << fmt::format(", logged records {} ({})", logged.size(),
                             same ? "replay matches" : "REPLAY DIFFERS");
    std::cout << "\n";
    return same ? 0 : 1;
  }
  std::cout << "\n";
  return 0;
}

}  // namespace sentry::cmd
