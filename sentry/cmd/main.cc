// The `sentry` executable: subcommand dispatch.
#include <cstring>
#include <iostream>
#include <string_view>

#include "sentry/cmd/export.h"
#include "sentry/cmd/inspect.h"
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
    "  help                   show this help\n"
    "\n"
    "`sentry COMMAND --help` describes a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kHelp;
    return 2;
  }
  const std::string_view command = argv[1];
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kHelp;
    return 0;
  }
  if (command == "export") return sentry::cmd::ExportMain(argc - 1, argv + 1);
  if (command == "inspect") return sentry::cmd::InspectMain(argc - 1, argv + 1);
  if (command == "replay") return sentry::cmd::ReplayMain(argc - 1, argv + 1);
  if (command == "view") return sentry::cmd::ViewMain(argc - 1, argv + 1);
  if (command == "run") return sentry::cmd::RunMain(argc - 1, argv + 1);
  std::cerr << "sentry: unknown command '" << command << "'\n" << kHelp;
  return 2;
}
