#include "platform/stop_facts.h"

#include <linux/bpf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "platform/bpf/stop_facts_record.h"
#include "platform/proc_files.h"

#ifdef SENTRY_HAVE_BPF
#include <bpf/libbpf.h>

#include "stop_facts.skel.h"
#endif

namespace sentry::platform {

namespace {

// How long a drain waits for a producer on another CPU to finish a record
// it reserved: a BPF program runs in microseconds, unless preempted.
constexpr int kBusySpins = 2000;

}  // namespace

#ifdef SENTRY_HAVE_BPF

namespace {

// Room for ~1,000 exec records between two drains (each drain follows a
// wait4 that returned a stop: the tracer is rarely that far behind).
constexpr std::uint32_t kRingBytes = 4U << 20;
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
// mapped twice in a row so that a record never wraps). Opened with libbpf
// from the object bpftool's skeleton embeds, not with the skeleton's own
// functions, whose error paths free through libbpf where clang's analyzer
// cannot follow (it reported a leak).
struct StopFacts::Bpf {
  bpf_object* object = nullptr;
  std::vector<bpf_link*> links;
  const stop_facts_bpf::stop_facts_bpf__bss* bss = nullptr;  // mapped by libbpf
  std::size_t page = 0;
  void* consumer = MAP_FAILED;
  void* producer = MAP_FAILED;
  std::size_t producer_len = 0;

  Bpf() = default;
  Bpf(const Bpf&) = delete;
  Bpf& operator=(const Bpf&) = delete;
  ~Bpf() {
    if (consumer != MAP_FAILED) ::munmap(consumer, page);
    if (producer != MAP_FAILED) ::munmap(producer, producer_len);
    for (bpf_link* link : links) bpf_link__destroy(link);
    bpf_object__close(object);
  }
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
  const auto failed = [](const char* what) {
    return std::unexpected(std::string(what) + ": " + std::strerror(errno));
  };
  auto bpf = std::make_unique<Bpf>();
  std::size_t elf_size = 0;
  const void* elf = stop_facts_bpf::elf_bytes(&elf_size);
  bpf_object_open_opts options{};
  options.sz = sizeof options;
  options.object_name = "stop_facts_bpf";
  bpf->object = bpf_object__open_mem(elf, elf_size, &options);
  if (bpf->object == nullptr) return failed("cannot open the BPF object");
  bpf_map* rodata = bpf_object__find_map_by_name(bpf->object, ".rodata");
  bpf_map* bss = bpf_object__find_map_by_name(bpf->object, ".bss");
  bpf_map* facts = bpf_object__find_map_by_name(bpf->object, "facts");
  std::size_t size = 0;
  const void* initial = rodata != nullptr ? bpf_map__initial_value(rodata, &size) : nullptr;
  stop_facts_bpf::stop_facts_bpf__rodata constants{};
  if (initial == nullptr || size != sizeof constants || bss == nullptr || facts == nullptr) {
    return std::unexpected("the BPF object lacks its maps");
  }
  std::memcpy(&constants, initial, sizeof constants);
  constants.tracer_tgid = tracer_tgid;
  bpf_map__set_initial_value(rodata, &constants, sizeof constants);
  bpf_map__set_max_entries(facts, kRingBytes);
  if (bpf_object__load(bpf->object) != 0) return failed("cannot load BPF programs");
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, bpf->object) {
    bpf_link* link = bpf_program__attach(program);
    if (link == nullptr) return failed("cannot attach to tracepoints");
    bpf->links.push_back(link);
  }
  bpf->bss =
      static_cast<const stop_facts_bpf::stop_facts_bpf__bss*>(bpf_map__initial_value(bss, &size));
  if (bpf->bss == nullptr || size < sizeof *bpf->bss) {
    return std::unexpected("the BPF object's counters are not mapped");
  }
  const int fd = bpf_map__fd(facts);
  bpf->page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  bpf->consumer = ::mmap(nullptr, bpf->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  bpf->producer_len = bpf->page + 2 * std::size_t{kRingBytes};
  bpf->producer =
      ::mmap(nullptr, bpf->producer_len, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(bpf->page));
  if (bpf->consumer == MAP_FAILED || bpf->producer == MAP_FAILED) {
    return failed("cannot map the ring buffer");
  }
  const Ring ring{.consumer = static_cast<std::uint64_t*>(bpf->consumer),
                  .producer = static_cast<std::uint64_t*>(bpf->producer),
                  .data = static_cast<char*>(bpf->producer) + bpf->page,
                  .mask = kRingBytes - 1};
  return std::unique_ptr<StopFacts>(new StopFacts(std::move(bpf), ring));
}

std::uint64_t StopFacts::Dropped() const {
  if (!bpf_) return 0;
  // Written by the programs on any CPU: read once, whole.
  return __atomic_load_n(&bpf_->bss->dropped, __ATOMIC_RELAXED);
}

#else  // !SENTRY_HAVE_BPF

struct StopFacts::Bpf {};

std::expected<std::unique_ptr<StopFacts>, std::string> StopFacts::Open(pid_t) {
  return std::unexpected("this sentry was built without BPF (libbpf, bpftool or BTF missing)");
}

std::uint64_t StopFacts::Dropped() const {
  return 0;
}

#endif

void StopFacts::Drain() {
  if (ring_.consumer == nullptr) return;
  const std::uint64_t producer =
      std::atomic_ref<std::uint64_t>(*ring_.producer).load(std::memory_order_acquire);
  producer_seen_ = producer;
  std::atomic_ref<std::uint64_t> consumer_pos(*ring_.consumer);
  std::uint64_t consumer = consumer_pos.load(std::memory_order_relaxed);
  while (consumer < producer) {
    auto* header = reinterpret_cast<std::uint32_t*>(ring_.data + (consumer & ring_.mask));
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
    consumer_pos.store(consumer, std::memory_order_release);
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
    // Read after the new task's death (Forget), its tid may be another's.
    // Alive, its fact holds however late it is read.
    if (!Fresh(header.tid, Kind::kNewTask, position)) return;
    clones_[header.tid] = CloneFact{.creator = clone.creator,
                                    .creator_tgid = clone.creator_tgid,
                                    .tgid = clone.tgid,
                                    .flags = clone.flags,
                                    .exit_signal = thread ? 0 : clone.exit_signal};
    // Its creator's event stop may have been read without it.
    if (Fresh(clone.creator, Kind::kCloneEvent, position)) {
      clone_events_[clone.creator] = header.tid;
    }
  } else if (header.kind == STOP_FACT_EXEC && size >= sizeof(stop_fact_exec) - STOP_FACT_ARGV_MAX) {
    if (!Fresh(header.tid, Kind::kExec, position)) return;
    const auto* exec = static_cast<const stop_fact_exec*>(record);
    const std::size_t argv_len = exec->argv_len;
    if (argv_len > STOP_FACT_ARGV_MAX ||
        size < sizeof(stop_fact_exec) - STOP_FACT_ARGV_MAX + argv_len) {
      execs_.erase(header.tid);  // too long for a record: read from /proc at the stop
      return;
    }
    execs_[header.tid] =
        ExecFact{.former_tid = exec->former_tid,
                 .euid = exec->euid,
                 .egid = exec->egid,
                 .comm = std::string(exec->comm, strnlen(exec->comm, sizeof exec->comm)),
                 .argv = SplitCmdline(std::string_view(exec->argv, argv_len))};
  }
}

StopFacts::StopFacts(std::unique_ptr<Bpf> bpf, Ring ring) : bpf_(std::move(bpf)), ring_(ring) {}
StopFacts::~StopFacts() = default;

std::unique_ptr<StopFacts> StopFacts::OverRing(Ring ring) {
  return std::unique_ptr<StopFacts>(new StopFacts(nullptr, ring));
}

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
  } else if (kind == Kind::kCloneEvent) {
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
    for (const Kind kind : {Kind::kNewTask, Kind::kCloneEvent, Kind::kExec}) {
      stale_before_[StaleKey(tid, kind)] = producer_seen_;
    }
  }
}

}  // namespace sentry::platform
