// The line encoding: every observation kind and record round-trips, and a
// run replayed from its encoded log gives the same records.
#include <gtest/gtest.h>

#include "sentry/kernel/json_codec.h"
#include "tests/unit/model_test_util.h"

namespace sentry::kernel::testing {
namespace {

std::vector<Observation> OneOfEachKind() {
  const ThreadId t(42);
  std::vector<ObservationBody> bodies = {
      TaskExisting{.tid = t,
                   .tgid = t,
                   .parent = ThreadId(1),
                   .pgid = ProcessGroupId(40),
                   .sid = SessionId(30),
                   .uid = 1000,
                   .gid = 100,
                   .subreaper = true,
                   .comm = "bash",
                   .argv = {"bash", "-c", "echo \"hi\"\n"}},
      Clone{.parent = t,
            .child = ThreadId(43),
            .flags = abi::kCLONE_THREAD | abi::kCLONE_VM,
            .exit_signal = 0,
            .nested_tids = {5, 1},
            .error = 0},
      ExecStart{.tid = t},
      Exec{.tid = ThreadId(43), .uid = 1, .gid = 2, .comm = "ls", .argv = {"ls", "-l"}},
      VforkDone{.parent = t},
      ExitBegin{.tid = t, .status = {.code = 0, .signo = 11, .core = true}, .group = true},
      ExitEnd{.tid = t,
              .status = {.code = 3, .signo = 0, .core = false},
              .usage = {.utime_ns = 1, .stime_ns = 2, .maxrss_kb = 3}},
      GroupStop{.tid = t, .signo = abi::kSIGTSTP},
      GroupContinue{.tid = t},
      SignalDelivered{
          .tid = t, .signo = abi::kSIGHUP, .code = abi::kSI_KERNEL, .sender = ThreadId(0)},
      SetSid{.tid = t, .result = -abi::kEPERM},
      SetPgid{.tid = t, .pid = 0, .pgid = 43, .result = 0},
      WaitStart{.tid = t, .request = WaitRequest::FromWait4(-1, abi::kWUNTRACED)},
      WaitDone{.tid = t,
               .request = WaitRequest::FromWaitid(abi::kP_PGID, 7, abi::kWEXITED | abi::kWNOWAIT),
               .result = 43,
               .code = abi::kCLD_KILLED,
               .status = 9},
      SigChldAction{.tid = t, .disposition = SigChldDisposition::kHandler, .nocldwait = true},
      SetSubreaper{.tid = t, .enabled = true},
      SetPdeathsig{.tid = t, .signo = abi::kSIGKILL},
      ParentObserved{.tid = t, .parent = ThreadId(7)},
      ControllingTty{.tid = t, .tty_nr = 34816},
      DropControllingTty{.tid = t},
      ForegroundGroup{.tid = t, .pgid = ProcessGroupId(43)},
      UnsharePidNamespace{.tid = t},
      TraceStop{.tid = t, .stopped = true},
      ExternalStop{.tid = ThreadId(0), .stopped = true},
  };
  std::vector<Observation> out;
  out.reserve(bodies.size());
  std::int64_t time = 1'700'000'000'000'000'000;
  for (auto& b : bodies) out.push_back(Observation{.time_ns = time++, .body = b});
  return out;
}

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
