#include "tests/unit/model_test_util.h"

#include <algorithm>

namespace sentry::kernel::testing {

std::span<const Record> ModelTest::Apply(ObservationBody body) {
  Observation obs{.time_ns = clock_ns += 1000, .body = std::move(body)};
  observations.push_back(obs);
  auto out = kernel.Apply(obs);
  last_records.assign(out.begin(), out.end());
  records.insert(records.end(), out.begin(), out.end());
  return out;
}

void ModelTest::StartWorkload() {
  Existing(100, 0, 100, 100, /*subreaper=*/true);
  Fork(100, 200);
  SetSid(200, 200);
  ExecAs(200, "sh");
}

TaskExisting SentryTask(std::int32_t tid) {
  return TaskExisting{.tid = ThreadId(tid),
                      .tgid = ThreadId(tid),
                      .parent = ThreadId(0),
                      .pgid = ProcessGroupId(tid),
                      .sid = SessionId(tid),
                      .uid = 0,
                      .gid = 0,
                      .subreaper = true,
                      .comm = "sentry",
                      .argv = {"sentry"}};
}

void ModelTest::Existing(std::int32_t tid, std::int32_t parent, std::int32_t pgid, std::int32_t sid,
                         bool subreaper) {
  TaskExisting task = SentryTask(tid);
  task.parent = ThreadId(parent);
  task.pgid = ProcessGroupId(pgid);
  task.sid = SessionId(sid);
  task.subreaper = subreaper;
  Apply(std::move(task));
}

void ModelTest::Fork(std::int32_t parent, std::int32_t child, int exit_signal,
                     std::uint64_t flags) {
  Apply(Clone{.parent = ThreadId(parent),
              .child = ThreadId(child),
              .flags = flags,
              .exit_signal = exit_signal,
              .nested_tids = {},
              .error = 0});
}

void ModelTest::ForkNested(std::int32_t parent, std::int32_t child,
                           std::vector<std::int32_t> nested_tids, std::uint64_t flags) {
  Apply(Clone{.parent = ThreadId(parent),
              .child = ThreadId(child),
              .flags = flags,
              .exit_signal = abi::kSIGCHLD,
              .nested_tids = std::move(nested_tids),
              .error = 0});
}

void ModelTest::Thread(std::int32_t parent, std::int32_t child) {
  Fork(parent, child, 0, kThreadFlags);
}

void ModelTest::ExecAs(std::int32_t tid, const std::string& comm) {
  Apply(Exec{.tid = ThreadId(tid), .uid = 0, .gid = 0, .comm = comm, .argv = {comm}});
}

void ModelTest::Exit(std::int32_t tid, int code, bool group) {
  Apply(ExitBegin{.tid = ThreadId(tid), .status = ExitStatus{.code = code}, .group = group});
  Apply(ExitEnd{.tid = ThreadId(tid), .status = ExitStatus{.code = code}, .usage = {}});
}

void ModelTest::Killed(std::int32_t tid, int signo, bool core) {
  const ExitStatus status{.code = 0, .signo = signo, .core = core};
  Apply(ExitBegin{.tid = ThreadId(tid), .status = status, .group = true});
  Apply(ExitEnd{.tid = ThreadId(tid), .status = status, .usage = {}});
}

void ModelTest::Stop(std::int32_t tid, int signo) {
  Apply(GroupStop{.tid = ThreadId(tid), .signo = signo});
}

void ModelTest::SetSid(std::int32_t tid, std::int64_t host_result) {
  Apply(kernel::SetSid{.tid = ThreadId(tid), .result = host_result});
}

void ModelTest::SetPgid(std::int32_t tid, std::int32_t pid, std::int32_t pgid,
                        std::int64_t host_result) {
  Apply(kernel::SetPgid{.tid = ThreadId(tid), .pid = pid, .pgid = pgid, .result = host_result});
}

void ModelTest::Ignore(std::int32_t tid) {
  Apply(SigChldAction{
      .tid = ThreadId(tid), .disposition = SigChldDisposition::kIgnore, .nocldwait = false});
}

void ModelTest::Wait(std::int32_t tid, WaitRequest request, std::int64_t result, int code,
                     int status) {
  Apply(WaitDone{
      .tid = ThreadId(tid), .request = request, .result = result, .code = code, .status = status});
}

WaitPrediction ModelTest::Predict(std::int32_t tid, WaitRequest request) {
  auto p = kernel.PredictWait(ThreadId(tid), request);
  EXPECT_TRUE(p.has_value()) << "waiter " << tid << " unknown";
  return p.value_or(WaitPrediction{});
}

TaskInfo ModelTest::Info(std::int32_t tid, NamespaceUid ns) {
  auto info = kernel.FindTask(ThreadId(tid), ns);
  EXPECT_TRUE(info.has_value()) << "tid " << tid << " not in the model";
  return info.value_or(TaskInfo{});
}

std::size_t ModelTest::Count(RecordKind kind) const {
  return static_cast<std::size_t>(std::count_if(
      records.begin(), records.end(), [kind](const Record& r) { return r.kind == kind; }));
}

std::size_t ModelTest::CountLast(RecordKind kind) const {
  return static_cast<std::size_t>(
      std::count_if(last_records.begin(), last_records.end(),
                    [kind](const Record& r) { return r.kind == kind; }));
}

std::vector<Record> ModelTest::All(RecordKind kind) const {
  std::vector<Record> out;
  std::copy_if(records.begin(), records.end(), std::back_inserter(out),
               [kind](const Record& r) { return r.kind == kind; });
  return out;
}

std::string ModelTest::DumpDivergences() const {
  std::string out;
  for (const Record& r : records) {
    if (r.kind == RecordKind::kDivergence) out += r.detail + "\n";
  }
  return out;
}

}  // namespace sentry::kernel::testing
