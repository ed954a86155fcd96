// The procfs view's path lookup and its control files, through a real FUSE
// mount: the fuzzer's bytes are lines "OP PATH [TEXT]", each done by this
// process on the mount with the syscalls a reader makes (lookup, stat,
// readlink, open, read, getdents, write, truncate), so every handler of
// procfs.cc runs in the view's own threads with the sanitizers on. The
// model is a real run's, replayed to a moment with live, stopped and zombie
// processes, groups and sessions (random-2-subreaper.jsonl, observation
// 100); `sentry/freeze` is wired to a control that holds nothing (there is
// no workload) and `sentry/step` to a real Stepper. Whatever is asked, the
// view answers or says an errno: it never crashes, hangs or leaves the
// mount behind.
//
// Paths are resolved beneath the mount (openat2 RESOLVE_BENEATH): a link to
// a host path (the reader's own fd/N) is not followed out of the view.
//
//   stat P | lstat P | readlink P | read P [CHUNK] | list P | write P TEXT | truncate P
// TEXT's "\n" is a newline.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "fusefs/mount.h"
#include "fusefs/procfs.h"
#include "platform/unique_fd.h"
#include "sentry/cmd/step.h"
#include "sentry/kernel/json_codec.h"
#include "sentry/kernel/kernel.h"
#include "tests/fuzz/input_lines.h"

namespace {

namespace kernel = sentry::kernel;
namespace fusefs = sentry::fusefs;
using sentry::platform::UniqueFd;

constexpr std::uint64_t kReplayedTo = 100;
// Each fuzzing process mounts at kMountsDir/PID/proc.
constexpr std::string_view kMountsDir = "/tmp/sentry-fuzz-view";
constexpr std::size_t kMostRead = std::size_t{1} << 20;  // per file: a view file is small

struct MountedView {
  kernel::Kernel model;
  std::unique_ptr<fusefs::Procfs> procfs;
  std::unique_ptr<sentry::cmd::Stepper> stepper;
  std::unique_ptr<fusefs::Mount> mount;
  UniqueFd root;
};

MountedView* g_view = nullptr;

void Unmount() {
  if (g_view == nullptr) return;
  g_view->root.Reset();
  g_view->mount.reset();
}

// The model as the replayed run had it at observation kReplayedTo, its
// records told to the view and the stepper as a live run tells them.
void ReplayLog(MountedView& view) {
  std::ifstream in(SENTRY_FUZZ_VIEW_LOG);
  if (!in) {
    std::fprintf(stderr, "fuzz_view: cannot open %s\n", SENTRY_FUZZ_VIEW_LOG);
    std::exit(1);
  }
  std::string line;
  while (std::getline(in, line)) {
    if (kernel::IsRecordLine(line)) continue;
    const auto decoded = kernel::DecodeObservation(line);
    if (!decoded || decoded->seq > kReplayedTo) continue;
    const auto records = view.model.Apply(decoded->observation);
    view.procfs->Consume(decoded->observation, decoded->seq, records);
    view.stepper->Consume(decoded->observation, decoded->seq, records);
  }
}

std::string Unescaped(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 'n') {
      out += '\n';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Opens `path` beneath the view's root; -1 on any error (its errno is the
// view's answer, which is all a reader gets).
UniqueFd OpenBeneath(const std::string& path, std::uint64_t flags) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH;
  return UniqueFd(static_cast<int>(::syscall(SYS_openat2, g_view->root.Get(),
                                             path.empty() ? "." : path.c_str(), &how, sizeof how)));
}

void ReadAll(int fd, std::size_t chunk) {
  std::array<char, 65536> buffer{};
  chunk = std::clamp<std::size_t>(chunk, 1, buffer.size());
  std::size_t total = 0;
  while (total < kMostRead) {
    const ssize_t n = ::read(fd, buffer.data(), chunk);
    if (n <= 0) return;
    total += static_cast<std::size_t>(n);
  }
}

void ListAll(int fd) {
  std::array<char, 8192> buffer{};
  for (int i = 0; i < 1024; ++i) {
    if (::syscall(SYS_getdents64, fd, buffer.data(), buffer.size()) <= 0) return;
  }
}

void Do(std::string_view line) {
  const std::size_t op_end = line.find(' ');
  const std::string_view op = line.substr(0, op_end);
  std::string_view rest = op_end == std::string_view::npos ? "" : line.substr(op_end + 1);
  const std::size_t path_end = rest.find(' ');
  const std::string path(rest.substr(0, path_end));
  const std::string_view text = path_end == std::string_view::npos ? "" : rest.substr(path_end + 1);
  if (path.find('\0') != std::string::npos) return;
  struct stat st {};
  if (op == "stat" || op == "lstat") {
    const UniqueFd fd = OpenBeneath(path, O_PATH | (op == "lstat" ? O_NOFOLLOW : 0));
    if (fd.Get() >= 0) ::fstat(fd.Get(), &st);
  } else if (op == "readlink") {
    const UniqueFd fd = OpenBeneath(path, O_PATH | O_NOFOLLOW);
    std::array<char, 4096> target{};
    if (fd.Get() >= 0) ::readlinkat(fd.Get(), "", target.data(), target.size());
  } else if (op == "read") {
    const UniqueFd fd = OpenBeneath(path, O_RDONLY | O_NONBLOCK);
    if (fd.Get() >= 0)
      ReadAll(fd.Get(), text.empty() ? 4096 : std::strtoul(std::string(text).c_str(), nullptr, 10));
  } else if (op == "list") {
    const UniqueFd fd = OpenBeneath(path, O_RDONLY | O_DIRECTORY);
    if (fd.Get() >= 0) ListAll(fd.Get());
  } else if (op == "write") {
    const UniqueFd fd = OpenBeneath(path, O_WRONLY | O_TRUNC | O_NONBLOCK);
    const std::string data = Unescaped(text);
    if (fd.Get() >= 0) [[maybe_unused]]
      const ssize_t n = ::write(fd.Get(), data.data(), data.size());
  } else if (op == "truncate") {
    const UniqueFd fd = OpenBeneath(path, O_WRONLY | O_NONBLOCK);
    if (fd.Get() >= 0) [[maybe_unused]]
      const int r = ::ftruncate(fd.Get(), 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // A fuzzer that found something ends at once (_Exit), its mount left
  // dead: those of earlier runs are detached and removed first.
  fusefs::CleanDeadMounts(std::string(kMountsDir));
  g_view = new MountedView;
  g_view->procfs = std::make_unique<fusefs::Procfs>(
      g_view->model, fusefs::Procfs::Options{.owner = ::getuid(), .pidns = false, .live = false});
  g_view->stepper =
      std::make_unique<sentry::cmd::Stepper>(g_view->model, sentry::cmd::Stepper::Options{});
  ReplayLog(*g_view);
  g_view->procfs->AwaitNotifier();
  g_view->procfs->CloseEvents();  // `events` readers get the records told, then end of file
  g_view->procfs->SetFreezeControl([](bool /*hold*/) {});
  g_view->procfs->SetStepControl(
      {.state = [] { return g_view->stepper->State(); },
       .command = [](std::string_view command) { return g_view->stepper->Command(command); }});
  std::string notice;
  auto mounted = fusefs::Mount::Create(
      *g_view->procfs,
      {.path = std::string(kMountsDir) + "/" + std::to_string(::getpid()) + "/proc",
       .allow_other = false},
      &notice);
  if (!mounted) {
    std::fprintf(stderr, "fuzz_view: %s\n", mounted.error().c_str());
    std::exit(1);
  }
  g_view->mount = std::move(*mounted);
  g_view->root = UniqueFd(::open(g_view->mount->Path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  // libFuzzer ends with exit(): the mount goes with it.
  std::atexit(Unmount);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sentry::fuzz::ForEachLine(data, size, Do);
  return 0;
}
