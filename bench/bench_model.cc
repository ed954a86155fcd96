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

#include "bench/model_workload.h"
#include "sentry/kernel/abi.h"
#include "sentry/kernel/kernel.h"

namespace {

using namespace sentry::kernel;  // NOLINT(google-build-using-namespace): a benchmark's main
using bench::MakeBlock;
using bench::ShellPrefix;

long RssKb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  long resident = 0;
  statm >> pages >> resident;
  return resident * 4;
}

}  // namespace

int main(int argc, char** argv) {
  const long total_target = argc > 1 ? std::atol(argv[1]) : 10'000'000;
  Kernel kernel;
  for (const Observation& obs : ShellPrefix()) kernel.Apply(obs);

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
