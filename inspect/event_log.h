// EventLog: `sentry run --db FILE`, the run's observations and records in
// a SQLite file, as a RecordConsumer.
//
// The tracer's Consume copies the observation, its records and what the
// model knows of each new task into a bounded queue and returns; a writer
// thread commits what has queued up at least every 100 ms (sooner when a
// batch grows large), in one transaction per batch, so a killed sentry
// loses at most the last batch and leaves a valid file. The tracer waits
// only when the queue is full (counted: QueueFullWaits, shown with -v);
// nothing is dropped. A failing write (disk full) is reported once on
// stderr naming the file; the run goes on without the log.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "inspect/run_registry.h"
#include "inspect/sqlite.h"
#include "inspect/table_writer.h"
#include "sentry/kernel/consumer.h"
#include "sentry/kernel/kernel.h"

namespace sentry::inspect {

// The entry for one observation: a copy of it and its records, with what
// the model knows of each task they create, asked now (by the time the
// writer runs, the model has moved on and the task may be gone). Called on
// the thread that applies observations.
LogEntry MakeLogEntry(const kernel::Kernel& model, const kernel::Observation& obs,
                      std::uint64_t seq, std::span<const kernel::Record> records);

class EventLog final : public kernel::RecordConsumer {
 public:
  struct Options {
    std::size_t queue_capacity = 65536;  // observations waiting for the writer
    bool verbose = false;                // say which runs were found interrupted
  };

  // Opens or creates `path`, marks runs of dead sentries interrupted and
  // starts this run's row. Everything that can be wrong with the file is
  // found here, before the workload starts.
  static std::expected<std::unique_ptr<EventLog>, std::string> Open(const std::string& path,
                                                                    const kernel::Kernel& model,
                                                                    const RunStart& start,
                                                                    Options options);
  // Without Finish (the sentry failed): writes what is queued; the run
  // stays "running" and the next open marks it interrupted.
  ~EventLog() override;
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  void Consume(const kernel::Observation& obs, std::uint64_t seq,
               std::span<const kernel::Record> records) override;

  // Writes everything queued and marks the run finished with `exit_code`.
  std::expected<void, std::string> Finish(int exit_code);

  std::int64_t RunId() const { return run_id_; }
  const std::string& Path() const { return path_; }
  // How often Consume found the queue full and waited for the writer.
  std::uint64_t QueueFullWaits() const;

 private:
  EventLog(std::string path, Database db, const kernel::Kernel& model, std::int64_t run_id,
           TableWriter writer, Options options);
  void WriterLoop(const std::stop_token& stop);
  // Commits `batch` in one transaction; reports the first failure.
  void WriteBatch(std::vector<LogEntry>& batch);
  // Stops the writer thread after it has written everything queued.
  void StopWriter();

  const std::string path_;
  Database db_;  // writer thread only, after construction
  const kernel::Kernel& model_;
  const std::int64_t run_id_;
  TableWriter tables_;  // writer thread only
  const Options options_;
  bool failed_ = false;  // writer thread only: reported once, later batches dropped

  mutable std::mutex mu_;
  std::condition_variable_any wake_writer_;
  std::condition_variable room_;  // the writer took a batch
  std::deque<LogEntry> queue_;    // guarded by mu_
  std::uint64_t full_waits_ = 0;  // guarded by mu_
  std::jthread writer_;           // last: stops and joins before the rest goes
};

}  // namespace sentry::inspect
