// A reader/writer lock that prefers the writer.
//
// std::shared_mutex on glibc prefers readers: a steady stream of procfs
// readers would keep the tracer thread from ever applying an observation,
// stalling the workload. Here a waiting writer blocks new readers.
// Precondition for readers: never take the shared lock recursively (a
// writer queued in between would deadlock them).
#pragma once

#include <pthread.h>

namespace sentry::kernel {

class WriterPreferringRwLock {
 public:
  WriterPreferringRwLock() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~WriterPreferringRwLock() { pthread_rwlock_destroy(&lock_); }
  WriterPreferringRwLock(const WriterPreferringRwLock&) = delete;
  WriterPreferringRwLock& operator=(const WriterPreferringRwLock&) = delete;

  // Lockable and SharedLockable, for std::unique_lock / std::shared_lock:
  // the standard names these members.
  void lock() { pthread_rwlock_wrlock(&lock_); }
  void unlock() { pthread_rwlock_unlock(&lock_); }
  void lock_shared() { pthread_rwlock_rdlock(&lock_); }
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_{};
};

}  // namespace sentry::kernel
