#include "sentry/kernel/ids.h"

#include <gtest/gtest.h>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/pid_namespace.h"
#include "sentry/kernel/record.h"

namespace sentry::kernel {
namespace {

TEST(IdsTest, StrongIdsCompareAndConvert) {
  ThreadId a(5);
  ThreadId b(7);
  EXPECT_LT(a, b);
  EXPECT_FALSE(ThreadId{});
  EXPECT_TRUE(a);
  static_assert(!std::is_convertible_v<ThreadId, ProcessGroupId>);
  static_assert(!std::is_convertible_v<int, ThreadId>);
  EXPECT_EQ(std::hash<ThreadId>{}(a), std::hash<std::int32_t>{}(5));
}

TEST(IdsTest, IdInTranslatesOnlyToAncestorNamespaces) {
  PidNamespace root;
  PidNamespace child;
  child.parent = &root;
  child.depth = 1;
  PidNamespace sibling;
  sibling.parent = &root;
  sibling.depth = 1;
  const NsIds ids{.root = 4000, .nested = {1}};
  EXPECT_EQ(IdIn(ids, &child, &root), 4000);
  EXPECT_EQ(IdIn(ids, &child, &child), 1);
  EXPECT_EQ(IdIn(ids, &child, &sibling), 0);
  const NsIds outer{.root = 10, .nested = {}};
  EXPECT_EQ(IdIn(outer, &root, &child), 0);  // the parent is invisible inside
}

TEST(IdsTest, Names) {
  EXPECT_EQ(abi::SignalName(abi::kSIGHUP), "SIGHUP");
  EXPECT_EQ(abi::SignalName(34), "SIG34");
  EXPECT_EQ(abi::ErrnoName(abi::kECHILD), "ECHILD");
  for (int k = 0; k <= static_cast<int>(RecordKind::kDivergence); ++k) {
    const auto kind = static_cast<RecordKind>(k);
    EXPECT_EQ(RecordKindFromName(RecordKindName(kind)), kind);
  }
}

}  // namespace
}  // namespace sentry::kernel
