#include "sentry/cmd/run.h"

#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "platform/tracer.h"
#include "sentry/cmd/json_lines_log.h"
#include "sentry/kernel/kernel.h"

namespace sentry::cmd {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: sentry run [options] -- CMD [ARGS...]\n"
    "\n"
    "Runs CMD under ptrace in a session of its own and mirrors its task tree in the\n"
    "model. CMD's stdin, stdout and stderr are its own; the sentry's messages go to\n"
    "stderr prefixed with 'sentry:'. The exit status is CMD's (128+N if killed by\n"
    "signal N); 127 if CMD is not found, 126 if it cannot be executed, 125 if the\n"
    "sentry itself could not start it. When CMD's first process exits, the rest of\n"
    "the workload is killed, as a PID namespace's tasks are when its init dies.\n"
    "\n"
    "When stdin is a terminal, CMD gets a pseudo-terminal of its own as its\n"
    "controlling terminal (stdin, and stdout/stderr where they are terminals too):\n"
    "the sentry relays keystrokes and window size, so job control in an interactive\n"
    "shell (Ctrl-Z, fg, bg) works and the model knows the foreground group.\n"
    "\n"
    "options";

}  // namespace

int RunMain(int argc, char** argv) {
  // Everything after "--", or from the first argument that is not an
  // option of ours, is the workload's.
  int split = 1;
  while (split < argc && std::strcmp(argv[split], "--") != 0 && argv[split][0] == '-') {
    const bool takes_value = std::strcmp(argv[split], "--log-records") == 0 ||
                             std::strcmp(argv[split], "--max-tasks") == 0;
    split += takes_value ? 2 : 1;
  }
  split = std::min(split, argc);
  std::vector<std::string> workload;
  const bool dashes = split < argc && std::strcmp(argv[split], "--") == 0;
  for (int i = dashes ? split + 1 : split; i < argc; ++i) workload.emplace_back(argv[i]);
  po::options_description opts(kUsage);
  platform::RunOptions options;
  std::string log_records_path;
  opts.add_options()("help,h", "show this help")("verbose,v", "end with a summary line")(
      "wait-all", "wait for every task, not just the first process")(
      "max-tasks", po::value<std::size_t>(&options.max_tasks)->value_name("N"),
      "fail (EAGAIN) any clone/fork beyond N live tasks, and record it")(
      "log-records", po::value<std::string>(&log_records_path)->value_name("FILE"),
      "write every observation and record to FILE, one JSON object per line")(
      "pidns",
      "run the workload in a new PID namespace: its first process is pid 1 there, and "
      "the kernel kills the namespace when it exits (so not with --wait-all)")(
      "no-tty", "do not give the workload a terminal of its own, even when stdin is one");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(split, argv).options(opts).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "sentry: run: " << e.what() << "\n\n" << opts << "\n";
    return 2;
  }
  if (vm.count("help") != 0) {
    std::cout << opts << "\n";
    return 0;
  }
  if (workload.empty()) {
    std::cerr << "sentry: run: no command given\n\n" << opts << "\n";
    return 2;
  }
  if (vm.count("wait-all") != 0 && vm.count("pidns") != 0) {
    // The kernel itself kills a PID namespace whose init exits: nothing to wait for.
    std::cerr << "sentry: run: --wait-all cannot work with --pidns: the kernel kills a PID "
                 "namespace's tasks when its init (the first process) exits\n";
    return 2;
  }
  options.argv = std::move(workload);
  options.verbose = vm.count("verbose") != 0;
  options.wait_all = vm.count("wait-all") != 0;
  options.pidns = vm.count("pidns") != 0;
  options.terminal = vm.count("no-tty") == 0 && ::isatty(STDIN_FILENO) == 1;
  std::unique_ptr<JsonLinesLog> log;
  if (!log_records_path.empty()) {
    auto opened = JsonLinesLog::Open(log_records_path);
    if (!opened) {
      std::cerr << "sentry: " << opened.error() << "\n";
      return 125;
    }
    log = std::move(*opened);
    options.consumers.push_back(log.get());
  }
  kernel::Kernel model;
  platform::Tracer tracer(model, std::move(options));
  return tracer.Run();
}

}  // namespace sentry::cmd
