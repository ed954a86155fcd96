// Helpers shared by the platform tests: running programs, temporary files,
// and reading the records of a `sentry run --log-records` log.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "sentry/kernel/record.h"

namespace sentry::platform::testing {

struct Outcome {
  int exit_code = -1;  // the shell's view: 128+N when killed by signal N
  std::string out;
  std::string err;
};

std::string Slurp(const std::string& path);

// A path unique to this test process under $TMPDIR (or /tmp).
std::string TempPath(const std::string& name);

// execv's null-terminated argv, pointing into `argv` (build it before fork).
std::vector<char*> ExecArgv(const std::vector<std::string>& argv);

// The shell exit code of a wait status.
int ShellExitCode(int status);

// Whether child `pid` (not reaped) ends within a limit far beyond any
// run's time; if not, a test failure naming `name` with the state of every
// task of session `sid` and of every task they trace.
bool EndsWithinTheRunLimit(pid_t pid, pid_t sid, const std::string& name);

// Runs argv in a session of its own (as the sentry runs workloads), stdout
// and stderr to files.
Outcome RunInNewSession(const std::vector<std::string>& argv, const std::string& name);

// What a traced run left: its outcome and the records of its log.
struct Traced {
  Outcome outcome;
  std::vector<kernel::Record> records;
  int sentry_pid_hint = 0;  // the sentry's tid, from its first record
  std::string kept_log;     // the --log-records file, kept when a run diverged

  // Loads the record lines of a --log-records file (a bad line fails the test).
  void ReadLog(const std::string& path);
  std::size_t Count(kernel::RecordKind kind) const;
  std::vector<kernel::Record> All(kernel::RecordKind kind) const;
  std::string Divergences() const;  // their details, a line each, and the kept log
  // Tasks the records show created and never reaped, the sentry aside: at
  // the end of a run whose first process is gone, the host has none.
  std::vector<int> NeverReaped() const;
};

// Runs `scenarios ARGS...` under `sentry run --log-records` (with
// sentry_options) and reads its records; the log is kept if it diverged.
Traced RunTraced(const std::vector<std::string>& scenario_args,
                 const std::vector<std::string>& sentry_options = {});
inline Traced RunTraced(const std::string& mode,
                        const std::vector<std::string>& sentry_options = {}) {
  return RunTraced(std::vector<std::string>{mode}, sentry_options);
}

// Same output and exit status natively and under the sentry; no divergence.
Traced Compare(const std::string& mode, const std::vector<std::string>& sentry_options = {});

}  // namespace sentry::platform::testing
