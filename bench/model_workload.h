// A realistic observation stream for the benchmarks: what a shell running
// jobs makes the tracer observe (fork, setpgid, exec, threads, Ctrl-Z and
// bg, wait, exit), with no host involved.
#pragma once

#include <vector>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/observation.h"

namespace bench {

using namespace sentry::kernel;  // NOLINT(google-build-using-namespace): benchmark data

// The sentry (pid 100, a subreaper) and its shell (pid 200, a session leader).
inline std::vector<Observation> ShellPrefix() {
  std::vector<Observation> out;
  auto add = [&](ObservationBody b) {
    out.push_back(Observation{.time_ns = 0, .body = std::move(b)});
  };
  add(TaskExisting{.tid = ThreadId(100),
                   .tgid = ThreadId(100),
                   .parent = {},
                   .pgid = ProcessGroupId(100),
                   .sid = SessionId(100),
                   .uid = 0,
                   .gid = 0,
                   .subreaper = true,
                   .comm = "sentry",
                   .argv = {"sentry"}});
  add(Clone{.parent = ThreadId(100),
            .child = ThreadId(200),
            .flags = 0,
            .exit_signal = abi::kSIGCHLD,
            .nested_tids = {},
            .error = 0});
  add(SetSid{.tid = ThreadId(200), .result = 200});
  add(Exec{.tid = ThreadId(200), .uid = 1000, .gid = 1000, .comm = "sh", .argv = {"sh"}});
  return out;
}

// How often a job does each optional thing: every Nth job (1: every job,
// 0: none).
struct JobMix {
  int own_group_every = 4;  // the shell puts it in a process group of its own
  int thread_every = 8;     // it starts a thread that ends before it
  int stop_every = 16;      // Ctrl-Z (the shell's wait sees the stop), then bg
  int signal_every = 0;     // the shell sends it SIGUSR1, which it catches
  int exec_every = 0;       // it is `sh -c CMD` first, which execs CMD
};

// One self-contained block: every job started in it is reaped in it, so the
// block can be applied again and again to the same kernel (pids are reused,
// as on a busy host).
inline std::vector<Observation> MakeBlock(int jobs, JobMix mix = {}) {
  auto every = [](int j, int n) { return n > 0 && j % n == 0; };
  std::vector<Observation> out;
  auto add = [&](ObservationBody b) {
    out.push_back(Observation{.time_ns = 0, .body = std::move(b)});
  };
  const ThreadId shell(200);
  std::int32_t next = 300;
  for (int j = 0; j < jobs; ++j) {
    const ThreadId child(next);
    next = next >= 32000 ? 300 : next + 2;
    add(Clone{.parent = shell,
              .child = child,
              .flags = 0,
              .exit_signal = abi::kSIGCHLD,
              .nested_tids = {},
              .error = 0});
    if (every(j, mix.own_group_every))
      add(SetPgid{.tid = shell, .pid = child.value, .pgid = child.value, .result = 0});
    if (every(j, mix.exec_every))
      add(Exec{.tid = child, .uid = 1000, .gid = 1000, .comm = "sh", .argv = {"sh", "-c", "ls"}});
    add(Exec{.tid = child, .uid = 1000, .gid = 1000, .comm = "ls", .argv = {"ls", "-l", "/tmp"}});
    if (every(j, mix.signal_every)) {
      add(SignalDelivered{
          .tid = child, .signo = abi::kSIGUSR1, .code = abi::kSI_USER, .sender = shell});
    }
    if (every(j, mix.thread_every)) {  // a multi-threaded job
      const ThreadId thread(child.value + 1);
      add(Clone{.parent = child,
                .child = thread,
                .flags = abi::kCLONE_THREAD | abi::kCLONE_VM | abi::kCLONE_SIGHAND,
                .exit_signal = 0,
                .nested_tids = {},
                .error = 0});
      add(ExitBegin{.tid = thread, .status = {}, .group = false});
      add(ExitEnd{.tid = thread, .status = {}, .usage = {}});
    }
    if (every(j, mix.stop_every)) {  // Ctrl-Z, then bg
      add(GroupStop{.tid = child, .signo = abi::kSIGTSTP});
      add(WaitDone{.tid = shell,
                   .request = WaitRequest::FromWait4(-1, abi::kWUNTRACED),
                   .result = child.value,
                   .code = abi::kCLD_STOPPED,
                   .status = abi::kSIGTSTP});
      add(SignalDelivered{
          .tid = child, .signo = abi::kSIGCONT, .code = abi::kSI_USER, .sender = shell});
    }
    add(WaitStart{.tid = shell, .request = WaitRequest::FromWait4(child.value, 0)});
    add(ExitBegin{
        .tid = child, .status = {.code = j % 3, .signo = 0, .core = false}, .group = true});
    add(ExitEnd{.tid = child,
                .status = {.code = j % 3, .signo = 0, .core = false},
                .usage = {.utime_ns = 1000, .stime_ns = 2000, .maxrss_kb = 1500}});
    add(WaitDone{.tid = shell,
                 .request = WaitRequest::FromWait4(child.value, 0),
                 .result = child.value,
                 .code = abi::kCLD_EXITED,
                 .status = j % 3});
  }
  return out;
}

}  // namespace bench
