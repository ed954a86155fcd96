// Helpers for the view's tests: a `sentry run` in the background whose
// workload talks over pipes, and running a tool to capture its output.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace sentry::fusefs::testing {

struct Captured {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv to the end; stdout and stderr captured, stdin /dev/null.
Captured Capture(const std::vector<std::string>& argv);

// `sentry run OPTIONS -- WORKLOAD...` in the background, in a session of its
// own; the workload's stdin and stdout are pipes to the test.
class LiveRun {
 public:
  LiveRun(const std::vector<std::string>& sentry_options, const std::vector<std::string>& workload);
  ~LiveRun();
  LiveRun(const LiveRun&) = delete;
  LiveRun& operator=(const LiveRun&) = delete;

  // A line of the workload's stdout, without the newline ("" at EOF).
  std::string ReadLine();
  void WriteLine(const std::string& line) const;
  // Closes the workload's stdin and waits for the sentry; its shell exit code.
  int Finish();
  // Sends the sentry a signal (stdin left open) and waits for it; its shell exit code.
  int Signal(int signo);
  pid_t Pid() const { return pid_; }
  // What the sentry wrote on stderr (once finished).
  std::string Stderr() const;

 private:
  void Await();

  pid_t pid_ = -1;
  int to_ = -1;
  int from_ = -1;
  std::string err_path_;
  std::string mount_;  // its --mount, detached if the run had to be killed
  std::string buffered_;
  int status_ = -1;
};

// The sandbox's processes as the view lists them (numeric entries).
std::vector<int> ListedPids(const std::string& mount);

// Whether `path` is mounted (any file system), from /proc/self/mountinfo.
bool IsMounted(const std::string& path);

// A `sentry run --step`'s view at `mount`: waits until the run holds
// (sentry/step reads "held after:", 20 s at most) and returns that state;
// "" if the run ended (its view unmounted) or never held.
std::string AwaitHeld(const std::string& mount);
// Writes `words` to its sentry/step file in one write: whether it took them
// (errno says why not).
bool SayToStep(const std::string& mount, std::string_view words);

}  // namespace sentry::fusefs::testing
