#include "fusefs/event_stream.h"

#include <cerrno>

namespace sentry::fusefs {

namespace {

// A reader that stops reading keeps at most this much; beyond it, lines are
// dropped and the reader is told how many.
constexpr std::size_t kReaderBacklog = 16U << 20U;

}  // namespace

struct EventStream::Reader {
  EventStream* stream = nullptr;
  std::string unread;
  std::size_t dropped = 0;
  fuse_req_t reading = nullptr;  // the read in progress (parked or about to be)
  std::size_t size = 0;          // its size
  bool parked = false;
  bool interrupted = false;  // its interrupt came before it was parked
};

EventStream::~EventStream() {
  for (Reader* r : readers_) delete r;  // NOLINT(cppcoreguidelines-owning-memory)
}

EventStream::Reader* EventStream::Open() {
  auto* reader = new Reader();  // NOLINT(cppcoreguidelines-owning-memory)
  reader->stream = this;
  std::lock_guard lock(mu_);
  readers_.insert(reader);
  readers_count_.store(readers_.size(), std::memory_order_relaxed);
  return reader;
}

void EventStream::Release(Reader* reader) {
  {
    std::lock_guard lock(mu_);
    if (reader->parked) fuse_reply_err(reader->reading, EINTR);
    readers_.erase(reader);
    readers_count_.store(readers_.size(), std::memory_order_relaxed);
  }
  delete reader;  // NOLINT(cppcoreguidelines-owning-memory)
}

void EventStream::AnswerParked(Reader* reader, bool closed) {
  if (!reader->parked) return;
  if (reader->unread.empty() && !closed) return;
  const std::size_t n = std::min(reader->size, reader->unread.size());
  fuse_reply_buf(reader->reading, reader->unread.data(), n);
  reader->unread.erase(0, n);
  reader->parked = false;
  reader->reading = nullptr;
}

void EventStream::Read(fuse_req_t req, Reader* reader, std::size_t size) {
  {
    std::lock_guard lock(mu_);
    reader->reading = req;
    reader->size = size;
    reader->interrupted = false;
    if (!reader->unread.empty() || closed_) {
      reader->parked = true;
      AnswerParked(reader, closed_);
      return;
    }
  }
  fuse_req_interrupt_func(req, &EventStream::OnInterrupt, reader);
  std::lock_guard lock(mu_);
  if (reader->interrupted || fuse_req_interrupted(req) != 0) {
    reader->reading = nullptr;
    fuse_reply_err(req, EINTR);
    return;
  }
  reader->parked = true;
  AnswerParked(reader, closed_);  // a line may have come meanwhile
}

void EventStream::OnInterrupt(fuse_req_t req, void* data) {
  auto* reader = static_cast<Reader*>(data);
  std::lock_guard lock(reader->stream->mu_);
  if (reader->reading != req) return;  // answered already
  if (reader->parked) {
    reader->parked = false;
    reader->reading = nullptr;
    fuse_reply_err(req, EINTR);
  } else {
    reader->interrupted = true;  // the read handler answers it
  }
}

void EventStream::Append(const std::vector<std::string>& lines) {
  std::lock_guard lock(mu_);
  for (Reader* r : readers_) {
    for (const std::string& line : lines) {
      if (r->unread.size() + line.size() > kReaderBacklog) {
        ++r->dropped;
        continue;
      }
      if (r->dropped != 0) {
        r->unread +=
            "sentry: " + std::to_string(r->dropped) + " records dropped (reader too slow)\n";
        r->dropped = 0;
      }
      r->unread += line;
    }
    AnswerParked(r, closed_);
  }
}

void EventStream::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  for (Reader* r : readers_) AnswerParked(r, true);
}

}  // namespace sentry::fusefs
