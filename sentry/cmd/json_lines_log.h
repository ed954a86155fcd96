// JsonLinesLog: `--log-records FILE`, every observation and record as one
// JSON object per line (what `sentry replay` reads), as a RecordConsumer.
//
// The file is opened close-on-exec (the workload must not inherit it). The
// tracer only appends to a buffer; a writer thread writes it out every
// 100 ms (sooner when it grows large), so the tracer never waits on the disk
// and a killed sentry loses at most the last 100 ms. A failing write
// (ENOSPC) is reported once on stderr, naming the file; the run goes on.
#pragma once

#include <condition_variable>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "platform/unique_fd.h"
#include "sentry/kernel/consumer.h"

namespace sentry::cmd {

class JsonLinesLog final : public kernel::RecordConsumer {
 public:
  // Creates (or truncates) `path`; the error names the file and the reason.
  static std::expected<std::unique_ptr<JsonLinesLog>, std::string> Open(const std::string& path);
  // Writes everything still buffered.
  ~JsonLinesLog() override;
  JsonLinesLog(const JsonLinesLog&) = delete;
  JsonLinesLog& operator=(const JsonLinesLog&) = delete;

  void Consume(const kernel::Observation& obs, std::uint64_t seq,
               std::span<const kernel::Record> records) override;

 private:
  JsonLinesLog(std::string path, platform::UniqueFd fd);
  void WriterLoop(const std::stop_token& stop);
  // Writes `bytes`; reports the first failure (writer thread only).
  void Write(const std::string& bytes);

  const std::string path_;
  const platform::UniqueFd fd_;
  bool failed_ = false;  // writer thread only: reported once, later lines dropped
  std::mutex mu_;
  std::condition_variable_any wake_;
  std::string pending_;  // guarded by mu_
  std::jthread writer_;  // last: stops and joins before the rest goes
};

}  // namespace sentry::cmd
