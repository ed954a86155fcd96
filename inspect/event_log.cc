#include "inspect/event_log.h"

#include <chrono>
#include <cstdio>

#include "inspect/schema.h"
#include "platform/quiet_thread.h"

namespace sentry::inspect {

namespace {

constexpr auto kCommitInterval = std::chrono::milliseconds(100);
constexpr std::size_t kEarlyBatch = 4096;  // wake the writer before 100 ms

}  // namespace

std::expected<std::unique_ptr<EventLog>, std::string> EventLog::Open(const std::string& path,
                                                                     const kernel::Kernel& model,
                                                                     const RunStart& start,
                                                                     Options options) {
  auto db = OpenForWriting(path);
  if (!db) return std::unexpected(db.error());
  auto interrupted = MarkInterruptedRuns(*db);
  if (!interrupted)
    return std::unexpected(path + ": marking interrupted runs: " + interrupted.error());
  if (*interrupted > 0 && options.verbose) {
    std::fprintf(stderr, "sentry: %s: %d earlier run%s marked interrupted (its sentry is gone)\n",
                 path.c_str(), *interrupted, *interrupted > 1 ? "s" : "");
  }
  auto run_id = BeginRun(*db, start);
  if (!run_id) return std::unexpected(path + ": recording the run: " + run_id.error());
  auto tables = TableWriter::Create(*db, *run_id, start.start_time_ns);
  if (!tables) return std::unexpected(path + ": preparing the writer: " + tables.error());
  return std::unique_ptr<EventLog>(
      new EventLog(path, std::move(*db), model, *run_id, std::move(*tables), options));
}

EventLog::EventLog(std::string path, Database db, const kernel::Kernel& model, std::int64_t run_id,
                   TableWriter writer, Options options)
    : path_(std::move(path)),
      db_(std::move(db)),
      model_(model),
      run_id_(run_id),
      tables_(std::move(writer)),
      options_(options),
      writer_(
          platform::StartQuietThread([this](const std::stop_token& stop) { WriterLoop(stop); })) {}

EventLog::~EventLog() {
  StopWriter();
}

void EventLog::StopWriter() {
  if (!writer_.joinable()) return;
  writer_.request_stop();
  writer_.join();
}

LogEntry MakeLogEntry(const kernel::Kernel& model, const kernel::Observation& obs,
                      std::uint64_t seq, std::span<const kernel::Record> records) {
  LogEntry entry{
      .seq = seq, .observation = obs, .records = {records.begin(), records.end()}, .created = {}};
  for (const kernel::Record& r : records) {
    if (r.kind != kernel::RecordKind::kTaskCreated) continue;
    TaskFacts facts;
    facts.utid = r.task.value;
    if (auto info = model.FindTaskByUid(r.task)) {
      facts.upid = info->tg_uid.value;
      facts.ns_tids = std::move(info->nspid);
      facts.ppid = info->ppid;
      facts.pgid = info->pgid;
      facts.sid = info->sid;
      facts.leader = info->leader;
      facts.comm = std::move(info->comm);
      facts.argv = std::move(info->argv);
    }
    entry.created.push_back(std::move(facts));
  }
  return entry;
}

void EventLog::Consume(const kernel::Observation& obs, std::uint64_t seq,
                       std::span<const kernel::Record> records) {
  LogEntry entry = MakeLogEntry(model_, obs, seq, records);
  std::unique_lock lock(mu_);
  if (queue_.size() >= options_.queue_capacity) {
    ++full_waits_;
    wake_writer_.notify_one();
    room_.wait(lock, [&] { return queue_.size() < options_.queue_capacity; });
  }
  queue_.push_back(std::move(entry));
  if (queue_.size() >= kEarlyBatch) wake_writer_.notify_one();
}

std::uint64_t EventLog::QueueFullWaits() const {
  std::lock_guard lock(mu_);
  return full_waits_;
}

void EventLog::WriterLoop(const std::stop_token& stop) {
  std::vector<LogEntry> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_writer_.wait_for(lock, stop, kCommitInterval,
                            [&] { return queue_.size() >= kEarlyBatch; });
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
    }
    room_.notify_all();
    WriteBatch(batch);
    batch.clear();
    if (stop.stop_requested()) {
      std::unique_lock lock(mu_);  // the last entries, queued before the stop
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
      lock.unlock();
      WriteBatch(batch);
      return;
    }
  }
}

void EventLog::WriteBatch(std::vector<LogEntry>& batch) {
  if (batch.empty() || failed_) return;
  auto done = db_.Exec("BEGIN");
  for (std::size_t i = 0; done && i < batch.size(); ++i) done = tables_.Write(batch[i]);
  if (done) done = tables_.FinishBatch();
  if (done) done = db_.Exec("COMMIT");
  if (!done) {
    (void)db_.Exec("ROLLBACK");
    failed_ = true;
    std::fprintf(stderr, "sentry: writing %s: %s; the database log stops here\n", path_.c_str(),
                 done.error().c_str());
  }
}

std::expected<void, std::string> EventLog::Finish(int exit_code) {
  StopWriter();
  if (failed_) return std::unexpected(path_ + ": the log is incomplete (a write failed)");
  auto done = FinishRun(db_, run_id_, exit_code);
  if (!done) return std::unexpected(path_ + ": " + done.error());
  // Leave the WAL folded back into the file: a reader opening it later does
  // not replay megabytes of log first.
  (void)db_.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return {};
}

}  // namespace sentry::inspect
