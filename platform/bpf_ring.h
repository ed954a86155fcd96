// BpfRing: a BPF object's programs, loaded and attached, and the ring
// buffer they write records to, read in place.
//
// Both users of BPF (the ptrace tracer's stop facts, stop_facts.h, and the
// observe platform, observer.h) load one object that bpftool's skeleton
// embeds, set its constants, attach every program to its tracepoint and
// read one ring. The ring is read without libbpf's callbacks: the reader
// must be able to stop at a record another CPU has reserved and not yet
// committed (the busy bit) and come back to it, which is where the order of
// events across CPUs is kept.
//
// Not thread-safe: one thread reads.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace sentry::platform {

// Where a ring's positions and records are: the kernel's mapping, or plain
// memory laid out as the kernel lays it (tests).
struct RingMemory {
  std::uint64_t* consumer = nullptr;  // the reader's position, which it writes
  std::uint64_t* producer = nullptr;  // the writers' position
  char* data = nullptr;               // records, each an 8-byte header (length, busy bit) first
  std::uint64_t mask = 0;             // the data's size (a power of two) - 1
};

// Reads every record committed so far in ring order, handing each (with
// its position) to `take`. A record still being written on another CPU is
// waited for briefly (a BPF program runs in microseconds unless preempted),
// then left, with everything after it, for the next drain. Returns whether
// the drain stopped at such a record (is behind the producer).
bool DrainRing(
    const RingMemory& ring,
    const std::function<void(std::span<const char> record, std::uint64_t position)>& take);

// What to load: a skeleton's embedded object and the constants its
// .rodata takes.
struct BpfObjectSpec {
  const char* name = nullptr;  // the object's name, for libbpf
  std::span<const std::uint8_t> elf;
  // The new .rodata, as the skeleton's rodata struct; its size must be
  // the object's.
  std::span<const std::uint8_t> rodata;
  const char* ring_map = nullptr;  // the ring buffer map's name
  std::uint32_t ring_bytes = 0;    // its size: a power of two, a multiple of the page
};

class BpfObject {
 public:
  // Loads and attaches; the error says in a few words why not (no BPF in
  // this build, not permitted, no BTF, not in the initial namespaces).
  static std::expected<std::unique_ptr<BpfObject>, std::string> Load(const BpfObjectSpec& spec);
  ~BpfObject();
  BpfObject(const BpfObject&) = delete;
  BpfObject& operator=(const BpfObject&) = delete;

  RingMemory Ring() const { return ring_; }
  // Readable (EPOLLIN) when the programs have committed a record and asked
  // to wake the reader.
  int RingFd() const { return ring_fd_; }
  // The object's .bss as libbpf maps it (counters the programs write);
  // nullptr without one.
  const void* Bss() const { return bss_; }
  // Sets `key` to `value` in map `name` (sizes: the map's); false if it
  // could not (errno says why).
  bool Put(const char* name, const void* key, const void* value) const;

 private:
  struct Loaded;
  explicit BpfObject(std::unique_ptr<Loaded> loaded);
  std::unique_ptr<Loaded> loaded_;
  RingMemory ring_;
  int ring_fd_ = -1;
  const void* bss_ = nullptr;
};

// Whether this sentry can load BPF at all: a programs' ids are the initial
// namespaces' (task->pid, cred->euid), so a sentry elsewhere would see
// other ids than its own. The error says why not.
std::expected<void, std::string> CanUseBpf();

}  // namespace sentry::platform
