// PID namespaces: nested ids, lookups both ways, init's death.
#include "tests/unit/model_test_util.h"

namespace sentry::kernel::testing {
namespace {

using NamespaceTest = ModelTest;

TEST_F(NamespaceTest, NestedNamespacesTranslateIds) {
  StartWorkload();
  ForkNested(200, 300, {1}, abi::kCLONE_NEWPID);
  ASSERT_EQ(Count(RecordKind::kNamespaceCreated), 1u);
  const NamespaceUid inner = kernel.NamespaceOf(ThreadId(300)).value_or(NamespaceUid{});
  EXPECT_NE(inner, kernel.RootNamespace());
  // The host names the grandchild's inner id...
  ForkNested(300, 301, {7});
  // ...or the model allocates it as Linux would (next after the last).
  Fork(300, 302);
  // A second level.
  ForkNested(301, 303, {9, 1}, abi::kCLONE_NEWPID);
  const NamespaceUid innermost = kernel.NamespaceOf(ThreadId(303)).value_or(NamespaceUid{});
  ASSERT_TRUE(inner && innermost);

  EXPECT_EQ(Info(1, inner).uid, Info(300).uid);  // the same task, seen from inside
  EXPECT_EQ(Info(1, inner).ppid, 0);             // its parent is outside the namespace
  EXPECT_FALSE(kernel.FindTask(ThreadId(300), inner).has_value());
  EXPECT_EQ(Info(300).ppid, 200);
  EXPECT_EQ(Info(7, inner).tid, 7);
  EXPECT_EQ(Info(7, inner).ppid, 1);
  EXPECT_EQ(Info(302).nspid, (std::vector<std::int32_t>{302, 8}));
  EXPECT_EQ(Info(303).nspid, (std::vector<std::int32_t>{303, 9, 1}));
  EXPECT_EQ(Info(9, inner).nspid, (std::vector<std::int32_t>{9, 1}));
  EXPECT_EQ(Info(1, innermost).ppid, 0);
  EXPECT_FALSE(kernel.FindTask(ThreadId(300), innermost).has_value());
  // Processes() lists what a namespace can see.
  EXPECT_EQ(kernel.Processes(inner).size(), 4u);
  EXPECT_EQ(kernel.Processes(innermost).size(), 1u);
  EXPECT_EQ(kernel.Processes().size(), 6u);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(NamespaceTest, InitsExitKillsItsNamespaceAndOrphansGoToInit) {
  StartWorkload();
  ForkNested(200, 300, {1}, abi::kCLONE_NEWPID);
  Fork(300, 301);
  Fork(301, 302);
  Exit(301, 0);
  EXPECT_EQ(Info(302).ppid, 300);  // the namespace's init adopts it
  Exit(300, 0);
  const auto predicted = All(RecordKind::kSignalPredicted);
  ASSERT_EQ(predicted.size(), 1u);  // 302 (301 is a zombie)
  EXPECT_EQ(predicted[0].tid.value, 302);
  EXPECT_EQ(predicted[0].value, abi::kSIGKILL);
  EXPECT_EQ(predicted[0].value2, static_cast<std::int64_t>(SignalCause::kNamespaceInit));
  // The dying init's children have nobody to report to: reaped at exit.
  EXPECT_FALSE(Exists(301));
  Killed(302, abi::kSIGKILL);
  EXPECT_FALSE(Exists(302));
  // init itself is a zombie for its parent outside the namespace.
  Wait(200, WaitRequest::FromWait4(300, 0), 300, abi::kCLD_EXITED, 0);
  EXPECT_EQ(kernel.Stats().namespaces, 1u);  // the inner namespace is freed
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

TEST_F(NamespaceTest, UnshareStartsTheNextChildInANewNamespace) {
  StartWorkload();
  Apply(UnsharePidNamespace{.tid = ThreadId(200)});
  ForkNested(200, 300, {1});
  EXPECT_EQ(Info(300).nspid, (std::vector<std::int32_t>{300, 1}));
  EXPECT_EQ(Count(RecordKind::kNamespaceCreated), 1u);
  Fork(200, 301);
  EXPECT_EQ(Info(301).nspid, (std::vector<std::int32_t>{301, 2}));
  EXPECT_EQ(Info(200).nspid, (std::vector<std::int32_t>{200}));
}

}  // namespace
}  // namespace sentry::kernel::testing
