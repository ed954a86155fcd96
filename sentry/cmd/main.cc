// The `sentry` executable: subcommand dispatch.
#include <cstring>
#include <iostream>
#include <string_view>

#include "sentry/cmd/export.h"
#include "sentry/cmd/inspect.h"
#include "sentry/cmd/learn.h"
#include "sentry/cmd/replay.h"
#include "sentry/cmd/run.h"
#include "sentry/cmd/view.h"

namespace {

constexpr const char* kHelp =
    "usage: sentry COMMAND [options]\n"
    "\n"
    "Watches a Linux workload the way a kernel would: a model of its task tree\n"
    "(tasks, thread groups, process groups, sessions, PID namespaces, stops,\n"
    "exits and waits) with gVisor-sentry semantics, checked against the host.\n"
    "\n"
    "commands:\n"
    "  run -- CMD [ARGS...]   run CMD under ptrace and mirror it in the model, live\n"
    "                         as a procfs view (/sandbox/proc as root)\n"
    "  view -- CMD [ARGS...]  run CMD (ps, pstree, top) with that view over /proc\n"
    "  inspect QUESTION       ask about recorded runs (./sentry.db): runs, waits,\n"
    "                         explain PID, zombies, timeline, ps, tree, sql QUERY\n"
    "  export --format F      a recorded run as a Perfetto/Chrome trace (chrome-json)\n"
    "                         or its process tree for graphviz (dot, svg)\n"
    "  replay LOG             rebuild the model from a JSON-lines log and show it\n"
    "  learn [NAME]           the lessons: list them, or go through one step by step\n"
    "                         (--quiz: predict, then check)\n"
    "  help [COMMAND]         show this help, or COMMAND's\n"
    "  version                show the sentry's version (also --version)\n"
    "\n"
    "`sentry COMMAND --help` describes a command's options.\n";

using Main = int (*)(int, char**);

Main Find(std::string_view command) {
  if (command == "export") return sentry::cmd::ExportMain;
  if (command == "inspect") return sentry::cmd::InspectMain;
  if (command == "learn") return sentry::cmd::LearnMain;
  if (command == "replay") return sentry::cmd::ReplayMain;
  if (command == "view") return sentry::cmd::ViewMain;
  if (command == "run") return sentry::cmd::RunMain;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kHelp;
    return 2;
  }
  const std::string_view command = argv[1];
  if (command == "--version" || command == "version") {
    std::cout << "sentry " << SENTRY_VERSION << "\n";
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    if (argc < 3) {
      std::cout << kHelp;
      return 0;
    }
    // `sentry help run` is `sentry run --help`.
    const Main named = Find(argv[2]);
    if (named == nullptr) {
      std::cerr << "sentry: help: unknown command '" << argv[2] << "'\nsee 'sentry help'\n";
      return 2;
    }
    char help_flag[] = "--help";
    char* help_argv[] = {argv[2], help_flag, nullptr};
    return named(2, help_argv);
  }
  if (const Main found = Find(command)) return found(argc - 1, argv + 1);
  std::cerr << "sentry: unknown command '" << command << "'\nsee 'sentry help'\n";
  return 2;
}
