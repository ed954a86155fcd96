#include "sentry/cmd/json_lines_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "platform/quiet_thread.h"
#include "sentry/kernel/json_codec.h"

namespace sentry::cmd {

namespace {

constexpr std::size_t kEarlyWrite = std::size_t{256} * 1024;  // wake the writer before 100 ms
constexpr auto kWriteInterval = std::chrono::milliseconds(100);

}  // namespace

std::expected<std::unique_ptr<JsonLinesLog>, std::string> JsonLinesLog::Open(
    const std::string& path) {
  platform::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return std::unexpected("cannot write " + path + ": " + std::strerror(errno));
  return std::unique_ptr<JsonLinesLog>(new JsonLinesLog(path, std::move(fd)));
}

JsonLinesLog::JsonLinesLog(std::string path, platform::UniqueFd fd)
    : path_(std::move(path)),
      fd_(std::move(fd)),
      writer_(
          platform::StartQuietThread([this](const std::stop_token& stop) { WriterLoop(stop); })) {}

JsonLinesLog::~JsonLinesLog() {
  writer_.request_stop();
  writer_.join();
}

void JsonLinesLog::Consume(const kernel::Observation& obs, std::uint64_t seq,
                           std::span<const kernel::Record> records) {
  std::string lines = kernel::EncodeObservation(obs, seq);
  lines += '\n';
  for (const kernel::Record& r : records) {
    lines += kernel::EncodeRecord(r);
    lines += '\n';
  }
  bool early = false;
  {
    std::lock_guard lock(mu_);
    pending_ += lines;
    early = pending_.size() >= kEarlyWrite;
  }
  if (early) wake_.notify_one();
}

void JsonLinesLog::WriterLoop(const std::stop_token& stop) {
  std::string batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, stop, kWriteInterval, [&] { return pending_.size() >= kEarlyWrite; });
      batch.swap(pending_);
    }
    Write(batch);
    batch.clear();
    if (stop.stop_requested()) {
      std::lock_guard lock(mu_);  // the last lines, appended before the stop
      Write(pending_);
      pending_.clear();
      return;
    }
  }
}

void JsonLinesLog::Write(const std::string& bytes) {
  std::size_t done = 0;
  while (!failed_ && done < bytes.size()) {
    const ssize_t n = ::write(fd_.Get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failed_ = true;
      std::fprintf(stderr, "sentry: writing %s: %s; the log stops here\n", path_.c_str(),
                   n < 0 ? std::strerror(errno) : "nothing written");
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace sentry::cmd
