// Model throughput and memory: applies a realistic fork/exec/exit/wait/stop
// mix, as a shell running jobs would produce it, and prints figures.
//
//   model.observations_per_sec: N   (median of the timed rounds)
//   model.rss_kb_after_1M / model.rss_kb_after_10M: resident memory, to show
//   that released tasks leave the live model.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/kernel.h"

namespace {

using namespace sentry::kernel;  // NOLINT(google-build-using-namespace): a benchmark's main

long RssKb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  long resident = 0;
  statm >> pages >> resident;
  return resident * 4;
}

// One self-contained block: every job started in it is reaped in it, so the
// block can be applied again and again to the same kernel (pids are reused,
// as on a busy host).
std::vector<Observation> MakeBlock(int jobs) {
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
    if (j % 4 == 0)
      add(SetPgid{.tid = shell, .pid = child.value, .pgid = child.value, .result = 0});
    add(Exec{.tid = child, .uid = 1000, .gid = 1000, .comm = "ls", .argv = {"ls", "-l", "/tmp"}});
    if (j % 8 == 0) {  // a multi-threaded job
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
    if (j % 16 == 0) {  // Ctrl-Z, then bg
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

}  // namespace

int main(int argc, char** argv) {
  const long total_target = argc > 1 ? std::atol(argv[1]) : 10'000'000;
  Kernel kernel;
  auto apply = [&](ObservationBody b) {
    kernel.Apply(Observation{.time_ns = 0, .body = std::move(b)});
  };
  apply(TaskExisting{.tid = ThreadId(100),
                     .tgid = ThreadId(100),
                     .parent = {},
                     .pgid = ProcessGroupId(100),
                     .sid = SessionId(100),
                     .uid = 0,
                     .gid = 0,
                     .subreaper = true,
                     .comm = "sentry",
                     .argv = {"sentry"}});
  apply(Clone{.parent = ThreadId(100),
              .child = ThreadId(200),
              .flags = 0,
              .exit_signal = abi::kSIGCHLD,
              .nested_tids = {},
              .error = 0});
  apply(SetSid{.tid = ThreadId(200), .result = 200});
  apply(Exec{.tid = ThreadId(200), .uid = 1000, .gid = 1000, .comm = "sh", .argv = {"sh"}});

  const std::vector<Observation> block = MakeBlock(25'000);
  const auto block_size = static_cast<long>(block.size());
  const long rounds = std::max(1L, (total_target + block_size - 1) / block_size);
  std::vector<double> rates;
  long applied = 0;
  long rss_after_1m = 0;
  std::uint64_t records = 0;
  for (long r = 0; r < rounds; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (const Observation& obs : block) records += kernel.Apply(obs).size();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    rates.push_back(static_cast<double>(block.size()) / took.count());
    applied += static_cast<long>(block.size());
    if (rss_after_1m == 0 && applied >= 1'000'000) rss_after_1m = RssKb();
  }
  std::sort(rates.begin(), rates.end());
  const KernelStats stats = kernel.Stats();
  std::printf("model.observations: %ld\n", applied);
  std::printf("model.block_observations: %zu\n", block.size());
  std::printf("model.observations_per_sec: %.0f\n", rates[rates.size() / 2]);
  std::printf("model.observations_per_sec_min: %.0f\n", rates.front());
  std::printf("model.records: %llu\n", static_cast<unsigned long long>(records));
  std::printf("model.rss_kb_after_1M: %ld\n", rss_after_1m != 0 ? rss_after_1m : RssKb());
  std::printf("model.rss_kb_after_all: %ld\n", RssKb());
  std::printf("model.live_tasks_at_end: %zu\n", stats.live_tasks);
  std::printf("model.tasks_seen: %llu\n", static_cast<unsigned long long>(stats.tasks_seen));
  std::printf("model.divergences: %llu\n", static_cast<unsigned long long>(stats.divergences));
  return stats.divergences == 0 ? 0 : 1;
}
