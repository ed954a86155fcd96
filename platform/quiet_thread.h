// StartQuietThread: a std::jthread that never takes a signal.
//
// The tracer's thread alone takes the signals a user sends the sentry
// (CaughtSignals) and reads SIGCHLD from a signalfd, which only sees signals
// the whole process blocks. A thread started before those are blocked (or by
// a library, inheriting its creator's mask) would take them and lose them.
// So every helper thread starts with every signal blocked; its creator's
// mask is left as it was.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <thread>
#include <utility>

namespace sentry::platform {

template <class Fn>
std::jthread StartQuietThread(Fn&& fn) {
  sigset_t all;
  sigset_t before;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &before);
  std::jthread thread(std::forward<Fn>(fn));
  ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
  return thread;
}

}  // namespace sentry::platform
