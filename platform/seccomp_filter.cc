#include "platform/seccomp_filter.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>

#include "platform/unique_fd.h"

namespace sentry::platform {
namespace {

struct FilterDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

std::string Errno(const char* what, int rc) {
  return std::string(what) + ": " + std::strerror(-rc);
}

}  // namespace

std::expected<CompiledFilter, std::string> CompileFilter(bool trap_clone) {
  std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return std::unexpected("seccomp_init failed");
  auto trace = [](Trap t) { return SCMP_ACT_TRACE(static_cast<std::uint16_t>(t)); };
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, trace(Trap::kForeignAbi));
  if (rc != 0) return std::unexpected(Errno("seccomp bad-arch action", rc));
  struct Rule {
    Trap trap;
    int nr;
    unsigned arg_count;
    scmp_arg_cmp arg;
  };
  const Rule rules[] = {
      {Trap::kClone, SCMP_SYS(clone), 0, {}},
      {Trap::kClone, SCMP_SYS(clone3), 0, {}},
      {Trap::kClone, SCMP_SYS(fork), 0, {}},
      {Trap::kClone, SCMP_SYS(vfork), 0, {}},
      {Trap::kWait, SCMP_SYS(wait4), 0, {}},
      {Trap::kWait, SCMP_SYS(waitid), 0, {}},
      {Trap::kSetSid, SCMP_SYS(setsid), 0, {}},
      {Trap::kSetPgid, SCMP_SYS(setpgid), 0, {}},
      {Trap::kSigaction, SCMP_SYS(rt_sigaction), 1, SCMP_A0(SCMP_CMP_EQ, SIGCHLD)},
      {Trap::kPrctl, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_CHILD_SUBREAPER)},
      {Trap::kPrctl, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_PDEATHSIG)},
      {Trap::kUnshare, SCMP_SYS(unshare), 1,
       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWPID, CLONE_NEWPID)},
      // ioctl's request is an int: compare its low 32 bits only.
      {Trap::kTerminal, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffU, TIOCSPGRP)},
      {Trap::kTerminal, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffU, TIOCSCTTY)},
      {Trap::kTerminal, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffU, TIOCNOTTY)},
  };
  for (const Rule& r : rules) {
    if (r.trap == Trap::kClone && !trap_clone) continue;
    rc = r.arg_count == 0 ? seccomp_rule_add(ctx.get(), trace(r.trap), r.nr, 0)
                          : seccomp_rule_add(ctx.get(), trace(r.trap), r.nr, 1, r.arg);
    if (rc != 0) return std::unexpected(Errno("seccomp rule", rc));
  }
  // Export the BPF through a memory file and read it back.
  UniqueFd mem(static_cast<int>(::syscall(SYS_memfd_create, "sentry-bpf", MFD_CLOEXEC)));
  if (!mem) return std::unexpected(std::string("memfd_create: ") + std::strerror(errno));
  rc = seccomp_export_bpf(ctx.get(), mem.Get());
  if (rc != 0) return std::unexpected(Errno("seccomp_export_bpf", rc));
  const off_t size = ::lseek(mem.Get(), 0, SEEK_END);
  if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    return std::unexpected("seccomp_export_bpf produced no program");
  }
  CompiledFilter out;
  out.instructions.resize(static_cast<std::size_t>(size) / sizeof(sock_filter));
  if (::pread(mem.Get(), out.instructions.data(), static_cast<std::size_t>(size), 0) != size) {
    return std::unexpected(std::string("reading the BPF program: ") + std::strerror(errno));
  }
  return out;
}

int InstallFilter(const CompiledFilter& filter) {
  static_assert(sizeof(sock_filter) == sizeof(std::uint64_t));
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(filter.instructions.size());
  // The kernel copies the program; the cast only drops the pointer type.
  prog.filter =
      reinterpret_cast<sock_filter*>(const_cast<std::uint64_t*>(filter.instructions.data()));
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0) return 0;
  if (errno != EACCES) return errno;
  // No CAP_SYS_ADMIN: the kernel requires no_new_privs.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0 ? 0 : errno;
}

}  // namespace sentry::platform
