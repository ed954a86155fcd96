// Readers take consistent snapshots while the tracer thread applies.
#include <atomic>
#include <set>
#include <thread>

#include "tests/unit/model_test_util.h"

namespace sentry::kernel::testing {
namespace {

TEST(ConcurrencyTest, SnapshotsAreConsistentWhileTheWriterApplies) {
  Kernel kernel;
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> snapshots{0};
  std::atomic<std::uint64_t> violations{0};
  auto reader = [&] {
    while (!done.load(std::memory_order_relaxed)) {
      const auto procs = kernel.Processes();
      std::set<std::int32_t> tgids;
      for (const auto& p : procs) tgids.insert(p.tgid);
      for (const auto& p : procs) {
        // Every parent shown is itself in the same snapshot.
        if (p.ppid != 0 && !tgids.contains(p.ppid)) ++violations;
        if (p.num_threads < 1 || p.pgid == 0 || p.sid == 0) ++violations;
      }
      ++snapshots;
    }
  };
  std::vector<std::thread> readers;
  readers.reserve(3);
  for (int i = 0; i < 3; ++i) readers.emplace_back(reader);

  auto apply = [&](ObservationBody b) {
    kernel.Apply(Observation{.time_ns = 0, .body = std::move(b)});
  };
  apply(SentryTask(100));
  for (int i = 0; i < 20000; ++i) {
    const ThreadId child(1000 + i % 500);
    const ThreadId grandchild(2000 + i % 500);
    apply(Clone{.parent = ThreadId(100),
                .child = child,
                .flags = 0,
                .exit_signal = abi::kSIGCHLD,
                .nested_tids = {},
                .error = 0});
    apply(Clone{.parent = child,
                .child = grandchild,
                .flags = 0,
                .exit_signal = abi::kSIGCHLD,
                .nested_tids = {},
                .error = 0});
    apply(ExitBegin{.tid = child, .status = {}, .group = true});
    apply(ExitEnd{.tid = child, .status = {}, .usage = {}});  // grandchild -> 100
    apply(WaitDone{.tid = ThreadId(100),
                   .request = WaitRequest::FromWait4(child.value, 0),
                   .result = child.value,
                   .code = abi::kCLD_EXITED,
                   .status = 0});
    apply(ExitBegin{.tid = grandchild, .status = {}, .group = true});
    apply(ExitEnd{.tid = grandchild, .status = {}, .usage = {}});
    apply(WaitDone{.tid = ThreadId(100),
                   .request = WaitRequest::FromWait4(-1, 0),
                   .result = grandchild.value,
                   .code = abi::kCLD_EXITED,
                   .status = 0});
  }
  done = true;
  for (auto& r : readers) r.join();
  EXPECT_GT(snapshots.load(), 0u);
  EXPECT_EQ(violations.load(), 0u);
  EXPECT_EQ(kernel.Stats().divergences, 0u);
  EXPECT_EQ(kernel.Stats().live_tasks, 1u);
}

}  // namespace
}  // namespace sentry::kernel::testing
