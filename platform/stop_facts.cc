#include "platform/stop_facts.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#ifdef SENTRY_HAVE_BPF
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "platform/bpf/stop_facts_record.h"
#include "stop_facts.skel.h"
#endif

namespace sentry::platform {

#ifdef SENTRY_HAVE_BPF

namespace {

// Room for ~1,000 exec records between two drains (each drain follows a
// wait4 that returned a stop: the tracer is rarely that far behind).
constexpr std::uint32_t kRingBytes = 4U << 20;
// How long a drain waits for a producer on another CPU to finish a record
// it reserved: a BPF program runs in microseconds, unless preempted.
constexpr int kBusySpins = 2000;

// The initial namespaces' inode numbers (PROC_PID_INIT_INO and
// PROC_USER_INIT_INO in include/linux/proc_ns.h: fixed).
constexpr ino_t kInitPidNamespace = 0xEFFFFFFC;
constexpr ino_t kInitUserNamespace = 0xEFFFFFFD;

bool InInitialNamespace(const char* link, ino_t init) {
  struct stat ns {};
  return ::stat(link, &ns) == 0 && ns.st_ino == init;
}

}  // namespace

// The loaded programs and the ring's mappings (the kernel's ring layout: a
// consumer page the reader writes, then the producer page and the data,
// mapped twice in a row so that a record never wraps).
struct StopFacts::Bpf {
  stop_facts_bpf* skel = nullptr;
  std::size_t page = 0;
  void* consumer = MAP_FAILED;
  void* producer = MAP_FAILED;
  std::size_t producer_len = 0;
  std::uint64_t mask = kRingBytes - 1;

  ~Bpf() {
    if (consumer != MAP_FAILED) ::munmap(consumer, page);
    if (producer != MAP_FAILED) ::munmap(producer, producer_len);
    if (skel != nullptr) stop_facts_bpf::destroy(skel);
  }
  std::atomic_ref<std::uint64_t> ConsumerPos() const {
    return std::atomic_ref<std::uint64_t>(*static_cast<std::uint64_t*>(consumer));
  }
  std::atomic_ref<std::uint64_t> ProducerPos() const {
    return std::atomic_ref<std::uint64_t>(*static_cast<std::uint64_t*>(producer));
  }
  char* Data() const { return static_cast<char*>(producer) + page; }
};

std::expected<std::unique_ptr<StopFacts>, std::string> StopFacts::Open(pid_t tracer_tgid) {
  // The programs see the kernel's ids: the initial namespaces' pids and uids.
  // Elsewhere the tracer's ids are others (and its own pid names another
  // process to them).
  if (!InInitialNamespace("/proc/self/ns/pid", kInitPidNamespace) ||
      !InInitialNamespace("/proc/self/ns/user", kInitUserNamespace)) {
    return std::unexpected("the sentry is not in the initial PID and user namespaces");
  }
  // libbpf explains failures on stderr; the one line the caller prints is enough.
  libbpf_set_print([](libbpf_print_level, const char*, va_list) { return 0; });
  auto bpf = std::make_unique<Bpf>();
  bpf->skel = stop_facts_bpf::open();
  if (bpf->skel == nullptr) return std::unexpected("cannot open the BPF object");
  bpf->skel->rodata->tracer_tgid = tracer_tgid;
  bpf_map__set_max_entries(bpf->skel->maps.facts, kRingBytes);
  if (const int err = stop_facts_bpf::load(bpf->skel); err != 0) {
    return std::unexpected(std::string("cannot load BPF programs: ") + std::strerror(-err));
  }
  if (const int err = stop_facts_bpf::attach(bpf->skel); err != 0) {
    return std::unexpected(std::string("cannot attach to tracepoints: ") + std::strerror(-err));
  }
  const int fd = bpf_map__fd(bpf->skel->maps.facts);
  bpf->page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  bpf->consumer = ::mmap(nullptr, bpf->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  bpf->producer_len = bpf->page + 2 * std::size_t{kRingBytes};
  bpf->producer =
      ::mmap(nullptr, bpf->producer_len, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(bpf->page));
  if (bpf->consumer == MAP_FAILED || bpf->producer == MAP_FAILED) {
    return std::unexpected(std::string("cannot map the ring buffer: ") + std::strerror(errno));
  }
  return std::unique_ptr<StopFacts>(new StopFacts(std::move(bpf)));
}

std::uint64_t StopFacts::Dropped() const {
  return std::atomic_ref<unsigned long long>(bpf_->skel->bss->dropped).load();
}

void StopFacts::Drain() {
  const std::uint64_t producer = bpf_->ProducerPos().load(std::memory_order_acquire);
  producer_seen_ = producer;
  std::uint64_t consumer = bpf_->ConsumerPos().load(std::memory_order_relaxed);
  while (consumer < producer) {
    auto* header = reinterpret_cast<std::uint32_t*>(bpf_->Data() + (consumer & bpf_->mask));
    std::uint32_t len = std::atomic_ref<std::uint32_t>(*header).load(std::memory_order_acquire);
    for (int spin = 0; (len & BPF_RINGBUF_BUSY_BIT) != 0 && spin < kBusySpins; ++spin) {
      len = std::atomic_ref<std::uint32_t>(*header).load(std::memory_order_acquire);
    }
    if ((len & BPF_RINGBUF_BUSY_BIT) != 0) break;  // left for the next drain
    const std::uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
    if ((len & BPF_RINGBUF_DISCARD_BIT) == 0) {
      Take(reinterpret_cast<const char*>(header) + BPF_RINGBUF_HDR_SZ, size, consumer);
    }
    consumer += (size + BPF_RINGBUF_HDR_SZ + 7) & ~std::uint64_t{7};
    bpf_->ConsumerPos().store(consumer, std::memory_order_release);
  }
  // Read to the end: every record older than any drain that missed one is
  // read now, the stale ones dropped; nothing is left to drop.
  behind_ = consumer < producer;
  if (!behind_) stale_before_.clear();
}

void StopFacts::Take(const void* record, std::size_t size, std::uint64_t position) {
  stop_fact_header header{};
  if (size < sizeof header) return;
  std::memcpy(&header, record, sizeof header);
  if (header.kind == STOP_FACT_CLONE && size >= sizeof(stop_fact_clone)) {
    stop_fact_clone clone{};
    std::memcpy(&clone, record, sizeof clone);
    const bool thread = clone.tgid != header.tid;
    // The new task lives (its death is reported after this record): its
    // fact holds for it however late it is read.
    clones_[header.tid] = CloneFact{.creator = clone.creator,
                                    .creator_tgid = clone.creator_tgid,
                                    .tgid = clone.tgid,
                                    .flags = clone.flags,
                                    .exit_signal = thread ? 0 : clone.exit_signal};
    // Its creator's event stop may have been read without it.
    if (Fresh(clone.creator, Kind::kCloneEvent, position))
      clone_events_[clone.creator] = header.tid;
  } else if (header.kind == STOP_FACT_EXEC && size >= sizeof(stop_fact_exec) - STOP_FACT_ARGV_MAX) {
    if (!Fresh(header.tid, Kind::kExec, position)) return;
    const auto* exec = static_cast<const stop_fact_exec*>(record);
    const std::size_t argv_len = exec->argv_len;
    if (argv_len > STOP_FACT_ARGV_MAX ||
        size < sizeof(stop_fact_exec) - STOP_FACT_ARGV_MAX + argv_len) {
      execs_.erase(header.tid);  // too long for a record: read from /proc at the stop
      return;
    }
    ExecFact fact{.former_tid = exec->former_tid,
                  .euid = exec->euid,
                  .egid = exec->egid,
                  .comm = std::string(exec->comm, strnlen(exec->comm, sizeof exec->comm)),
                  .argv = {}};
    // Split as /proc/PID/cmdline is (ReadCmdline).
    const std::string_view area(exec->argv, argv_len);
    for (std::size_t start = 0; start < area.size();) {
      const std::size_t end = area.find('\0', start);
      fact.argv.emplace_back(area.substr(start, end == std::string_view::npos ? end : end - start));
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    execs_[header.tid] = std::move(fact);
  }
}

#else  // !SENTRY_HAVE_BPF

struct StopFacts::Bpf {};

std::expected<std::unique_ptr<StopFacts>, std::string> StopFacts::Open(pid_t) {
  return std::unexpected("this sentry was built without BPF (libbpf, bpftool or BTF missing)");
}

std::uint64_t StopFacts::Dropped() const {
  return 0;
}
void StopFacts::Drain() {}
void StopFacts::Take(const void*, std::size_t, std::uint64_t) {}

#endif

StopFacts::StopFacts(std::unique_ptr<Bpf> bpf) : bpf_(std::move(bpf)) {}
StopFacts::~StopFacts() = default;

namespace {
std::uint64_t StaleKey(pid_t tid, StopFacts::Kind kind) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(tid)) << 8) |
         static_cast<std::uint64_t>(kind);
}
}  // namespace

bool StopFacts::Fresh(pid_t tid, Kind kind, std::uint64_t position) {
  if (stale_before_.empty()) return true;
  const auto it = stale_before_.find(StaleKey(tid, kind));
  if (it == stale_before_.end()) return true;
  if (position < it->second) return false;
  stale_before_.erase(it);  // every later record of it is newer still
  return true;
}

std::optional<CloneFact> StopFacts::Clone(pid_t child) const {
  const auto it = clones_.find(child);
  if (it == clones_.end()) return std::nullopt;
  return it->second;
}

std::optional<pid_t> StopFacts::TakeCloneEvent(pid_t creator) {
  const auto it = clone_events_.find(creator);
  if (it == clone_events_.end()) return std::nullopt;
  const pid_t child = it->second;
  clone_events_.erase(it);
  ++used_;
  return child;
}

std::optional<ExecFact> StopFacts::TakeExec(pid_t tid) {
  const auto it = execs_.find(tid);
  if (it == execs_.end()) return std::nullopt;
  ExecFact fact = std::move(it->second);
  execs_.erase(it);
  ++used_;
  return fact;
}

void StopFacts::Missed(pid_t tid, Kind kind) {
  ++missed_;
  if (kind == Kind::kExec) {
    execs_.erase(tid);
  } else {
    clone_events_.erase(tid);
  }
  // Read to the end, the ring holds no older fact of it: it was never made.
  if (behind_) stale_before_[StaleKey(tid, kind)] = producer_seen_;
}

void StopFacts::Forget(pid_t tid) {
  clones_.erase(tid);
  clone_events_.erase(tid);
  execs_.erase(tid);
  if (behind_) {
    for (const Kind kind : {Kind::kCloneEvent, Kind::kExec}) {
      stale_before_[StaleKey(tid, kind)] = producer_seen_;
    }
  }
}

}  // namespace sentry::platform
