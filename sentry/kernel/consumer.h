// RecordConsumer: the hand-off from the tracer to everything that keeps or
// shows what the model did (the JSON-lines log, the FUSE view's `events`
// stream, the SQLite log).
//
// The tracer calls every consumer on its own thread, in order, right after
// Kernel::Apply, with the observation, its number and the records it
// produced. A consumer copies what it needs and returns: it must never wait
// for a reader or a disk, or the workload waits with it.
#pragma once

#include <cstdint>
#include <span>

#include "sentry/kernel/observation.h"
#include "sentry/kernel/record.h"

namespace sentry::kernel {

class RecordConsumer {
 public:
  virtual ~RecordConsumer() = default;
  // `seq` is the observation's 1-based number; `records` live only during the call.
  virtual void Consume(const Observation& obs, std::uint64_t seq,
                       std::span<const Record> records) = 0;
};

}  // namespace sentry::kernel
