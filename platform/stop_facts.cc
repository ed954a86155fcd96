#include "platform/stop_facts.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "platform/bpf/stop_facts_record.h"
#include "platform/bpf_ring.h"
#include "platform/proc_files.h"

#ifdef SENTRY_HAVE_BPF
#include "stop_facts.skel.h"
#endif

namespace sentry::platform {

#ifdef SENTRY_HAVE_BPF

namespace {
// Room for ~1,000 exec records between two drains (each drain follows a
// wait4 that returned a stop: the tracer is rarely that far behind).
constexpr std::uint32_t kRingBytes = 4U << 20;
}  // namespace

std::expected<std::unique_ptr<StopFacts>, std::string> StopFacts::Open(pid_t tracer_tgid) {
  std::size_t elf_size = 0;
  const void* elf = stop_facts_bpf::elf_bytes(&elf_size);
  stop_facts_bpf::stop_facts_bpf__rodata constants{};
  constants.tracer_tgid = tracer_tgid;
  auto object = BpfObject::Load(BpfObjectSpec{
      .name = "stop_facts_bpf",
      .elf = std::span(static_cast<const std::uint8_t*>(elf), elf_size),
      .rodata = std::span(reinterpret_cast<const std::uint8_t*>(&constants), sizeof constants),
      .ring_map = "facts",
      .ring_bytes = kRingBytes});
  if (!object) return std::unexpected(object.error());
  if ((*object)->Bss() == nullptr)
    return std::unexpected("the BPF object's counters are not mapped");
  const RingMemory ring = (*object)->Ring();
  return std::unique_ptr<StopFacts>(new StopFacts(std::move(*object), ring));
}

std::uint64_t StopFacts::Dropped() const {
  if (!bpf_) return 0;
  const auto* bss = static_cast<const stop_facts_bpf::stop_facts_bpf__bss*>(bpf_->Bss());
  // Written by the programs on any CPU: read once, whole.
  return __atomic_load_n(&bss->dropped, __ATOMIC_RELAXED);
}

#else  // !SENTRY_HAVE_BPF

std::expected<std::unique_ptr<StopFacts>, std::string> StopFacts::Open(pid_t) {
  return std::unexpected(CanUseBpf().error());
}

std::uint64_t StopFacts::Dropped() const {
  return 0;
}

#endif

void StopFacts::Drain() {
  if (ring_.consumer == nullptr) return;
  producer_seen_ = std::atomic_ref<std::uint64_t>(*ring_.producer).load(std::memory_order_acquire);
  // Read to the end: every record older than any drain that missed one is
  // read now, the stale ones dropped; nothing is left to drop.
  behind_ = DrainRing(ring_, [this](std::span<const char> record, std::uint64_t position) {
    Take(record.data(), record.size(), position);
  });
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

StopFacts::StopFacts(std::unique_ptr<BpfObject> bpf, Ring ring)
    : bpf_(std::move(bpf)), ring_(ring) {}
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
