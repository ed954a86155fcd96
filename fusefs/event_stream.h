// EventStream: the `sentry/events` file, a stream like trace_pipe. Every
// reader gets each record's sentence from the moment it opened, and a read
// with nothing to return blocks until a record comes.
//
// A read never blocks a FUSE thread: with nothing to return, the request is
// parked and answered later by whoever appends (the view's notifier thread).
// An interrupt (Ctrl-C, kill -9 of the reader) answers a parked read with
// EINTR at once; without that the reader would sit in D state. At shutdown,
// Close() answers every parked read with end of file.
//
// Locking: mu_ guards every Reader's fields and the reader set.
// fuse_req_interrupt_func runs the interrupt callback at once when the
// request is already interrupted, so it is never called with mu_ held.
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

namespace sentry::fusefs {

class EventStream {
 public:
  struct Reader;

  EventStream() = default;
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;
  ~EventStream();

  // FUSE handlers. Open returns the reader's handle (fi->fh).
  Reader* Open();
  void Read(fuse_req_t req, Reader* reader, std::size_t size);
  void Release(Reader* reader);

  // New lines for every open reader; answers parked reads.
  void Append(const std::vector<std::string>& lines);
  // Whether anyone reads (records need no rendering otherwise).
  bool HasReaders() const { return readers_count_.load(std::memory_order_relaxed) > 0; }
  // The run is over: parked and later reads get end of file.
  void Close();

 private:
  static void OnInterrupt(fuse_req_t req, void* data);
  // Answers reader's parked request if there is something to say (mu_ held).
  static void AnswerParked(Reader* reader, bool closed);

  std::mutex mu_;
  std::unordered_set<Reader*> readers_;  // guarded by mu_
  bool closed_ = false;                  // guarded by mu_
  std::atomic<std::size_t> readers_count_{0};
};

}  // namespace sentry::fusefs
