#include "sentry/cmd/run.h"

#include <sys/resource.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <expected>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fusefs/mount.h"
#include "fusefs/procfs.h"
#include "inspect/event_log.h"
#include "platform/job_front.h"
#include "platform/observer.h"
#include "platform/tracer.h"
#include "sentry/cmd/command_start.h"
#include "sentry/cmd/help.h"
#include "sentry/cmd/json_lines_log.h"
#include "sentry/cmd/step.h"
#include "sentry/cmd/usage_error.h"
#include "sentry/cmd/view_mount.h"
#include "sentry/kernel/kernel.h"

namespace sentry::cmd {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: sentry run [options] -- CMD [ARGS...]\n"
    "\n"
    "Runs CMD under ptrace (or, with --observe, followed through the kernel's\n"
    "tracepoints) and mirrors its task tree in the model, live as a procfs\n"
    "view and recorded in a SQLite file. CMD runs where a shell would put it: a small\n"
    "session leader (sentry-session, a login shell's place) starts it in a session of\n"
    "its own, in the leader's process group as `sh -c` would (with a terminal: in a\n"
    "group of its own, the terminal's foreground, as an interactive shell's job).\n"
    "CMD's stdin, stdout and stderr are its own; the sentry's messages go to stderr\n"
    "prefixed with 'sentry:'.\n"
    "\n"
    "Signals: SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to the sentry go to CMD's\n"
    "foreground process group, as a terminal's Ctrl-C would; a second SIGINT kills\n"
    "the whole workload. When CMD's first process exits, the rest of the workload is\n"
    "killed (as a PID namespace's tasks are when its init dies), and one line says\n"
    "how many; --wait-all waits for them instead.\n"

    "\n"
    "When stdin is a terminal, CMD gets a pseudo-terminal of its own as its\n"
    "controlling terminal (stdin, and stdout/stderr where they are terminals too):\n"
    "the sentry relays keystrokes and window size, so job control in an interactive\n"
    "shell (Ctrl-Z, fg, bg) works and the model knows the foreground group; Ctrl-Z\n"
    "of CMD itself stops the sentry, as the job your shell knows.\n"
    "\n"
    "Not root: the workload runs with no_new_privs (the seccomp filter the sentry\n"
    "traces with requires it), so setuid and file-capability programs gain nothing.\n";

constexpr CommandDoc kDoc{
    .name = "run",
    .summary = "run a command under ptrace and mirror its task tree in a model",
    .usage = kUsage,
    .exit_status =
        "CMD's. If CMD was killed by signal N, the sentry ends by signal N too (a shell\n"
        "shows 128+N); 127 if CMD is not found, 126 if it cannot be executed, 125 if the\n"
        "sentry itself could not start it, 2 for a bad command line.",
    .files =
        "./sentry.db\n"
        "  the event log the run is recorded in (--db FILE, --no-db).\n"
        "\n"
        "/sandbox/proc\n"
        "  the live procfs view, as root (--mount DIR, --no-fuse); otherwise\n"
        "  $XDG_RUNTIME_DIR/sentry/PID/proc.",
    .environment =
        "XDG_RUNTIME_DIR\n"
        "  where a user who is not root gets the view mounted.",
    .examples =
        "sentry run -- make -j4\n"
        "sentry run --pidns -- sh -c 'sleep 1 & wait'\n"
        "sentry run --observe -- strace -f make\n"
        "sentry run --step --step-on fork,reap -- ./a.out\n"
        "sentry run --log-records run.jsonl --no-db -- python3 tests.py",
    .see_also =
        "sentry(1), sentry-view(1), sentry-inspect(1), sentry-replay(1), ptrace(2), "
        "wait(2), pid_namespaces(7), credentials(7)",
};

// Ends the sentry by `signo`, as the workload's first process ended: a
// parent sees WIFSIGNALED (a shell still says 128+N). No core of its own.
void EndBySignal(int signo) {
  const rlimit no_core{.rlim_cur = 0, .rlim_max = 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  std::cout.flush();
  std::fflush(nullptr);
  ::signal(signo, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signo);
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(signo);
}

// The run itself: every resource (mount, database, log) is released when it
// returns. `signo` is set to the signal that killed the first process.
int RunAndCleanUp(int argc, char** argv, int& signo) {
  po::options_description opts("options");
  platform::RunOptions options;
  std::string log_records_path;
  std::string mount_path;
  std::string db_path = "sentry.db";
  std::string step_on;
  std::int64_t max_tasks = 0;
  opts.add_options()("help,h", "show this help")("verbose,v", "end with a summary line")(
      "wait-all", "wait for every task, not just the first process")(
      "max-tasks", po::value<std::int64_t>(&max_tasks)->value_name("N"),
      "fail (EAGAIN) any clone/fork beyond N live tasks of the workload, threads included, "
      "and record it (0, the default: no limit)")(
      "log-records", po::value<std::string>(&log_records_path)->value_name("FILE"),
      "write every observation and record to FILE, one JSON object per line")(
      "db", po::value<std::string>(&db_path)->value_name("FILE"),
      "record the run in the SQLite file FILE (default ./sentry.db; one file holds many "
      "runs): query it with `sentry inspect` or sqlite3")("no-db",
                                                          "do not record the run in a database")(
      "pidns",
      "run the workload in a new PID namespace: its first process is pid 1 there, and "
      "the kernel kills the namespace when it exits (so not with --wait-all)")(
      "no-tty", "do not give the workload a terminal of its own, even when stdin is one")(
      "observe",
      "run the workload without ptrace, followed through the kernel's tracepoints (BPF; "
      "root): no stops, and strace and gdb work inside it. The model, the view and the "
      "log are the same; what this platform cannot see (a thread joining a group stop, a "
      "failed clone) is listed in README's \"Watching without ptrace\". Not with --step "
      "or --max-tasks, which need a held task, nor --pidns yet; the workload gets no "
      "terminal of its own")(
      "no-bpf",
      "read every ptrace stop with ptrace and /proc alone. By default, when the kernel lets "
      "it load BPF (root), the sentry takes a new task's clone flags and an exec's names "
      "from tracepoints that fire before the stop, which saves those reads; -v counts them")(
      "mount", po::value<std::string>(&mount_path)->value_name("DIR"),
      "mount the live procfs view at DIR (default: /sandbox/proc as root, or "
      "/sandbox/PID/proc, said with -v, while another run has it; else "
      "$XDG_RUNTIME_DIR/sentry/PID/proc); `sentry view -- ps -ef` reads it")(
      "no-fuse", "run without the procfs view")(
      "keep-mounted",
      "keep the view mounted after the workload ends, until SIGINT or SIGTERM: its final "
      "state (sentry/reaped: who reaped whom and how each ended; sentry/status: the "
      "counts and divergences)")(
      "step",
      "go through the run one event at a time: after each, its sentence is printed "
      "(stderr) and the workload held until you go on: Enter next, c continue (to the end, "
      "still telling), t tree (sessions and groups now), q quit (the workload is killed). "
      "While held, the view shows that moment; its sentry/step file reads the state and "
      "takes the same words (next, continue, quit) from a script or a second terminal")(
      "quiz",
      "with --step, ask before the event that decides it what will happen (who will reap a "
      "child, whose child an orphan becomes, what a wait will report), and say whether the "
      "answer was right and why; the view's sentry/step takes `answer TEXT`")(
      "step-on", po::value<std::string>(&step_on)->value_name("KINDS"),
      "with --step, hold only after these kinds of event, comma-separated: fork, exec, "
      "exit, zombie, reap, signal, stop, pgrp, session, adopt (the rest is still told)")(
      "allow-other",
      "let other users read the view (file modes still apply: a process's environ stays "
      "its owner's). Without it only the sentry's user can enter the mount; with it, anyone "
      "can list the workload's processes and their command lines");
  const int split = CommandStart(opts, argc, argv);
  std::vector<std::string> workload;
  const bool dashes = split < argc && std::strcmp(argv[split], "--") == 0;
  for (int i = dashes ? split + 1 : split; i < argc; ++i) workload.emplace_back(argv[i]);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(split, argv).options(opts).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return UsageError("run", e.what());
  }
  if (vm.count("help") != 0) return PrintHelp(std::cout, kDoc, opts);
  if (workload.empty()) {
    return UsageError("run", "no command given (sentry run [options] -- CMD [ARGS...])");
  }
  if (vm.count("db") != 0 && vm.count("no-db") != 0) {
    return UsageError("run", "--db and --no-db contradict each other");
  }
  if (vm.count("wait-all") != 0 && vm.count("pidns") != 0) {
    // The kernel itself kills a PID namespace whose init exits: nothing to wait for.
    return UsageError("run",
                      "--wait-all cannot work with --pidns: the kernel kills a PID namespace's "
                      "tasks when its init (the first process) exits");
  }
  if (max_tasks < 0) return UsageError("run", "--max-tasks takes a count, 0 or more");
  options.max_tasks = static_cast<std::size_t>(max_tasks);
  const bool step = vm.count("step") != 0;
  options.observe = vm.count("observe") != 0;
  if (options.observe) {
    // The observe platform holds no task: what needs one cannot work.
    for (const char* needs_ptrace : {"step", "max-tasks"}) {
      if (vm.count(needs_ptrace) != 0) {
        return UsageError("run", std::string("--") + needs_ptrace +
                                     " cannot work with --observe, which holds no task "
                                     "(it needs the ptrace platform)");
      }
    }
    if (vm.count("pidns") != 0) {
      return UsageError("run",
                        "--pidns cannot work with --observe yet: its tracepoints give the "
                        "initial namespace's ids, not the workload's");
    }
    if (vm.count("no-bpf") != 0) {
      return UsageError("run", "--no-bpf contradicts --observe, which is BPF's tracepoints");
    }
  }
  if (vm.count("quiz") != 0 && !step) return UsageError("run", "--quiz needs --step");
  std::set<std::string> step_kinds;
  if (vm.count("step-on") != 0) {
    if (!step) return UsageError("run", "--step-on needs --step");
    auto kinds = Stepper::ParseKinds(step_on);
    if (!kinds) return UsageError("run", kinds.error());
    step_kinds = std::move(*kinds);
  }
  options.argv = std::move(workload);
  options.verbose = vm.count("verbose") != 0;
  const bool verbose = options.verbose;
  options.wait_all = vm.count("wait-all") != 0;
  options.pidns = vm.count("pidns") != 0;
  options.stop_facts = vm.count("no-bpf") == 0;
  options.terminal = vm.count("no-tty") == 0 && !options.observe && ::isatty(STDIN_FILENO) == 1;
  // --step takes its commands from the terminal the workload shares, or the view.
  if (step && !options.terminal && vm.count("no-fuse") != 0) {
    return UsageError("run",
                      "--step takes its commands from a terminal (stdin) or from the view's "
                      "sentry/step file: not with --no-fuse and without a terminal");
  }
  // With a terminal, the user's shell's job is a front that holds it and
  // stops as the job, so the view answers while the job is stopped
  // (platform/job_front.h). Split off before anything starts a thread.
  auto front = options.terminal
                   ? platform::JobFront::Split()
                   : std::expected<platform::JobFront, std::string>(std::unexpect, std::string());
  if (!front && options.terminal) {
    std::cerr << "sentry: " << front.error() << "\n";
    return 125;
  }
  if (front) options.front = &*front;
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
  // The database first: a file that cannot be the log is an error before
  // anything runs or is mounted.
  std::unique_ptr<inspect::EventLog> db;
  if (vm.count("no-db") == 0) {
    std::error_code ec;
    const std::filesystem::path cwd = std::filesystem::current_path(ec);
    auto opened = inspect::EventLog::Open(db_path, model,
                                          {.argv = options.argv,
                                           .cwd = cwd.string(),
                                           .pidns = options.pidns,
                                           .platform = options.observe ? "observe" : "ptrace",
                                           .start_time_ns = inspect::MonotonicNow()},
                                          {.verbose = options.verbose});
    if (!opened) {
      std::cerr << "sentry: " << opened.error()
                << (vm.count("db") == 0 ? " (--db FILE records elsewhere, --no-db not at all)" : "")
                << "\n";
      return 125;
    }
    db = std::move(*opened);
    options.consumers.push_back(db.get());
  }
  std::unique_ptr<fusefs::Procfs> view;
  std::unique_ptr<fusefs::Mount> mount;
  if (vm.count("no-fuse") == 0) {
    view = std::make_unique<fusefs::Procfs>(
        model, fusefs::Procfs::Options{.owner = ::getuid(), .pidns = options.pidns});
    auto mounted = MountView(*view, mount_path, vm.count("allow-other") != 0, options.verbose);
    if (!mounted) {
      std::cerr << "sentry: " << mounted.error() << "\n";
      if (db) (void)db->Finish(125);  // the run ends here, truthfully recorded
      return 125;
    }
    mount = std::move(*mounted);
    if (mount) options.consumers.push_back(view.get());
  }
  const bool keep_mounted = mount && vm.count("keep-mounted") != 0;
  std::unique_ptr<Stepper> stepper;
  if (step) {
    Stepper::Options step_options{.kinds = std::move(step_kinds),
                                  .terminal = options.terminal,
                                  .keys = front ? front->Keys() : STDIN_FILENO,
                                  .sentry = ::getpid(),
                                  .quiz = vm.count("quiz") != 0,
                                  .pidns = options.pidns,
                                  .before_hold = {}};
    if (mount) step_options.before_hold = [v = view.get()] { v->AwaitNotifier(); };
    stepper = std::make_unique<Stepper>(model, std::move(step_options));
    options.consumers.push_back(stepper.get());
    options.holder = stepper.get();
    if (view) {
      view->SetStepControl(
          {.state = [s = stepper.get()] { return s->State(); },
           .command = [s = stepper.get()](std::string_view c) { return s->Command(c); }});
    }
  }
  std::unique_ptr<platform::Platform> tracer;
  if (options.observe) {
    tracer = std::make_unique<platform::Observer>(model, std::move(options));
  } else {
    tracer = std::make_unique<platform::Tracer>(model, std::move(options));
  }
  if (view && tracer->CanHold()) {
    view->SetFreezeControl([&tracer](bool frozen) { tracer->RequestFreeze(frozen); });
  }
  const int status = tracer->Run();
  signo = tracer->TerminationSignal();
  if (view) view->SetFreezeControl(nullptr);
  if (view) view->SetStepControl({});
  if (log) log.reset();  // written out before the user is told anything
  if (db) {
    const std::uint64_t full_waits = db->QueueFullWaits();
    if (auto finished = db->Finish(status); !finished) {
      std::cerr << "sentry: " << finished.error() << "\n";
    } else if (verbose) {
      std::cerr << "sentry: run " << db->RunId() << " recorded in " << db->Path()
                << " (`sentry inspect --db " << db->Path() << " waits`)";
      if (full_waits > 0) std::cerr << "; the tracer waited " << full_waits << " times for it";
      std::cerr << "\n";
    }
  }
  // A SIGINT or SIGTERM that came as the workload ended was the user's
  // request to end: the view is not kept waiting for another.
  if (keep_mounted && !tracer->AskedToEnd()) {
    ServeUntilInterrupted("the workload ended; its final state", mount->Path());
  }
  return status;
}

}  // namespace

int RunMain(int argc, char** argv) {
  int signo = 0;
  const int status = RunAndCleanUp(argc, argv, signo);
  if (signo != 0) EndBySignal(signo);  // returns only if the signal cannot kill
  return status;
}

}  // namespace sentry::cmd
