// The SQLite event log and `sentry inspect`, end to end: real runs of the
// scenario programs write a real file, read back with the sqlite3 CLI (not
// through the writer's code) and with `sentry inspect`.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/fusefs/live_run.h"
#include "tests/platform/platform_test_util.h"

namespace {

using sentry::fusefs::testing::Capture;
using sentry::fusefs::testing::Captured;
using sentry::fusefs::testing::LiveRun;
using sentry::platform::testing::Slurp;
using sentry::platform::testing::TempPath;

void RemoveDb(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) unlink((path + suffix).c_str());
}

// The sqlite3 CLI's answer, trimmed of the last newline.
std::string Sql(const std::string& db, const std::string& query) {
  Captured c = Capture({"sqlite3", db, query});
  EXPECT_EQ(c.exit_code, 0) << query << ": " << c.err;
  if (!c.out.empty() && c.out.back() == '\n') c.out.pop_back();
  return c.out;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Polls `done` until it holds or 10 s pass: the writer commits every
// 100 ms, asynchronously, so a test can only watch for the commit.
template <class Pred>
bool Eventually(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// One recorded run of `scenarios inspect-questions`, shared by the tests
// that only read it.
class InspectTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = TempPath("inspect.db");
    RemoveDb(db_);
    const Captured run = Capture({SENTRY_BINARY, "run", "--no-fuse", "--no-tty", "--db", db_, "--",
                                  SCENARIOS_BINARY, "inspect-questions"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    std::istringstream lines(run.out);
    std::string name;
    int pid = 0;
    while (lines >> name >> pid) pids_[name] = pid;
    first_ = std::stoi(Sql(db_,
                           "SELECT pid FROM process WHERE comm = 'scenarios' ORDER BY upid "
                           "LIMIT 1"));
  }
  static void TearDownTestSuite() { RemoveDb(db_); }

  static Captured Inspect(std::vector<std::string> args) {
    args.insert(args.begin(), {SENTRY_BINARY, "inspect", "--db", db_});
    return Capture(args);
  }
  static std::string Pid(const std::string& name) { return std::to_string(pids_.at(name)); }

  static inline std::string db_;
  static inline std::map<std::string, int> pids_;  // zombie, middle, hupped
  static inline int first_ = 0;                    // the workload's first process
};

TEST_F(InspectTest, TheRunIsAPlainSqliteFileWithItsSchema) {
  ASSERT_EQ(pids_.size(), 3u);
  EXPECT_TRUE(Contains(Capture({"sqlite3", "--version"}).out, "3."));
  // The sentry's mark and schema version, as the CLI reads them.
  EXPECT_EQ(Sql(db_, "PRAGMA application_id"), "1397642322");
  EXPECT_EQ(Sql(db_, "PRAGMA user_version"), "4");
  EXPECT_EQ(Sql(db_, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(Sql(db_, "SELECT platform FROM run"), "ptrace");
  EXPECT_TRUE(Contains(Sql(db_, "SELECT state, exit_code, command FROM run"),
                       "finished|0|" SCENARIOS_BINARY " inspect-questions"));
  // Names come from lookup tables in the file.
  EXPECT_EQ(Sql(db_, "SELECT name FROM signal_name WHERE signo = 1"), "SIGHUP");
  EXPECT_EQ(Sql(db_, "SELECT name FROM errno_name WHERE errno = 10"), "ECHILD");
  EXPECT_EQ(Sql(db_, "SELECT name FROM record_kind WHERE id = 0"), "task_created");
  // Every process of the run, the sentry's own row among them.
  EXPECT_EQ(Sql(db_, "SELECT count(*) FROM process WHERE pid IN (" + Pid("zombie") + ", " +
                         Pid("middle") + ", " + Pid("hupped") + ")"),
            "3");
}

TEST_F(InspectTest, WhoReapedMyChild) {
  const std::string first = std::to_string(first_);
  // In SQL: the wait that reaped the zombie, by the subreaper that adopted it.
  EXPECT_EQ(Sql(db_,
                "SELECT waiter_pid, returned, consumed FROM wait_history WHERE consumed AND "
                "target_upid = (SELECT upid FROM process WHERE pid = " +
                    Pid("zombie") + ")"),
            first + "|exited 9|1");
  const Captured waits = Inspect({"--format", "csv", "waits"});
  ASSERT_EQ(waits.exit_code, 0) << waits.err;
  EXPECT_TRUE(Contains(waits.out, first + ",scenarios,pid " + Pid("zombie") + ",WEXITED," +
                                      Pid("zombie") + ",scenarios,exited 9,yes"))
      << waits.out;
  const Captured explain = Inspect({"explain", Pid("zombie")});
  ASSERT_EQ(explain.exit_code, 0) << explain.err;
  EXPECT_TRUE(
      Contains(explain.out, Pid("middle") + " (scenarios) forked child " + Pid("zombie") + ":"))
      << explain.out;
  // Adopted, and the rule that chose the adopter.
  EXPECT_TRUE(Contains(explain.out, std::string("its parent ") + Pid("middle") + " exited; " +
                                        Pid("zombie") + " (scenarios) is adopted by " + first +
                                        " (scenarios): an orphan goes to the nearest living "
                                        "ancestor that made itself a child subreaper"))
      << explain.out;
  EXPECT_TRUE(Contains(explain.out, first + " (scenarios) reaped " + Pid("zombie") +
                                        " (scenarios) with a wait (exit status 9)"))
      << explain.out;
}

// docs/sql.md's queries by name ("-- cookbook: NAME" opens each block).
std::map<std::string, std::string> CookbookQueries() {
  const std::string doc = Slurp(SQL_COOKBOOK);
  std::map<std::string, std::string> queries;
  const std::regex block(R"(```sql\n-- cookbook: (\S+)\n([^`]*)```)");
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), block); it != std::sregex_iterator();
       ++it) {
    queries[(*it)[1]] = (*it)[2];
  }
  return queries;
}

// Every query of the SQL cookbook runs on this real run with the sqlite3
// CLI, as the cookbook tells a user to, and its answer is checked.
TEST_F(InspectTest, TheSqlCookbookAnswersOnARealRun) {
  const auto queries = CookbookQueries();
  ASSERT_EQ(queries.size(), 8u);
  const auto ask = [&](const std::string& name, const std::vector<std::string>& parameters = {}) {
    std::vector<std::string> argv = {"sqlite3", db_};
    for (const std::string& p : parameters) argv.push_back(".parameter set " + p);
    argv.push_back(queries.at(name));
    const Captured c = Capture(argv);
    EXPECT_EQ(c.exit_code, 0) << name << ": " << c.err;
    EXPECT_EQ(c.err, "") << name;
    return c.out;
  };
  const std::string first = std::to_string(first_);
  const std::string zombie = Pid("zombie");
  const std::string middle = Pid("middle");
  const std::string hupped = Pid("hupped");
  // The hupped job's parent (its group's), and the sentry.
  const std::string job_parent = Sql(
      db_, "SELECT b.pid FROM process p JOIN process b ON b.upid = p.parent_upid WHERE p.pid = " +
               hupped);
  const std::string sentry = Sql(db_, "SELECT sentry_pid FROM run");

  const std::string reaps = ask("who-reaped-whom");
  EXPECT_TRUE(Contains(reaps, zombie + "|scenarios|exited 9|" + first +
                                  "|scenarios|wait|WEXITED|pid " + zombie + "\n"))
      << reaps;
  EXPECT_TRUE(Contains(reaps, hupped + "|scenarios|killed by SIGHUP|" + sentry + "|sentry|"))
      << reaps;

  const std::string zombies = ask("longest-zombies");
  EXPECT_TRUE(std::regex_search(
      zombies, std::regex("(^|\n)" + zombie + R"(\|scenarios\|exited 9\|[0-9.]+\|)" + middle +
                          "\\|" + first + "\\|scenarios\\|" + first + "\n")))
      << zombies;

  const std::string killed = ask("what-killed-it");
  EXPECT_EQ(killed, hupped + "|scenarios|SIGHUP|" + job_parent +
                        "|process group newly orphaned with a stopped member\n");

  const std::string children = ask("children-exit-codes", {":parent " + first});
  EXPECT_TRUE(Contains(children, middle + "|scenarios|")) << children;
  EXPECT_TRUE(Contains(children, job_parent + "|scenarios|")) << children;
  EXPECT_EQ(std::count(children.begin(), children.end(), '\n'), 2) << children;

  // Halfway through the zombie's life (from its fork to its exit).
  const std::string halfway =
      Sql(db_, "SELECT (start_ts + exit_ts) / 2e9 FROM process WHERE pid = " + zombie);
  const std::string running = ask("running-at", {":t " + halfway});
  EXPECT_TRUE(Contains(running, "\n" + zombie + "|scenarios|")) << halfway << "\n" << running;
  EXPECT_FALSE(Contains(running, "\n" + hupped + "|")) << running;  // not forked yet

  const std::string orphaned = ask("orphaned-groups");
  EXPECT_TRUE(Contains(orphaned, "|" + hupped + "|SIGHUP+SIGCONT|")) << orphaned;

  const std::string stops = ask("longest-stops");
  EXPECT_TRUE(Contains(stops, hupped + "|scenarios|group_stop|SIGSTOP|")) << stops;

  const std::string reparented = ask("reparented");
  EXPECT_TRUE(Contains(reparented,
                       zombie + "|scenarios|" + middle + "|scenarios|" + first + "|scenarios\n"))
      << reparented;
  EXPECT_TRUE(Contains(reparented,
                       hupped + "|scenarios|" + job_parent + "|scenarios|" + sentry + "|sentry\n"))
      << reparented;
}

TEST_F(InspectTest, WhyIsThisAZombie) {
  const Captured explain = Inspect({"explain", Pid("zombie")});
  EXPECT_TRUE(Contains(explain.out,
                       "exited (exit status 9) and is a zombie: it stays in the "
                       "process table, holding its pid and exit status, until its "
                       "parent " +
                           Pid("middle") + " (scenarios) waits for it"))
      << explain.out;
  // At the moment it became one, its parent (which waited with WNOWAIT)
  // was alive and had not reaped it.
  const std::string seq =
      Sql(db_, "SELECT seq FROM exit WHERE step = 'zombie' AND tid = " + Pid("zombie"));
  const Captured then = Inspect({"zombies", "--at", seq});
  ASSERT_EQ(then.exit_code, 0) << then.err;
  EXPECT_TRUE(Contains(then.out, Pid("zombie"))) << then.out;
  EXPECT_TRUE(Contains(then.out, "its parent " + Pid("middle") + " (scenarios) has not waited"))
      << then.out;
  const Captured ps = Inspect({"--format", "csv", "ps", "--at", seq});
  EXPECT_TRUE(Contains(ps.out, Pid("zombie") + "," + Pid("middle"))) << ps.out;
  EXPECT_TRUE(Contains(ps.out, "[scenarios] <defunct>")) << ps.out;
  // Reaped by the end: no zombie left.
  const Captured end = Inspect({"--format", "csv", "zombies"});
  EXPECT_FALSE(Contains(end.out, Pid("zombie"))) << end.out;
}

TEST_F(InspectTest, WhyDidMyJobGetSighup) {
  const Captured explain = Inspect({"explain", Pid("hupped")});
  ASSERT_EQ(explain.exit_code, 0) << explain.err;
  EXPECT_TRUE(Contains(explain.out, "stopped (SIGSTOP)")) << explain.out;
  EXPECT_TRUE(
      Contains(explain.out, std::string("the kernel sends SIGHUP to ") + Pid("hupped") +
                                " (scenarios): its process group was just orphaned while a member "
                                "is stopped"))
      << explain.out;
  EXPECT_TRUE(Contains(explain.out,
                       "got SIGHUP from the kernel (process group newly orphaned "
                       "with a stopped member): its default action ends the process"))
      << explain.out;
  EXPECT_TRUE(Contains(explain.out, "killed by SIGHUP")) << explain.out;
  // The same from SQL: the group the kernel found orphaned, whose leader
  // (its parent, which had set up the group) was gone by then, and the
  // member it sent SIGHUP and SIGCONT.
  EXPECT_TRUE(Contains(Sql(db_, "SELECT signals FROM orphaned_group"), "SIGHUP")) << db_;
  EXPECT_EQ(Sql(db_, "SELECT leader_pid IS NULL, receivers FROM orphaned_group"),
            std::string("1|") + Pid("hupped"));
}

// `export --at SEQ` draws the moment for slides: sessions and process
// groups as graphviz clusters, the stopped job marked, as the model was
// after SEQ; past the run's end it says so.
TEST_F(InspectTest, ExportAtAMomentDrawsSessionsAndGroupsAsBoxes) {
  const std::string seq = Sql(db_,
                              "SELECT seq FROM record_named WHERE kind = 'group_stop_completed' "
                              "AND tid = " +
                                  Pid("hupped"));
  ASSERT_FALSE(seq.empty());
  const Captured dot =
      Capture({SENTRY_BINARY, "export", "--db", db_, "--format", "dot", "--at", seq});
  ASSERT_EQ(dot.exit_code, 0) << dot.err;
  EXPECT_TRUE(Contains(dot.out, "subgraph cluster_s")) << dot.out;
  EXPECT_TRUE(Contains(dot.out, "subgraph cluster_g")) << dot.out;
  EXPECT_TRUE(Contains(dot.out, "label=\"process group ")) << dot.out;
  EXPECT_TRUE(Contains(dot.out, std::string("p") + Pid("hupped") + " [label=\"" + Pid("hupped") +
                                    " scenarios\\nT stopped\", style=filled"))
      << dot.out;
  const Captured past =
      Capture({SENTRY_BINARY, "export", "--db", db_, "--format", "dot", "--at", "999999"});
  EXPECT_EQ(past.exit_code, 1);
  EXPECT_TRUE(Contains(past.err, "--at 999999 is past its end")) << past.err;
}

// --at means one thing everywhere it is taken, and is refused where it is
// not: timeline stops at SEQ, a moment past the run's end is an error, and
// so are 0, negative numbers and questions that have no moment.
TEST_F(InspectTest, AtIsHonouredOrRefused) {
  const Captured timeline = Inspect({"--format", "csv", "timeline", "--at", "10"});
  ASSERT_EQ(timeline.exit_code, 0) << timeline.err;
  std::istringstream rows(timeline.out);
  std::string row;
  std::getline(rows, row);  // the header
  int last = 0;
  while (std::getline(rows, row)) last = std::stoi(row);
  EXPECT_LE(last, 10) << timeline.out;
  EXPECT_GT(last, 5) << timeline.out;
  const Captured past = Inspect({"ps", "--at", "999999"});
  EXPECT_EQ(past.exit_code, 1);
  EXPECT_TRUE(Contains(past.err, "--at 999999 is past its end")) << past.err;
  EXPECT_EQ(Inspect({"ps", "--at", "0"}).exit_code, 2);
  EXPECT_EQ(Inspect({"ps", "--at", "-3"}).exit_code, 2);
  const Captured waits = Inspect({"waits", "--at", "3"});
  EXPECT_EQ(waits.exit_code, 2);
  EXPECT_TRUE(Contains(waits.err, "--at answers ps, tree, zombies and timeline")) << waits.err;
  const Captured max_tasks = Capture({SENTRY_BINARY, "run", "--no-db", "--no-fuse", "--no-tty",
                                      "--max-tasks", "-3", "--", "true"});
  EXPECT_EQ(max_tasks.exit_code, 2);
  EXPECT_TRUE(Contains(max_tasks.err, "--max-tasks takes a count")) << max_tasks.err;
}

TEST_F(InspectTest, AnswersParseAsJsonAndCsv) {
  const Captured json = Inspect({"--format", "json", "waits"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto parsed = nlohmann::json::parse(json.out);
  ASSERT_TRUE(parsed.is_array());
  ASSERT_FALSE(parsed.empty());
  EXPECT_TRUE(parsed[0]["child"].is_number());
  EXPECT_TRUE(parsed[0]["returned"].is_string());
  const Captured csv = Inspect({"--format", "csv", "sql", "SELECT pid, comm FROM process"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_TRUE(csv.out.starts_with("pid,comm\r\n")) << csv.out;
  const Captured runs = Inspect({"runs"});
  EXPECT_TRUE(Contains(runs.out, "finished")) << runs.out;
  // The timeline names the records as sentences, and can be cut to one pid.
  const Captured timeline = Inspect({"timeline", Pid("hupped")});
  EXPECT_TRUE(Contains(timeline.out, Pid("hupped") + " (scenarios) got SIGHUP from the kernel"))
      << timeline.out;
  const Captured tree = Inspect({"tree"});
  EXPECT_TRUE(std::regex_search(tree.out, std::regex("reaped +killed by SIGHUP"))) << tree.out;
  // The sentry, whose run is over, is not said to be alive.
  EXPECT_TRUE(Contains(tree.out, "ended with its run")) << tree.out;
  EXPECT_FALSE(Contains(tree.out, " alive ")) << tree.out;
}

TEST_F(InspectTest, ReplayRebuildsTheRunFromTheFile) {
  const Captured replay = Capture({SENTRY_BINARY, "replay", "--db", db_});
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_TRUE(Contains(replay.out, "(replay matches)")) << replay.out;
}

// Perfetto's trace-event format: JSON with a traceEvents array; a named
// track per process; slices with ts and dur; every flow start has its end.
TEST_F(InspectTest, ExportsAChromeTraceThePerfettoUiOpens) {
  const Captured json = Capture({SENTRY_BINARY, "export", "--db", db_, "--format", "chrome-json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto trace = nlohmann::json::parse(json.out);
  ASSERT_TRUE(trace["traceEvents"].is_array());
  std::map<std::string, int> phases;
  std::map<int, int> flows;  // id -> starts minus ends
  std::vector<std::string> process_names;
  for (const auto& ev : trace["traceEvents"]) {
    ASSERT_TRUE(ev["ph"].is_string()) << ev.dump();
    ASSERT_TRUE(ev["pid"].is_number()) << ev.dump();
    const std::string ph = ev["ph"];
    ++phases[ph];
    if (ph == "X") {
      EXPECT_TRUE(ev["ts"].is_number() && ev["dur"].is_number()) << ev.dump();
      EXPECT_GE(ev["dur"].get<double>(), 0) << ev.dump();
    }
    if (ph == "M" && ev["name"] == "process_name") process_names.push_back(ev["args"]["name"]);
    if (ph == "s") ++flows[ev["id"].get<int>()];
    if (ph == "f") --flows[ev["id"].get<int>()];
  }
  EXPECT_EQ(std::to_string(process_names.size()), Sql(db_, "SELECT count(*) FROM process"));
  EXPECT_NE(std::find(process_names.begin(), process_names.end(),
                      "scenarios (pid " + Pid("zombie") + ")"),
            process_names.end());
  EXPECT_GT(phases["X"], 0);
  EXPECT_GT(phases["i"], 0);
  // One arrow per wait that reaped a child.
  EXPECT_EQ(std::to_string(flows.size()),
            Sql(db_, "SELECT count(*) FROM wait WHERE consumed AND cld_code BETWEEN 1 AND 3"));
  for (const auto& [id, balance] : flows) EXPECT_EQ(balance, 0) << "flow " << id;
}

TEST_F(InspectTest, ExportsTheTreeForGraphviz) {
  const std::string dot = TempPath("tree.dot");
  const Captured exported =
      Capture({SENTRY_BINARY, "export", "--db", db_, "--format", "dot", "-o", dot});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_TRUE(Contains(Slurp(dot), Pid("hupped") + " scenarios\\nkilled by SIGHUP")) << Slurp(dot);
  const Captured rendered = Capture({"dot", "-Tsvg", dot});
  EXPECT_EQ(rendered.exit_code, 0) << rendered.err;
  EXPECT_TRUE(Contains(rendered.out, "<svg")) << rendered.out;
  const Captured svg = Capture({SENTRY_BINARY, "export", "--db", db_, "--format", "svg"});
  EXPECT_EQ(svg.exit_code, 0) << svg.err;
  EXPECT_TRUE(Contains(svg.out, "<svg")) << svg.err;
  unlink(dot.c_str());
}

TEST_F(InspectTest, BadQuestionsAreOneLineErrors) {
  const std::string other = TempPath("other.db");
  RemoveDb(other);
  Sql(other, "CREATE TABLE t (x)");
  const std::vector<std::vector<std::string>> cases = {
      {SENTRY_BINARY, "inspect", "--db", TempPath("missing.db"), "runs"},
      {SENTRY_BINARY, "inspect", "--db", other, "runs"},
      {SENTRY_BINARY, "inspect", "--db", db_, "--run", "99", "waits"},
      {SENTRY_BINARY, "inspect", "--db", db_, "explain", "999999"},
      {SENTRY_BINARY, "inspect", "--db", db_, "explain", "nope"},
      {SENTRY_BINARY, "inspect", "--db", db_, "sql", "SELECT * FROM nowhere"},
      {SENTRY_BINARY, "inspect", "--db", db_, "sql", "DELETE FROM run"},
      {SENTRY_BINARY, "inspect", "--db", db_, "--format", "xml", "runs"},
      {SENTRY_BINARY, "inspect", "--db", db_, "why"},
  };
  for (const auto& argv : cases) {
    const Captured c = Capture(argv);
    EXPECT_NE(c.exit_code, 0) << argv.back();
    EXPECT_TRUE(c.err.starts_with("sentry: inspect: ")) << c.err;
    EXPECT_EQ(std::count(c.err.begin(), c.err.end(), '\n'), 1) << c.err;
    EXPECT_TRUE(c.out.empty()) << c.out;
  }
  EXPECT_EQ(Sql(db_, "SELECT count(*) FROM run"), "1");  // the read-only open wrote nothing
  RemoveDb(other);
}

// A --pidns run is told in the pids its workload saw (issue 22: one set of
// numbers): `inspect` answers with the namespace's ids, shows the host's in
// a column of its own, takes either as an argument, and --host-pids says
// the host's throughout.
TEST(InspectPidnsTest, EveryAnswerSpeaksThePidsTheWorkloadSaw) {
  const std::string db = TempPath("inspect-pidns.db");
  RemoveDb(db);
  const Captured run =
      Capture({SENTRY_BINARY, "run", "--no-fuse", "--no-tty", "--pidns", "--db", db, "--",
               "/bin/sh", "-c", "sh -c 'exit 3' & echo $!; wait; echo $$"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(run.out, "2\n1\n");  // the workload's own view: init 1, its child 2
  const std::string shell = Sql(db, "SELECT pid FROM process WHERE ns_pids LIKE '% 1'");
  const std::string child = Sql(db, "SELECT pid FROM process WHERE ns_pids LIKE '% 2'");
  ASSERT_FALSE(shell.empty());
  ASSERT_FALSE(child.empty());
  ASSERT_NE(child, "2");  // else the test could not tell the numberings apart
  const auto inspect = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {SENTRY_BINARY, "inspect", "--db", db});
    const Captured c = Capture(args);
    EXPECT_EQ(c.exit_code, 0) << c.err;
    return c.out;
  };
  const std::string reaped = "1 (sh) reaped 2 (sh) with a wait (exit status 3)";
  const std::string explained = inspect({"explain", "2"});
  EXPECT_TRUE(Contains(explained, "1 (sh) forked child 2:")) << explained;
  EXPECT_TRUE(Contains(explained, reaped)) << explained;
  // The host's pid names the same process.
  EXPECT_EQ(inspect({"explain", child}), explained);
  // No sentence names a workload's process by its host pid.
  const std::string timeline = inspect({"timeline"});
  EXPECT_TRUE(Contains(timeline, reaped)) << timeline;
  // (A process is named "PID (comm)": a host pid would read "4711 (sh)".)
  EXPECT_FALSE(std::regex_search(timeline, std::regex("\\b(" + shell + "|" + child + ") \\(")))
      << timeline;
  EXPECT_TRUE(Contains(timeline, "sentry-session (outside the namespace) forked child 1:"))
      << timeline;
  // Tables: the namespace's ids, the host's beside; only the namespace's processes.
  const std::string waits = inspect({"--format", "csv", "waits"});
  // (CSV lines end in CRLF, as RFC 4180 has them.)
  EXPECT_TRUE(std::regex_search(waits, std::regex(",1,sh,any child,[A-Z|]+,2,sh,exited 3,yes," +
                                                  shell + "," + child + "\r\n")))
      << waits;
  EXPECT_EQ(inspect({"--format", "csv", "tree"}),
            "PID,PPID,COMMAND,STATE,STATUS,HOST PID\r\n1,0,sh,reaped,exited 0," + shell +
                "\r\n2,1,  sh,reaped,exited 3," + child + "\r\n");
  // As the model was right after the fork: its observation's number.
  std::smatch fork;
  ASSERT_TRUE(std::regex_search(timeline, fork,
                                std::regex("\\n *([0-9]+) +[0-9.]+ +1 \\(sh\\) forked child 2:")))
      << timeline;
  const std::string ps = inspect({"--format", "csv", "ps", "--at", fork[1].str()});
  EXPECT_TRUE(Contains(ps, "\n1,0,0,0,?,")) << ps;  // pgid and sid outside: 0, as getpgid says
  EXPECT_EQ(inspect({"timeline", "2"}), inspect({"timeline", child}));
  // --host-pids: the host's ids only.
  const std::string host = inspect({"--host-pids", "--format", "csv", "waits"});
  EXPECT_TRUE(std::regex_search(
      host, std::regex("," + shell + ",sh,any child,[A-Z|]+," + child + ",sh,exited 3,yes\r\n")))
      << host;
  EXPECT_TRUE(Contains(inspect({"--host-pids", "explain", child}),
                       shell + " (sh) reaped " + child + " (sh) with a wait (exit status 3)"));
  // replay says the run in the same ids.
  const Captured replay = Capture({SENTRY_BINARY, "replay", "--db", db, "--records"});
  EXPECT_TRUE(Contains(replay.out, reaped)) << replay.out;
  RemoveDb(db);
}

// A process's name is bytes, not text: a program whose file name is not
// UTF-8 has such a comm. JSON answers and the trace export stay valid JSON,
// each bad byte written as U+FFFD (they aborted: nlohmann's dump throws on
// it), and CSV keeps the bytes as they are.
TEST(InspectBytesTest, NamesThatAreNotUtf8StayValidJson) {
  const std::string db = TempPath("not-utf8.db");
  RemoveDb(db);
  // (comm is the file's name, cut to 15 bytes: a short one in a directory.)
  const std::string dir = TempPath("not-utf8");
  mkdir(dir.c_str(), 0755);
  const std::string program = dir + "/bad\xff\xfename";
  ASSERT_EQ(Capture({"cp", "/bin/true", program}).exit_code, 0);
  const Captured run =
      Capture({SENTRY_BINARY, "run", "--no-fuse", "--no-tty", "--db", db, "--", program});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  unlink(program.c_str());
  rmdir(dir.c_str());
  // The run holds the raw bytes (what the test is about).
  ASSERT_EQ(Sql(db, "SELECT count(*) FROM process WHERE instr(comm, CAST(X'FFFE' AS TEXT)) > 0"),
            "1");
  const Captured trace = Capture({SENTRY_BINARY, "export", "--db", db, "--format", "chrome-json"});
  ASSERT_EQ(trace.exit_code, 0) << trace.err;
  const auto json = nlohmann::json::parse(trace.out);  // throws on invalid UTF-8
  std::vector<std::string> names;
  for (const auto& ev : json["traceEvents"]) {
    if (ev["name"] == "process_name") names.push_back(ev["args"]["name"]);
  }
  EXPECT_NE(std::find_if(names.begin(), names.end(),
                         [](const std::string& n) { return Contains(n, "bad\uFFFD\uFFFDname"); }),
            names.end());
  for (const std::string question : {"ps", "tree", "timeline"}) {
    const Captured answer =
        Capture({SENTRY_BINARY, "inspect", "--db", db, "--format", "json", question});
    ASSERT_EQ(answer.exit_code, 0) << question << ": " << answer.err;
    const auto rows = nlohmann::json::parse(answer.out);
    EXPECT_TRUE(Contains(rows.dump(), "bad\uFFFD\uFFFDname")) << question << ": " << answer.out;
  }
  const Captured csv = Capture({SENTRY_BINARY, "inspect", "--db", db, "--format", "csv", "tree"});
  EXPECT_TRUE(Contains(csv.out, "bad\xff\xfename")) << csv.out;
  RemoveDb(db);
}

// export -o FILE replaces FILE once the whole export is written: the new
// text, FILE's mode kept, no temporary left beside it; a path that is not
// a regular file is written in place.
TEST_F(InspectTest, ExportReplacesItsFileWhole) {
  const std::string dir = TempPath("export-dir");
  mkdir(dir.c_str(), 0755);
  const std::string file = dir + "/trace.json";
  {
    std::ofstream old(file);
    old << "old text";
  }
  chmod(file.c_str(), 0640);
  const Captured exported =
      Capture({SENTRY_BINARY, "export", "--db", db_, "--format", "chrome-json", "-o", file});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const std::string text = Slurp(file);
  EXPECT_TRUE(nlohmann::json::accept(text)) << text.substr(0, 200);
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(Capture({"ls", "-A", dir}).out, "trace.json\n");
  // A failure leaves the file as it was: a run that is not there.
  const Captured failed = Capture(
      {SENTRY_BINARY, "export", "--db", db_, "--run", "99", "--format", "chrome-json", "-o", file});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_EQ(Slurp(file), text);
  EXPECT_EQ(Capture({"ls", "-A", dir}).out, "trace.json\n");
  // A symbolic link (as /dev/stdout is) is written through, not replaced.
  const std::string link = dir + "/link.json";
  ASSERT_EQ(symlink(file.c_str(), link.c_str()), 0);
  const Captured through =
      Capture({SENTRY_BINARY, "export", "--db", db_, "--format", "dot", "-o", link});
  EXPECT_EQ(through.exit_code, 0) << through.err;
  struct stat link_stat {};
  ASSERT_EQ(lstat(link.c_str(), &link_stat), 0);
  EXPECT_TRUE(S_ISLNK(link_stat.st_mode));
  EXPECT_TRUE(Contains(Slurp(file), "digraph")) << Slurp(file);
  unlink(link.c_str());
  unlink(file.c_str());
  rmdir(dir.c_str());
}

// A wait row's status is what the waiter got. `waitpid(g, NULL, 0)` gets
// none: the row said `exited 0` for a grandchild that exited 3 (the model's
// event, the observation's empty status; issue 24). Now the status column
// is empty and the words say what the model knows, and that it was not read.
TEST(EventLogTest, AWaitThatReadNoStatusSaysSoAndWhatTheChildEndedWith) {
  const std::string db = TempPath("no-status.db");
  RemoveDb(db);
  const Captured run = Capture({SENTRY_BINARY, "run", "--no-fuse", "--no-tty", "--db", db, "--",
                                SCENARIOS_BINARY, "killed-after-reap"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // The grandchildren (exit 3) reaped by their parents' waitpid(g, NULL, 0).
  const std::string rows = Sql(db,
                               "SELECT DISTINCT coalesce(w.status, 'NULL') || '|' || w.returned "
                               "FROM wait w JOIN process p ON p.run_id = w.run_id AND "
                               "p.upid = w.target_upid WHERE w.consumed AND p.exit_code = 3 "
                               "AND w.waiter_pid != (SELECT sentry_pid FROM run)");
  EXPECT_EQ(rows, "NULL|exited 3 (its status not read: the waiter asked for none, or died first)");
  // The first process's own waits read their status: killed by SIGKILL.
  EXPECT_EQ(Sql(db,
                "SELECT DISTINCT status || '|' || returned FROM wait w JOIN process p ON "
                "p.run_id = w.run_id AND p.upid = w.target_upid WHERE w.consumed AND "
                "p.exit_signo = 9"),
            "9|killed by SIGKILL");
  RemoveDb(db);
}

// A file the log cannot use is refused before anything runs: exit 125, one
// line naming the file, the file untouched, the workload never started.
TEST(EventLogTest, BadFilesAreRefusedBeforeTheWorkloadRuns) {
  const std::string marker = TempPath("ran");
  const std::string garbage = TempPath("garbage.db");
  const std::string other = TempPath("other-program.db");
  const std::string newer = TempPath("newer.db");
  const std::string directory = TempPath("a-directory.db");
  std::ofstream(garbage) << std::string(4096, 'x');
  RemoveDb(other);
  Sql(other, "CREATE TABLE t (x); INSERT INTO t VALUES (1)");
  RemoveDb(newer);
  ASSERT_EQ(Capture({SENTRY_BINARY, "run", "--no-fuse", "--db", newer, "--", "true"}).exit_code, 0);
  Sql(newer, "PRAGMA user_version = 99");
  mkdir(directory.c_str(), 0700);
  for (const std::string& path :
       {garbage, other, newer, directory, std::string("/nonexistent-dir/x.db")}) {
    const std::string before = path == directory ? "" : Slurp(path);
    const Captured c =
        Capture({SENTRY_BINARY, "run", "--no-fuse", "--db", path, "--", "touch", marker});
    EXPECT_EQ(c.exit_code, 125) << path << ": " << c.err;
    EXPECT_TRUE(c.err.starts_with("sentry: " + path + ": ")) << c.err;
    EXPECT_EQ(std::count(c.err.begin(), c.err.end(), '\n'), 1) << c.err;
    EXPECT_NE(access(marker.c_str(), F_OK), 0) << "the workload ran with " << path;
    if (path != directory) {
      EXPECT_EQ(Slurp(path), before) << path << " was changed";
    }
  }
  EXPECT_EQ(Sql(other, "SELECT x FROM t"), "1");
  RemoveDb(garbage);
  RemoveDb(other);
  RemoveDb(newer);
  rmdir(directory.c_str());
}

// Spans (group memberships, process groups, sessions, stops) are kept in
// memory while the writer's batch is open and written once with their end;
// one still open at the commit is written then, and its end, 100 ms or more
// later, updates the file. Here a session and its group live 250 ms, a
// stop lasts 250 ms and the shell's membership the whole run: every one is
// closed in the file, at the time it ended.
TEST(EventLogTest, SpansThatOutliveABatchAreClosedInTheFile) {
  const std::string path = TempPath("spans.db");
  RemoveDb(path);
  const Captured run = Capture(
      {SENTRY_BINARY, "run", "--no-fuse", "--no-tty", "--db", path, "--", "sh", "-c",
       "setsid -w sleep 0.25; sleep 1 & kill -STOP $!; sleep 0.25; kill -CONT $!; kill $!; wait"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // The session and group of `setsid sleep`, each a span across batches.
  EXPECT_EQ(Sql(path,
                "SELECT count(*) FROM session s JOIN process p ON p.pid = s.sid "
                "WHERE p.comm = 'sleep' AND s.gone_ts - s.created_ts >= 200000000 "
                "AND s.gone_ts = p.reaped_ts"),
            "1");
  EXPECT_EQ(Sql(path,
                "SELECT count(*) FROM process_group g JOIN process p ON p.pid = g.pgid "
                "WHERE p.comm = 'sleep' AND g.gone_ts - g.created_ts >= 200000000 "
                "AND g.gone_ts = p.reaped_ts"),
            "1");
  // The stop, SIGSTOP's, ended when SIGCONT came.
  EXPECT_EQ(Sql(path,
                "SELECT count(*) FROM stop WHERE signo = 19 AND end_ts - start_ts >= "
                "200000000"),
            "1");
  // Every membership of a reaped process ended, each where the next began,
  // the last when the process was reaped.
  EXPECT_EQ(Sql(path,
                "SELECT count(*) FROM process_group_member m JOIN process p USING "
                "(run_id, upid) WHERE p.reaped_ts IS NOT NULL AND m.leave_ts IS NULL"),
            "0");
  EXPECT_EQ(Sql(path,
                "SELECT count(*) FROM process p WHERE p.reaped_ts IS NOT NULL AND "
                "p.reaped_ts != (SELECT max(leave_ts) FROM process_group_member m "
                "WHERE m.run_id = p.run_id AND m.upid = p.upid)"),
            "0");
  EXPECT_EQ(Sql(path,
                "SELECT count(*) FROM process_group_member a WHERE leave_ts IS NOT NULL "
                "AND EXISTS (SELECT 1 FROM process_group_member b WHERE b.run_id = a.run_id "
                "AND b.upid = a.upid AND b.join_ts > a.join_ts) AND NOT EXISTS (SELECT 1 "
                "FROM process_group_member b WHERE b.run_id = a.run_id AND b.upid = a.upid "
                "AND b.join_ts = a.leave_ts)"),
            "0");
  // The shell's membership lasted the run.
  EXPECT_EQ(Sql(path,
                "SELECT count(*) FROM process_group_member m JOIN process p USING "
                "(run_id, upid) WHERE p.comm = 'sh' AND m.leave_ts - m.join_ts >= 500000000"),
            "1");
  RemoveDb(path);
}

// A file an older sentry wrote is upgraded by the next `sentry run` on it,
// and keeps every answer: version 1 kept the exit timeline as a table of
// its own, version 2 derives it from `record`. The file is a real one,
// written at version 1 (tests/inspect/data/schema_v1_run.sql).
TEST(EventLogTest, AnOlderFileIsUpgradedAndKeepsItsExitTimeline) {
  const std::string path = TempPath("schema-v1.db");
  RemoveDb(path);
  Sql(path, ".read " INSPECT_TEST_DATA "/schema_v1_run.sql");
  Sql(path, "PRAGMA application_id = 1397642322; PRAGMA user_version = 1");
  const std::string exits = Sql(path, "SELECT * FROM exit ORDER BY rowid");
  ASSERT_EQ(std::count(exits.begin(), exits.end(), '\n'), 15) << exits;  // 4 processes, 4 steps
  ASSERT_EQ(Sql(path, "SELECT type FROM sqlite_schema WHERE name = 'exit'"), "table");

  // Reading it asks for the upgrade; it changes nothing.
  const Captured read = Capture({SENTRY_BINARY, "inspect", "--db", path, "runs"});
  EXPECT_NE(read.exit_code, 0);
  EXPECT_TRUE(Contains(read.err, "older sentry")) << read.err;
  ASSERT_EQ(Capture({SENTRY_BINARY, "run", "--no-fuse", "--no-tty", "--db", path, "--", "true"})
                .exit_code,
            0);

  EXPECT_EQ(Sql(path, "PRAGMA user_version"), "4");
  EXPECT_EQ(Sql(path, "SELECT type FROM sqlite_schema WHERE name = 'exit'"), "view");
  // Version 4: which platform recorded a run; every older run was ptrace's.
  EXPECT_EQ(Sql(path, "SELECT group_concat(platform) FROM run"), "ptrace,ptrace");
  // Version 3: the old run's records name no rule; the rules have their words.
  EXPECT_EQ(Sql(path, "SELECT count(*) FROM record WHERE run_id = 1 AND rule != 0"), "0");
  EXPECT_TRUE(Contains(Sql(path, "SELECT meaning FROM rule WHERE name = 'setpgid_child_execed'"),
                       "until the child calls exec"));
  EXPECT_EQ(Sql(path, "SELECT * FROM exit WHERE run_id = 1"), exits);
  EXPECT_EQ(Sql(path, "PRAGMA integrity_check"), "ok");
  // The new run's steps are there too, and inspect answers from the old run.
  EXPECT_EQ(Sql(path, "SELECT count(*) > 0 FROM exit WHERE run_id = 2 AND step = 'reaped'"), "1");
  const Captured waits = Capture({SENTRY_BINARY, "inspect", "--db", path, "--run", "1", "waits"});
  EXPECT_EQ(waits.exit_code, 0) << waits.err;
  EXPECT_TRUE(Contains(waits.out, "exited 4")) << waits.out;
  const Captured timeline =
      Capture({SENTRY_BINARY, "inspect", "--db", path, "--run", "1", "timeline"});
  EXPECT_EQ(timeline.exit_code, 0) << timeline.err;
  EXPECT_TRUE(Contains(timeline.out, "reaped")) << timeline.out;
  RemoveDb(path);
}

// The sqlite3 CLI reads the file while a run writes it; the run is
// "running" until it ends.
TEST(EventLogTest, Sqlite3ReadsTheFileWhileTheRunWritesIt) {
  const std::string db = TempPath("live.db");
  RemoveDb(db);
  LiveRun run({"--no-fuse", "--db", db}, {SCENARIOS_BINARY, "view-stepper"});
  ASSERT_EQ(run.ReadLine(), "ready");
  for (int i = 0; i < 5; ++i) {
    run.WriteLine("fork");
    ASSERT_TRUE(run.ReadLine().starts_with("zombie "));
    run.WriteLine("reap");
    ASSERT_TRUE(run.ReadLine().starts_with("reaped "));
  }
  // The stepper's five children, committed within 100 ms.
  EXPECT_TRUE(Eventually(
      [&] { return Sql(db, "SELECT count(*) FROM process WHERE reaped_ts IS NOT NULL") == "5"; }));
  EXPECT_EQ(Sql(db, "SELECT state FROM run"), "running");
  run.WriteLine("quit");
  EXPECT_EQ(run.Finish(), 0) << run.Stderr();
  EXPECT_EQ(Sql(db, "SELECT state, exit_code FROM run"), "finished|0");
  // The sentry, its session leader, the stepper and its five children.
  EXPECT_EQ(Sql(db, "SELECT count(*) FROM process"), "8");
  RemoveDb(db);
}

// Several sentries started at once on one new file (two runs in one
// directory, default ./sentry.db): the first creates the schema, the others
// find it made; every run is recorded.
TEST(EventLogTest, RunsStartedAtOnceShareANewFile) {
  const std::string db = TempPath("shared.db");
  RemoveDb(db);
  constexpr int kRuns = 6;
  std::vector<pid_t> runs;
  for (int i = 0; i < kRuns; ++i) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      execl(SENTRY_BINARY, SENTRY_BINARY, "run", "--no-fuse", "--no-tty", "--db", db.c_str(), "--",
            "/bin/true", static_cast<char*>(nullptr));
      _exit(127);
    }
    runs.push_back(pid);
  }
  for (const pid_t pid : runs) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  EXPECT_EQ(Sql(db, "SELECT count(*) FROM run WHERE state = 'finished'"), std::to_string(kRuns));
  RemoveDb(db);
}

// kill -9 of the sentry: the file stays valid with what was committed, the
// workload dies with it, and the next run marks the run interrupted.
TEST(EventLogTest, KillingTheSentryLeavesAValidFileAndAnInterruptedRun) {
  const std::string db = TempPath("killed.db");
  RemoveDb(db);
  LiveRun run({"--no-fuse", "--db", db}, {SCENARIOS_BINARY, "view-stepper"});
  ASSERT_EQ(run.ReadLine(), "ready");
  run.WriteLine("fork");
  ASSERT_TRUE(run.ReadLine().starts_with("zombie "));
  run.WriteLine("reap");
  ASSERT_TRUE(run.ReadLine().starts_with("reaped "));
  ASSERT_TRUE(Eventually(
      [&] { return Sql(db, "SELECT count(*) FROM process WHERE reaped_ts IS NOT NULL") == "1"; }));
  const int stepper =
      std::stoi(Sql(db, "SELECT pid FROM process WHERE comm = 'scenarios' ORDER BY upid LIMIT 1"));
  EXPECT_EQ(run.Signal(SIGKILL), 128 + SIGKILL);
  EXPECT_TRUE(Eventually([&] { return kill(stepper, 0) != 0; })) << "the workload outlived it";
  EXPECT_EQ(Sql(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(Sql(db, "SELECT state FROM run"), "running");
  const Captured next = Capture({SENTRY_BINARY, "run", "--no-fuse", "--db", db, "--", "true"});
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(Sql(db, "SELECT run_id, state FROM run ORDER BY run_id"), "1|interrupted\n2|finished");
  // What was committed is there, and replays.
  const Captured replay = Capture({SENTRY_BINARY, "replay", "--db", db, "--run", "1"});
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  RemoveDb(db);
}

}  // namespace
