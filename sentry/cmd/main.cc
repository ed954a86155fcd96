// The `sentry` executable: subcommand dispatch.
#include <boost/program_options.hpp>
#include <cstring>
#include <iostream>
#include <string_view>

#include "sentry/cmd/commands.h"
#include "sentry/cmd/complete.h"
#include "sentry/cmd/help.h"
#include "sentry/cmd/version.h"

namespace {

namespace po = boost::program_options;
using sentry::cmd::CommandDoc;
using sentry::cmd::HelpForm;

constexpr const char* kUsage =
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
    "  help [COMMAND]         show this help, or all COMMAND says of itself (its man\n"
    "                         page's text: `man sentry-COMMAND`)\n"
    "  version                show the sentry's version (also --version)\n"
    "\n"
    "`sentry COMMAND --help` describes a command's options.\n";

constexpr CommandDoc kDoc{
    .name = {},
    .summary = "watch a Linux workload's processes the way the kernel does",
    .usage = kUsage,
    .exit_status = "Each command says its own; 2 for a bad command line or an unknown command.",
    .files =
        "./sentry.db\n"
        "  the event log every `sentry run` is recorded in.\n"
        "\n"
        "/sandbox/proc\n"
        "  the live procfs view of the running workload (as root).\n"
        "\n"
        "PREFIX/share/sentry/\n"
        "  the lessons' texts, example logs (scenarios/) and the log's SQL schema (sql/).",
    .environment =
        "SENTRY_LESSONS\n"
        "  lessons to use instead of the installed ones (sentry-learn(1)).\n"
        "\n"
        "XDG_RUNTIME_DIR\n"
        "  where the views of a user who is not root are mounted.",
    .examples =
        "sentry run -- sh -c '(exit 3) & wait'\n"
        "sentry inspect waits\n"
        "sentry view -- ps -ef\n"
        "sentry learn zombie",
    .see_also =
        "sentry-run(1), sentry-view(1), sentry-inspect(1), sentry-export(1), "
        "sentry-replay(1), sentry-learn(1), ptrace(2), wait(2), proc(5), "
        "credentials(7), pid_namespaces(7)",
};

// `sentry help [--man] [COMMAND]`.
int Help(int argc, char** argv) {
  int i = 2;
  if (i < argc && std::strcmp(argv[i], "--man") == 0) {
    sentry::cmd::SetHelpForm(HelpForm::kMan);
    ++i;
  } else {
    sentry::cmd::SetHelpForm(HelpForm::kFull);
  }
  if (i >= argc) {
    po::options_description none("options");
    return sentry::cmd::PrintHelp(std::cout, kDoc, none);
  }
  // `sentry help run` is `sentry run --help`, in full.
  const sentry::cmd::Main named = sentry::cmd::FindCommand(argv[i]);
  if (named == nullptr) {
    std::cerr << "sentry: help: unknown command '" << argv[i] << "'\nsee 'sentry help'\n";
    return 2;
  }
  return sentry::cmd::ShowHelp(named, argv[i]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string_view command = argv[1];
  if (command == "--version" || command == "version") {
    std::cout << "sentry " << sentry::cmd::kVersion << " (" << sentry::cmd::kCommit << ")\n";
    return 0;
  }
  if (command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "help") return Help(argc, argv);
  // Shell completion's question (share/completion/): not for people.
  if (command == "__complete") return sentry::cmd::CompleteMain(argc - 1, argv + 1);
  if (const sentry::cmd::Main found = sentry::cmd::FindCommand(command)) {
    return found(argc - 1, argv + 1);
  }
  std::cerr << "sentry: unknown command '" << command << "'\nsee 'sentry help'\n";
  return 2;
}
