#include "platform/pty_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>

#include "platform/terminal.h"
#include "platform/write_all.h"

namespace sentry::platform {
namespace {

constexpr std::size_t kChunk = 4096;
// Keystrokes buffered while the workload is not reading its terminal; past
// this the relay stops reading the user's input (the user's tty buffers it).
constexpr std::size_t kMaxTyped = std::size_t{64} * 1024;
// After the workload is gone, how long to wait for output still in flight.
constexpr int kDrainMs = 200;

}  // namespace

PtyRelay::PtyRelay(int in, int out, int master)
    : in_(in),
      out_(out),
      master_(master),
      wake_(::eventfd(0, EFD_CLOEXEC)),
      pause_wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  // Keystrokes are written without blocking: the relay must keep copying
  // output while the workload is not reading its input.
  ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
  thread_ = std::thread([this] { Loop(); });
}

PtyRelay::~PtyRelay() {
  Stop();
}

void PtyRelay::Stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  while (::write(wake_.Get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
  thread_.join();
}

void PtyRelay::PauseInput() {
  if (!thread_.joinable()) return;
  std::unique_lock lock(pause_mu_);
  input_paused_ = true;
  input_parked_ = false;
  const std::uint64_t one = 1;
  while (::write(pause_wake_.Get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
  // A thread that has returned (the workload closed its terminal) reads nothing.
  pause_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return input_parked_; });
}

void PtyRelay::ResumeInput() {
  {
    std::lock_guard lock(pause_mu_);
    input_paused_ = false;
  }
  const std::uint64_t one = 1;
  while (::write(pause_wake_.Get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
}

bool PtyRelay::CopyOutput() const {
  std::array<char, kChunk> buf{};
  const ssize_t n = ::read(master_, buf.data(), buf.size());
  if (n > 0) {
    WriteAll(out_, buf.data(), static_cast<std::size_t>(n));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

void PtyRelay::Loop() {
  bool reading_input = in_ >= 0;
  bool master_open = true;
  while (master_open) {
    bool paused = false;
    {
      std::lock_guard lock(pause_mu_);
      paused = input_paused_;
      if (paused && !input_parked_) {
        input_parked_ = true;  // from here on this thread leaves `in_` alone
        pause_cv_.notify_all();
      }
    }
    std::array<pollfd, 4> fds{};
    fds[0] = {.fd = wake_.Get(), .events = POLLIN, .revents = 0};
    fds[1] = {.fd = master_,
              .events = static_cast<short>(POLLIN | (typed_.empty() ? 0 : POLLOUT)),
              .revents = 0};
    const bool want_input = reading_input && !paused && typed_.size() < kMaxTyped;
    fds[2] = {.fd = want_input ? in_ : -1, .events = POLLIN, .revents = 0};
    fds[3] = {.fd = pause_wake_.Get(), .events = POLLIN, .revents = 0};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) return;
    if (fds[3].revents != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] const ssize_t n = ::read(pause_wake_.Get(), &count, sizeof count);
      continue;  // looks at input_paused_ again
    }
    if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) master_open = CopyOutput();
    if ((fds[1].revents & POLLOUT) != 0 && !typed_.empty()) {
      const ssize_t n = ::write(master_, typed_.data(), typed_.size());
      if (n > 0) typed_.erase(0, static_cast<std::size_t>(n));
    }
    if (fds[2].revents != 0) {
      std::array<char, kChunk> buf{};
      const ssize_t n = ::read(in_, buf.data(), buf.size());
      if (n > 0) {
        // A resize before these keystrokes reaches the workload before them
        // (SIGWINCH to the sentry alone would race with the relay).
        CopyWindowSize(in_, master_);
        typed_.append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        reading_input = false;  // the user's terminal is gone
      }
    }
  }
  // The workload closed its terminal: wait for Stop().
  pollfd wake{.fd = wake_.Get(), .events = POLLIN, .revents = 0};
  while (::poll(&wake, 1, -1) < 0 && errno == EINTR) {
  }
}

void PtyRelay::Finish() {
  Stop();
  for (;;) {
    pollfd fd{.fd = master_, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&fd, 1, kDrainMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0 || !CopyOutput()) return;
  }
}

}  // namespace sentry::platform
