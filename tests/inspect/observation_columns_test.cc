// Observations stored as the event log's columns come back exactly.
#include "inspect/observation_columns.h"

#include <gtest/gtest.h>

#include "sentry/kernel/json_codec.h"
#include "tests/unit/observation_samples.h"

namespace sentry::inspect {
namespace {

TEST(ObservationColumnsTest, EveryKindRoundTrips) {
  const auto all = kernel::testing::OneOfEachKind();
  ASSERT_EQ(all.size(), std::variant_size_v<kernel::ObservationBody>);
  for (const kernel::Observation& obs : all) {
    const ObservationColumns cols = ToColumns(obs);
    EXPECT_EQ(cols.kind, kernel::ObservationKindName(obs));
    auto body = FromColumns(cols);
    ASSERT_TRUE(body.has_value()) << body.error();
    EXPECT_EQ(*body, obs.body) << kernel::EncodeObservation(obs, 1);
  }
  // Every kind's columns are described for the lookup table.
  EXPECT_EQ(ObservationKindMeanings().size(), all.size());
}

// Lists read without a JSON parser when they can be, with one when not:
// the same values either way.
TEST(ObservationColumnsTest, ListsComeBackWhateverTheyHold) {
  const std::vector<std::vector<std::string>> argvs = {{},
                                                       {""},
                                                       {"sh", "-c", "echo \"hi\"; exit 3"},
                                                       {"a\\b", "tab\there"},
                                                       {"ü", "日本"},
                                                       {"[", "]", ","},
                                                       {"new\nline", "\x01"}};
  for (const auto& argv : argvs) {
    const kernel::Observation obs{
        .time_ns = 1,
        .body = kernel::Exec{
            .tid = kernel::ThreadId(7), .uid = 0, .gid = 0, .comm = "x", .argv = argv}};
    auto body = FromColumns(ToColumns(obs));
    ASSERT_TRUE(body.has_value()) << body.error();
    EXPECT_EQ(*body, obs.body) << kernel::EncodeObservation(obs, 1);
  }
  for (const auto& tids : std::vector<std::vector<std::int32_t>>{{}, {5}, {-1, 2, 2147483647}}) {
    kernel::Clone clone{};
    clone.parent = kernel::ThreadId(1);
    clone.child = kernel::ThreadId(2);
    clone.nested_tids = tids;
    const kernel::Observation obs{.time_ns = 1, .body = clone};
    auto body = FromColumns(ToColumns(obs));
    ASSERT_TRUE(body.has_value()) << body.error();
    EXPECT_EQ(*body, obs.body) << kernel::EncodeObservation(obs, 1);
  }
  ObservationColumns trailing{
      .kind = "exec", .tid = 1, .ints = {}, .text = "ls", .list = "[\"a\",]"};
  EXPECT_FALSE(FromColumns(trailing).has_value());
  ObservationColumns unclosed{.kind = "exec", .tid = 1, .ints = {}, .text = "ls", .list = "[\"a]"};
  EXPECT_FALSE(FromColumns(unclosed).has_value());
}

TEST(ObservationColumnsTest, MalformedColumnsAreErrorsNotCrashes) {
  ObservationColumns unknown{.kind = "teleport", .tid = 1, .ints = {}, .text = {}, .list = {}};
  EXPECT_FALSE(FromColumns(unknown).has_value());
  ObservationColumns bad_argv{.kind = "exec", .tid = 1, .ints = {}, .text = "ls", .list = "{"};
  EXPECT_FALSE(FromColumns(bad_argv).has_value());
  ObservationColumns bad_disposition{
      .kind = "sigchld_action", .tid = 1, .ints = {7}, .text = {}, .list = {}};
  EXPECT_FALSE(FromColumns(bad_disposition).has_value());
}

}  // namespace
}  // namespace sentry::inspect
