#include "sentry/cmd/export.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "inspect/export_dot.h"
#include "inspect/export_trace.h"
#include "inspect/queries.h"
#include "inspect/schema.h"
#include "platform/unique_fd.h"
#include "platform/write_all.h"
#include "sentry/cmd/help.h"
#include "sentry/cmd/replacing_file.h"
#include "sentry/cmd/usage_error.h"

namespace sentry::cmd {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: sentry export [options] --format FORMAT\n"
    "\n"
    "Writes a run recorded by `sentry run` (./sentry.db unless --db says otherwise; the\n"
    "last run unless --run says which) for other tools:\n"
    "\n"
    "  chrome-json  Chrome trace-event JSON, for the Perfetto UI (ui.perfetto.dev) and\n"
    "               chrome://tracing: a track per process and thread, its life and stops\n"
    "               as slices, signals, waits and exits as instants, an arrow from each\n"
    "               reaped child to the wait that reaped it\n"
    "  dot          the process tree for graphviz (born-to, adopted-by and reaped-by edges)\n"
    "  svg          that tree drawn by graphviz's `dot` (which must be installed)\n"
    "\n"
    "With --at SEQ, dot and svg draw the run as it was after observation SEQ instead:\n"
    "sessions and process groups as boxes, zombies and stopped processes marked.\n"
    "A run under `run --pidns` is labelled with its namespace's pids (--host-pids:\n"
    "the host's).\n";

constexpr CommandDoc kDoc{
    .name = "export",
    .summary = "write a recorded run for Perfetto, Chrome's trace viewer or graphviz",
    .usage = kUsage,
    .exit_status =
        "0 when written, 1 when the file, the run or graphviz fails, 2 for a bad\n"
        "command line.",
    .files =
        "./sentry.db\n"
        "  the event log `sentry run` writes (--db FILE names another).",
    .environment = {},
    .examples =
        "sentry export --format chrome-json -o run.json   # open in ui.perfetto.dev\n"
        "sentry export --format svg -o tree.svg\n"
        "sentry export --format dot --at 40 | dot -Tpng > moment.png",
    .see_also = "sentry(1), sentry-inspect(1), dot(1)",
};

// Runs `dot -Tsvg` on `graph`; its SVG, or why not.
std::expected<std::string, std::string> RenderSvg(const std::string& graph) {
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
    return std::unexpected(std::string("pipe: ") + std::strerror(errno));
  platform::UniqueFd in_read(in[0]), in_write(in[1]), out_read(out[0]), out_write(out[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.Get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_write.Get(), STDOUT_FILENO);
  char dot[] = "dot";
  char format[] = "-Tsvg";
  char* args[] = {dot, format, nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, "dot", &actions, nullptr, args, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return std::unexpected(std::string("cannot run dot (") + std::strerror(rc) +
                           "): install graphviz (apt-get install graphviz), or use --format dot");
  }
  in_read.Reset();
  out_write.Reset();
  // dot reads all of its input before it writes anything: writing the
  // whole graph, then reading the SVG, cannot deadlock on full pipes.
  const bool wrote = platform::WriteAll(in_write.Get(), graph.data(), graph.size());
  in_write.Reset();
  std::string svg;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(out_read.Get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    svg.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!wrote || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return std::unexpected(std::string("dot failed on the graph"));
  return svg;
}

}  // namespace

int ExportMain(int argc, char** argv) {
  po::options_description opts("options");
  std::string db_path = "sentry.db";
  std::string format;
  std::string output;
  std::int64_t run_wanted = 0;
  std::int64_t at = 0;
  opts.add_options()("help,h", "show this help")(
      "db", po::value<std::string>(&db_path)->value_name("FILE"),
      "the database (default ./sentry.db)")("run",
                                            po::value<std::int64_t>(&run_wanted)->value_name("N"),
                                            "the run to export (default: the last)")(
      "format", po::value<std::string>(&format)->value_name("F"), "chrome-json, dot or svg")(
      "output,o", po::value<std::string>(&output)->value_name("FILE"),
      "write to FILE (default: standard output)")(
      "at", po::value<std::int64_t>(&at)->value_name("SEQ"),
      "dot and svg: the run as it was after observation SEQ (as `inspect timeline` numbers "
      "them), sessions and process groups drawn as boxes, for slides")(
      "host-pids",
      "a --pidns run: label processes with the host's pids, not its namespace's (`sentry "
      "inspect --help` says more)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return UsageError("export", e.what());
  }
  if (vm.count("help") != 0) return PrintHelp(std::cout, kDoc, opts);
  if (format != "chrome-json" && format != "dot" && format != "svg") {
    std::cerr << "sentry: export: "
              << (format.empty() ? "--format is needed" : "unknown format '" + format + "'")
              << " (chrome-json, dot or svg)\n";
    return 2;
  }
  if (vm.count("at") != 0 && (format == "chrome-json" || at <= 0)) {
    return UsageError("export", at <= 0 ? "--at takes an observation's number, from 1"
                                        : "--at draws a moment: with --format dot or svg");
  }
  auto db = inspect::OpenForReading(db_path);
  if (!db) {
    std::cerr << "sentry: export: " << db.error() << "\n";
    return 1;
  }
  auto run = inspect::ResolveRun(
      *db, vm.count("run") != 0 ? std::optional<std::int64_t>(run_wanted) : std::nullopt);
  if (!run) {
    std::cerr << "sentry: export: " << run.error() << "\n";
    return 1;
  }
  const auto numbering = inspect::PidNumbering::Load(*db, *run, vm.count("host-pids") != 0);
  if (!numbering) {
    std::cerr << "sentry: export: " << db_path << ": " << numbering.error() << "\n";
    return 1;
  }
  // svg is graphviz's drawing of the dot text, made whole first; the others
  // go out as they are made (a trace can be hundreds of megabytes).
  auto write = [&](std::ostream& out) -> std::expected<void, std::string> {
    if (format == "chrome-json") return inspect::ExportChromeTrace(*db, *run, *numbering, out);
    std::ostringstream dot_text;
    std::ostream& dot_out = format == "svg" ? dot_text : out;
    auto done =
        vm.count("at") != 0
            ? inspect::ExportDotAt(*db, *run, static_cast<std::uint64_t>(at), *numbering, dot_out)
            : inspect::ExportDot(*db, *run, *numbering, dot_out);
    if (!done || format != "svg") return done;
    auto svg = RenderSvg(dot_text.str());
    if (!svg) return std::unexpected(svg.error());
    out << *svg;
    return {};
  };
  if (output.empty()) {
    auto done = write(std::cout);
    std::cout.flush();
    if (!done) {
      std::cerr << "sentry: export: " << db_path << ": " << done.error() << "\n";
      return 1;
    }
    return 0;
  }
  // FILE is replaced only once the whole of it is written: a failure leaves
  // what was there.
  auto file = ReplacingFile::Create(output);
  if (!file) {
    std::cerr << "sentry: export: " << file.error() << "\n";
    return 1;
  }
  if (auto done = write(file->Stream()); !done) {
    std::cerr << "sentry: export: " << db_path << ": " << done.error() << "\n";
    return 1;
  }
  if (auto done = file->Commit(); !done) {
    std::cerr << "sentry: export: " << done.error() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace sentry::cmd
