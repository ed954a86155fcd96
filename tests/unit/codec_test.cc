// The line encoding: every observation kind and record round-trips, and a
// run replayed from its encoded log gives the same records.
#include <gtest/gtest.h>

#include "sentry/kernel/json_codec.h"
#include "tests/unit/model_test_util.h"
#include "tests/unit/observation_samples.h"

namespace sentry::kernel::testing {
namespace {

TEST(CodecTest, EveryObservationKindRoundTrips) {
  const auto all = OneOfEachKind();
  ASSERT_EQ(all.size(), std::variant_size_v<ObservationBody>);
  std::uint64_t seq = 0;
  for (const Observation& obs : all) {
    const std::string line = EncodeObservation(obs, ++seq);
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;  // one line each
    auto decoded = DecodeObservation(line);
    ASSERT_TRUE(decoded.has_value()) << decoded.error() << " in " << line;
    EXPECT_EQ(decoded->seq, seq);
    EXPECT_EQ(decoded->observation.time_ns, obs.time_ns);
    EXPECT_EQ(decoded->observation.body, obs.body) << line;
    EXPECT_FALSE(IsRecordLine(line));
    EXPECT_EQ(EncodeObservation(decoded->observation, seq), line);  // stable
  }
}

TEST(CodecTest, EncodingIsStableText) {
  const Observation obs{.time_ns = 5, .body = SetSid{.tid = ThreadId(9), .result = 9}};
  EXPECT_EQ(EncodeObservation(obs, 3), R"({"kind":"setsid","result":9,"seq":3,"t":5,"tid":9})");
}

TEST(CodecTest, BadLinesAreErrorsNotCrashes) {
  EXPECT_FALSE(DecodeObservation("").has_value());
  EXPECT_FALSE(DecodeObservation("[1,2]").has_value());
  EXPECT_FALSE(DecodeObservation(R"({"seq":1})").has_value());
  auto unknown = DecodeObservation(R"({"kind":"teleport","tid":1})");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().find("teleport"), std::string::npos);
  EXPECT_FALSE(DecodeObservation(R"({"kind":"setsid","tid":"nine"})").has_value());
  EXPECT_FALSE(DecodeRecord(R"({"kind":"nope","record":true})").has_value());
  EXPECT_FALSE(DecodeRecord("{").has_value());
}

class ReplayTest : public ModelTest {};

// Found by tests/fuzz/fuzz_codec: a number with an exponent where an
// integer goes was cast to it (undefined behaviour when out of range, as
// 1e300 is); the encoding writes integers only, so such a line is an error.
TEST(CodecTest, ANumberThatIsNoIntegerIsAnError) {
  EXPECT_FALSE(DecodeRecord(R"({"kind":"reaped","record":true,"value":1e300})"));
  EXPECT_FALSE(DecodeRecord(R"({"kind":"reaped","record":true,"seq":1.5})"));
  EXPECT_FALSE(DecodeObservation(R"({"kind":"exec_start","tid":1e300})"));
  EXPECT_FALSE(DecodeObservation(R"({"kind":"wait_start","tid":1,"request":{"id":-1e300}})"));
  EXPECT_TRUE(DecodeObservation(R"({"kind":"exec_start","tid":7})"));
}

// Found by tests/fuzz/fuzz_codec: a "record" key that is no boolean threw
// out of IsRecordLine (replay ended with an uncaught exception).
TEST(CodecTest, ARecordFlagThatIsNoBooleanIsNoRecord) {
  EXPECT_FALSE(IsRecordLine(R"({"kind":"reaped","record":"yes"})"));
  EXPECT_FALSE(IsRecordLine(R"({"kind":"reaped","record":1})"));
  EXPECT_TRUE(IsRecordLine(R"({"kind":"reaped","record":true})"));
}

TEST_F(ReplayTest, ReplayingTheEncodedLogRebuildsTheSameRecordsAndState) {
  StartWorkload();
  Fork(200, 300);
  Thread(300, 301);
  SetPgid(200, 300, 300, 0);
  Stop(300);
  Stop(301);
  Apply(GroupContinue{.tid = ThreadId(300)});
  Fork(301, 400);
  Exit(301, 0, false);
  Killed(300, abi::kSIGTERM);
  Wait(200, WaitRequest::FromWait4(-1, 0), 300, abi::kCLD_KILLED, abi::kSIGTERM);
  Exit(400, 2);
  Wait(100, WaitRequest::FromWait4(-1, 0), 400, abi::kCLD_EXITED, 2);

  std::vector<std::string> log;
  log.reserve(observations.size());
  std::uint64_t seq = 0;
  for (const Observation& obs : observations) log.push_back(EncodeObservation(obs, ++seq));
  for (const Record& r : records) {
    const std::string line = EncodeRecord(r);
    EXPECT_TRUE(IsRecordLine(line));
    auto back = DecodeRecord(line);
    ASSERT_TRUE(back.has_value()) << back.error();
    EXPECT_EQ(*back, r) << line;
  }

  Kernel replay;
  std::vector<Record> replayed;
  for (const std::string& line : log) {
    auto decoded = DecodeObservation(line);
    ASSERT_TRUE(decoded.has_value()) << decoded.error();
    auto out = replay.Apply(decoded->observation);
    replayed.insert(replayed.end(), out.begin(), out.end());
  }
  EXPECT_EQ(replayed, records);
  EXPECT_EQ(replay.Processes().size(), kernel.Processes().size());
  EXPECT_EQ(replay.Stats().live_tasks, kernel.Stats().live_tasks);
  EXPECT_EQ(Divergences(), 0u) << DumpDivergences();
}

}  // namespace
}  // namespace sentry::kernel::testing
