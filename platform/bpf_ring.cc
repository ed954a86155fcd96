#include "platform/bpf_ring.h"

#include <linux/bpf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#ifdef SENTRY_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#endif

namespace sentry::platform {

namespace {

// How long a drain waits for a producer on another CPU to finish a record
// it reserved: a BPF program runs in microseconds, unless preempted.
constexpr int kBusySpins = 2000;

}  // namespace

bool DrainRing(
    const RingMemory& ring,
    const std::function<void(std::span<const char> record, std::uint64_t position)>& take) {
  if (ring.consumer == nullptr) return false;
  const std::uint64_t producer =
      std::atomic_ref<std::uint64_t>(*ring.producer).load(std::memory_order_acquire);
  std::atomic_ref<std::uint64_t> consumer_pos(*ring.consumer);
  std::uint64_t consumer = consumer_pos.load(std::memory_order_relaxed);
  while (consumer < producer) {
    auto* header = reinterpret_cast<std::uint32_t*>(ring.data + (consumer & ring.mask));
    std::uint32_t len = std::atomic_ref<std::uint32_t>(*header).load(std::memory_order_acquire);
    for (int spin = 0; (len & BPF_RINGBUF_BUSY_BIT) != 0 && spin < kBusySpins; ++spin) {
      len = std::atomic_ref<std::uint32_t>(*header).load(std::memory_order_acquire);
    }
    if ((len & BPF_RINGBUF_BUSY_BIT) != 0) return true;  // left for the next drain
    const std::uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
    if ((len & BPF_RINGBUF_DISCARD_BIT) == 0) {
      take(std::span<const char>(reinterpret_cast<const char*>(header) + BPF_RINGBUF_HDR_SZ, size),
           consumer);
    }
    consumer += (size + BPF_RINGBUF_HDR_SZ + 7) & ~std::uint64_t{7};
    consumer_pos.store(consumer, std::memory_order_release);
  }
  return false;
}

#ifdef SENTRY_HAVE_BPF

namespace {

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
struct BpfObject::Loaded {
  bpf_object* object = nullptr;
  std::vector<bpf_link*> links;
  std::size_t page = 0;
  void* consumer = MAP_FAILED;
  void* producer = MAP_FAILED;
  std::size_t producer_len = 0;

  Loaded() = default;
  Loaded(const Loaded&) = delete;
  Loaded& operator=(const Loaded&) = delete;
  ~Loaded() {
    if (consumer != MAP_FAILED) ::munmap(consumer, page);
    if (producer != MAP_FAILED) ::munmap(producer, producer_len);
    for (bpf_link* link : links) bpf_link__destroy(link);
    bpf_object__close(object);
  }
};

std::expected<void, std::string> CanUseBpf() {
  if (!InInitialNamespace("/proc/self/ns/pid", kInitPidNamespace) ||
      !InInitialNamespace("/proc/self/ns/user", kInitUserNamespace)) {
    return std::unexpected("the sentry is not in the initial PID and user namespaces");
  }
  return {};
}

std::expected<std::unique_ptr<BpfObject>, std::string> BpfObject::Load(const BpfObjectSpec& spec) {
  if (auto usable = CanUseBpf(); !usable) return std::unexpected(usable.error());
  // libbpf explains failures on stderr; the one line the caller prints is enough.
  libbpf_set_print([](libbpf_print_level, const char*, va_list) { return 0; });
  const auto failed = [](const char* what) {
    return std::unexpected(std::string(what) + ": " + std::strerror(errno));
  };
  auto loaded = std::make_unique<Loaded>();
  bpf_object_open_opts options{};
  options.sz = sizeof options;
  options.object_name = spec.name;
  loaded->object = bpf_object__open_mem(spec.elf.data(), spec.elf.size(), &options);
  if (loaded->object == nullptr) return failed("cannot open the BPF object");
  bpf_map* rodata = bpf_object__find_map_by_name(loaded->object, ".rodata");
  bpf_map* ring = bpf_object__find_map_by_name(loaded->object, spec.ring_map);
  std::size_t size = 0;
  const void* initial = rodata != nullptr ? bpf_map__initial_value(rodata, &size) : nullptr;
  if (initial == nullptr || size != spec.rodata.size() || ring == nullptr) {
    return std::unexpected("the BPF object lacks its maps");
  }
  bpf_map__set_initial_value(rodata, spec.rodata.data(), spec.rodata.size());
  bpf_map__set_max_entries(ring, spec.ring_bytes);
  if (bpf_object__load(loaded->object) != 0) return failed("cannot load BPF programs");
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, loaded->object) {
    bpf_link* link = bpf_program__attach(program);
    if (link == nullptr) return failed("cannot attach to tracepoints");
    loaded->links.push_back(link);
  }
  const int fd = bpf_map__fd(ring);
  loaded->page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  loaded->consumer = ::mmap(nullptr, loaded->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  loaded->producer_len = loaded->page + 2 * std::size_t{spec.ring_bytes};
  loaded->producer = ::mmap(nullptr, loaded->producer_len, PROT_READ, MAP_SHARED, fd,
                            static_cast<off_t>(loaded->page));
  if (loaded->consumer == MAP_FAILED || loaded->producer == MAP_FAILED) {
    return failed("cannot map the ring buffer");
  }
  auto object = std::unique_ptr<BpfObject>(new BpfObject(std::move(loaded)));
  object->ring_fd_ = fd;
  object->ring_ =
      RingMemory{.consumer = static_cast<std::uint64_t*>(object->loaded_->consumer),
                 .producer = static_cast<std::uint64_t*>(object->loaded_->producer),
                 .data = static_cast<char*>(object->loaded_->producer) + object->loaded_->page,
                 .mask = spec.ring_bytes - 1};
  if (bpf_map* bss = bpf_object__find_map_by_name(object->loaded_->object, ".bss")) {
    object->bss_ = bpf_map__initial_value(bss, &size);  // mapped by libbpf once loaded
  }
  return object;
}

bool BpfObject::Put(const char* name, const void* key, const void* value) const {
  bpf_map* map = bpf_object__find_map_by_name(loaded_->object, name);
  if (map == nullptr) {
    errno = ENOENT;
    return false;
  }
  return bpf_map_update_elem(bpf_map__fd(map), key, value, BPF_ANY) == 0;
}

#else  // !SENTRY_HAVE_BPF

struct BpfObject::Loaded {};

std::expected<void, std::string> CanUseBpf() {
  return std::unexpected("this sentry was built without BPF (libbpf, bpftool or BTF missing)");
}

std::expected<std::unique_ptr<BpfObject>, std::string> BpfObject::Load(const BpfObjectSpec&) {
  return std::unexpected(CanUseBpf().error());
}

bool BpfObject::Put(const char*, const void*, const void*) const {
  errno = ENOSYS;
  return false;
}

#endif

BpfObject::BpfObject(std::unique_ptr<Loaded> loaded) : loaded_(std::move(loaded)) {}
BpfObject::~BpfObject() = default;

}  // namespace sentry::platform
