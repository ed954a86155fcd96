// ExitStatus: what an exiting task or thread group tells the party that reaps it.
#pragma once

#include <cstdint>

namespace sentry::kernel {

struct ExitStatus {
  // The value passed to exit/exit_group; 0 when killed by a signal.
  int code = 0;
  // The signal that killed the task; 0 for a normal exit.
  int signo = 0;
  // A core dump was written (WCOREDUMP).
  bool core = false;

  constexpr bool Signaled() const { return signo != 0; }

  // The wait(2) status word: code in bits 8-15, signal in bits 0-6, core in bit 7.
  constexpr std::uint32_t WaitStatus() const {
    return ((static_cast<std::uint32_t>(code) & 0xffU) << 8) |
           (static_cast<std::uint32_t>(signo) & 0x7fU) | (core ? 0x80U : 0U);
  }

  // The exit code a shell reports: 128+signal when killed.
  constexpr int ShellExitCode() const { return Signaled() ? 128 + signo : code; }

  // Decodes a wait(2) status word of an exited or killed child.
  static constexpr ExitStatus FromWaitStatus(std::uint32_t status) {
    ExitStatus es;
    if ((status & 0x7fU) == 0) {
      es.code = static_cast<int>((status >> 8) & 0xffU);
    } else {
      es.signo = static_cast<int>(status & 0x7fU);
      es.core = (status & 0x80U) != 0;
    }
    return es;
  }

  constexpr bool operator==(const ExitStatus&) const = default;
};

// CPU time and peak memory, for a task and accumulated over reaped children.
struct Usage {
  std::int64_t utime_ns = 0;
  std::int64_t stime_ns = 0;
  std::int64_t maxrss_kb = 0;

  // Adds times; keeps the larger peak (Linux's cmaxrss is a maximum).
  void Accumulate(const Usage& other) {
    utime_ns += other.utime_ns;
    stime_ns += other.stime_ns;
    if (other.maxrss_kb > maxrss_kb) maxrss_kb = other.maxrss_kb;
  }
  constexpr bool operator==(const Usage&) const = default;
};

}  // namespace sentry::kernel
