// A fixture that drives the model with observation sequences and keeps every
// record, so tests read as the story of what the host showed.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/observation.h"
#include "sentry/kernel/record.h"

namespace sentry::kernel::testing {

namespace abi = sentry::kernel::abi;

inline constexpr std::uint64_t kThreadFlags =
    abi::kCLONE_VM | abi::kCLONE_SIGHAND | abi::kCLONE_THREAD;

// The sentry itself as a pre-existing task: a subreaper leading session tid.
TaskExisting SentryTask(std::int32_t tid);

class ModelTest : public ::testing::Test {
 protected:
  // The sentry (tid 100, a subreaper in session 100) and the workload's first
  // process (tid 200) in a session of its own.
  void StartWorkload();

  std::span<const Record> Apply(ObservationBody body);
  // Every observation appended here, in order, for replay tests.
  std::vector<Observation> observations;

  void Existing(std::int32_t tid, std::int32_t parent, std::int32_t pgid, std::int32_t sid,
                bool subreaper = false);
  void Fork(std::int32_t parent, std::int32_t child, int exit_signal = abi::kSIGCHLD,
            std::uint64_t flags = 0);
  // A clone whose ids in the namespaces below the root the host names
  // (`nested_tids`: NSpid after the first), e.g. with CLONE_NEWPID.
  void ForkNested(std::int32_t parent, std::int32_t child, std::vector<std::int32_t> nested_tids,
                  std::uint64_t flags = 0);
  void Thread(std::int32_t parent, std::int32_t child);
  void ExecAs(std::int32_t tid, const std::string& comm);
  // ExitBegin + ExitEnd with the same status.
  void Exit(std::int32_t tid, int code, bool group = true);
  void Killed(std::int32_t tid, int signo, bool core = false);
  void Stop(std::int32_t tid, int signo = abi::kSIGSTOP);
  void SetSid(std::int32_t tid, std::int64_t host_result);
  void SetPgid(std::int32_t tid, std::int32_t pid, std::int32_t pgid, std::int64_t host_result);
  void Ignore(std::int32_t tid);  // SIGCHLD -> SIG_IGN
  void Wait(std::int32_t tid, WaitRequest request, std::int64_t result, int code = 0,
            int status = 0);
  WaitPrediction Predict(std::int32_t tid, WaitRequest request);

  TaskInfo Info(std::int32_t tid, NamespaceUid ns = {});
  bool Exists(std::int32_t tid) { return kernel.FindTask(ThreadId(tid)).has_value(); }

  std::size_t Count(RecordKind kind) const;
  std::size_t CountLast(RecordKind kind) const;
  std::vector<Record> All(RecordKind kind) const;
  std::uint64_t Divergences() const { return kernel.Stats().divergences; }
  std::string DumpDivergences() const;

  Kernel kernel;
  std::vector<Record> records;       // everything so far
  std::vector<Record> last_records;  // from the last Apply
  std::int64_t clock_ns = 0;
};

}  // namespace sentry::kernel::testing
