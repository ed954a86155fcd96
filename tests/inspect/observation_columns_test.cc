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
