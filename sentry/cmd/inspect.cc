#include "sentry/cmd/inspect.h"

#include <boost/program_options.hpp>
#include <charconv>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "inspect/explain.h"
#include "inspect/queries.h"
#include "inspect/schema.h"
#include "sentry/cmd/help.h"
#include "sentry/cmd/usage_error.h"

namespace sentry::cmd {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: sentry inspect [options] QUESTION [ARG]\n"
    "\n"
    "Answers questions about runs recorded by `sentry run` (in ./sentry.db unless\n"
    "--db says otherwise), about the last run unless --run says which.\n"
    "\n"
    "questions:\n"
    "  runs            every run: its command, start, length, exit status and state\n"
    "  waits           who reaped whom: each wait that reported a child, the status in\n"
    "                  words, the options, whether it consumed the event (--all: every\n"
    "                  wait recorded, also those that found nothing or failed; a\n"
    "                  WNOHANG poll for exits the model knew could find nothing is\n"
    "                  let run untraced, for speed, and leaves no row: `run -v`\n"
    "                  counts them)\n"
    "  explain PID     the life of a process in sentences: created by whom and how,\n"
    "                  exec'd what, signals from whom and why, stops, how it exited,\n"
    "                  why it was a zombie and who reaped it (--upid N: a reused pid)\n"
    "  zombies         the zombies at the end of the log (or --at SEQ), and why\n"
    "                  nobody had reaped them\n"
    "  timeline [PID]  every record in order as a sentence (those naming PID)\n"
    "  ps              the processes as the model had them at the end (or --at SEQ)\n"
    "  tree            every process of the run in the tree it was born into, with how\n"
    "                  it ended (--at SEQ: the live tree at that observation)\n"
    "  sql QUERY       any read-only SQL on the file (tables: run, process, thread,\n"
    "                  wait, signal, stop, process_group, session, divergence,\n"
    "                  record, observation, rule (why: each rule in words); views:\n"
    "                  exit, wait_history, zombie_at_end, process_summary (each\n"
    "                  process's pid, parent, command, state and status in one row),\n"
    "                  lifetime, orphaned_group, process_tree; see share/sql/, and\n"
    "                  docs/sql.md for the usual questions with their queries)\n"
    "\n"
    "SEQ is an observation's number, as `timeline` shows them. Answers print as an\n"
    "aligned table, or as JSON or CSV for scripts.\n"
    "\n"
    "A run under `run --pidns` is told in the pids its workload saw, those of its own\n"
    "PID namespace (as the view shows them): ps, tree, zombies and waits list its\n"
    "processes with their host pid in a column of its own, and a PID given is read\n"
    "as the namespace's first, else as the host's. --host-pids tells it in the\n"
    "host's pids throughout. A wait's ASKED column is the argument as the waiter\n"
    "passed it.\n";

constexpr CommandDoc kDoc{
    .name = "inspect",
    .summary = "ask about the runs recorded in a sentry event log",
    .usage = kUsage,
    .exit_status =
        "0 with an answer (an empty table is one), 1 when the file or the run cannot\n"
        "answer (no such run, pid or file; a moment past the run's end), 2 for a bad\n"
        "command line.",
    .files =
        "./sentry.db\n"
        "  the event log `sentry run` writes (--db FILE names another); while a run\n"
        "  writes it, sentry.db-wal and sentry.db-shm beside it. Its schema is in\n"
        "  share/sentry/sql/; docs/sql.md has the usual questions as SQL.",
    .environment = {},
    .examples =
        "sentry inspect runs\n"
        "sentry inspect waits --all\n"
        "sentry inspect explain 4711\n"
        "sentry inspect zombies --at 120\n"
        "sentry inspect --format csv tree\n"
        "sentry inspect sql 'SELECT pid, status FROM process_summary'",
    .see_also =
        "sentry(1), sentry-run(1), sentry-replay(1), sentry-export(1), sqlite3(1), "
        "wait(2)",
};

std::optional<std::int64_t> ParseInt(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

int InspectMain(int argc, char** argv) {
  po::options_description opts("options");
  std::string db_path = "sentry.db";
  std::string format_name = "table";
  std::int64_t run_wanted = 0;
  std::int64_t at = 0;
  std::int64_t upid = 0;
  std::string question;
  std::vector<std::string> args;
  opts.add_options()("help,h", "show this help")(
      "db", po::value<std::string>(&db_path)->value_name("FILE"),
      "the database (default ./sentry.db)")("run",
                                            po::value<std::int64_t>(&run_wanted)->value_name("N"),
                                            "the run to ask about (default: the last)")(
      "format", po::value<std::string>(&format_name)->value_name("F"),
      "table (default), json or csv")(
      "at", po::value<std::int64_t>(&at)->value_name("SEQ"),
      "ps, tree, zombies: as the model was after observation SEQ; timeline: up to it")(
      "all",
      "waits: every wait recorded, not only those that reported a child (a WNOHANG poll "
      "that could find nothing is not recorded)")(
      "upid", po::value<std::int64_t>(&upid)->value_name("N"),
      "explain: the process with this never-reused id (when a pid was reused)")(
      "host-pids", "a --pidns run: say and read the host's pids, not its namespace's");
  po::options_description hidden;
  hidden.add_options()("question", po::value<std::string>(&question))(
      "args", po::value<std::vector<std::string>>(&args));
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description positional;
  positional.add("question", 1).add("args", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return UsageError("inspect", e.what());
  }
  if (vm.count("help") != 0) return PrintHelp(std::cout, kDoc, opts);
  if (question.empty()) {
    return UsageError(
        "inspect",
        "no question given (runs, waits, explain PID, zombies, timeline, ps, tree, sql QUERY)");
  }
  const auto format = inspect::ParseOutputFormat(format_name);
  if (!format) {
    std::cerr << "sentry: inspect: unknown format '" << format_name << "' (table, json or csv)\n";
    return 2;
  }
  const bool takes_arg = question == "explain" || question == "timeline" || question == "sql";
  if (!takes_arg && !args.empty()) {
    std::cerr << "sentry: inspect: " << question << " takes no argument ('" << args.front()
              << "')\n";
    return 2;
  }
  if (args.size() > 1 && question != "sql") {
    std::cerr << "sentry: inspect: " << question << " takes one argument\n";
    return 2;
  }
  const bool at_given = vm.count("at") != 0;
  if (at_given && at <= 0) {
    return UsageError("inspect", "--at takes an observation's number, from 1");
  }
  if (at_given && question != "ps" && question != "tree" && question != "zombies" &&
      question != "timeline") {
    return UsageError("inspect", "--at answers ps, tree, zombies and timeline, not " + question);
  }
  auto db = inspect::OpenForReading(db_path);
  if (!db) {
    std::cerr << "sentry: inspect: " << db.error() << "\n";
    return 1;
  }
  std::expected<inspect::Answer, std::string> answer =
      std::unexpected(std::string("unknown question '") + question +
                      "' (runs, waits, explain, zombies, timeline, ps, tree or sql)");
  if (question == "runs") {
    answer = inspect::RunsTable(*db);
  } else if (question == "sql") {
    std::string sql;
    for (const auto& a : args) sql += (sql.empty() ? "" : " ") + a;
    if (sql.empty()) {
      std::cerr << "sentry: inspect: sql needs a query\n";
      return 2;
    }
    answer = inspect::SqlTable(*db, sql);
  } else if (question == "waits" || question == "explain" || question == "zombies" ||
             question == "timeline" || question == "ps" || question == "tree") {
    auto run = inspect::ResolveRun(
        *db, vm.count("run") != 0 ? std::optional<std::int64_t>(run_wanted) : std::nullopt);
    if (!run) {
      std::cerr << "sentry: inspect: " << run.error() << "\n";
      return 1;
    }
    if (at_given) {
      // A moment past the run's end is a question the log cannot answer.
      const auto observations = inspect::ObservationCount(*db, *run);
      if (!observations) {
        std::cerr << "sentry: inspect: " << observations.error() << "\n";
        return 1;
      }
      if (at > *observations) {
        std::cerr << "sentry: inspect: run " << *run << " has " << *observations
                  << " observations: --at " << at << " is past its end\n";
        return 1;
      }
    }
    const auto numbering = inspect::PidNumbering::Load(*db, *run, vm.count("host-pids") != 0);
    if (!numbering) {
      std::cerr << "sentry: inspect: " << numbering.error() << "\n";
      return 1;
    }
    const auto moment = static_cast<std::uint64_t>(at);
    std::optional<std::int32_t> pid;
    if (!args.empty()) {
      const auto parsed = ParseInt(args.front());
      if (!parsed || *parsed <= 0 || *parsed > INT32_MAX) {
        std::cerr << "sentry: inspect: '" << args.front() << "' is not a pid\n";
        return 2;
      }
      pid = static_cast<std::int32_t>(*parsed);
    }
    if (question == "waits") {
      answer = inspect::WaitsTable(*db, *run, vm.count("all") != 0, *numbering);
    } else if (question == "explain") {
      if (!pid && upid == 0) {
        std::cerr << "sentry: inspect: explain needs a PID (or --upid N)\n";
        return 2;
      }
      answer =
          inspect::ExplainProcess(*db, *run, {.pid = pid.value_or(0), .upid = upid}, *numbering);
    } else if (question == "zombies") {
      answer = inspect::ZombiesTable(*db, *run, moment, *numbering);
    } else if (question == "timeline") {
      answer = inspect::TimelineTable(*db, *run, pid, *numbering, moment);
    } else if (question == "ps") {
      answer = inspect::PsTable(*db, *run, moment, *numbering);
    } else {
      answer = inspect::TreeTable(*db, *run, moment, *numbering);
    }
  }
  if (!answer) {
    std::cerr << "sentry: inspect: " << answer.error() << "\n";
    return 1;
  }
  if (auto printed = answer->Print(std::cout, *format); !printed) {
    std::cerr << "sentry: inspect: " << printed.error() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace sentry::cmd
