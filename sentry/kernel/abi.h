// Linux ABI constants the model reasons about (x86_64 values).
//
// The model is pure: it does not include host headers, so replaying a log on
// another machine means the same thing. Values are those of the Linux UAPI.
#pragma once

#include <cstdint>
#include <string_view>

namespace sentry::kernel::abi {

// Signals.
inline constexpr int kSIGHUP = 1;
inline constexpr int kSIGINT = 2;
inline constexpr int kSIGQUIT = 3;
inline constexpr int kSIGABRT = 6;
inline constexpr int kSIGKILL = 9;
inline constexpr int kSIGUSR1 = 10;
inline constexpr int kSIGSEGV = 11;
inline constexpr int kSIGTERM = 15;
inline constexpr int kSIGCHLD = 17;
inline constexpr int kSIGCONT = 18;
inline constexpr int kSIGSTOP = 19;
inline constexpr int kSIGTSTP = 20;
inline constexpr int kSIGTTIN = 21;
inline constexpr int kSIGTTOU = 22;
inline constexpr int kMaxSignal = 64;

constexpr bool IsValidSignal(int sig) {
  return sig > 0 && sig <= kMaxSignal;
}
constexpr bool IsStopSignal(int sig) {
  return sig == kSIGSTOP || sig == kSIGTSTP || sig == kSIGTTIN || sig == kSIGTTOU;
}
// The default action of a signal (signal(7)): ignored (SIGCHLD, SIGCONT,
// SIGURG, SIGWINCH), a core dump, or else the end of the process; the stop
// signals are above.
constexpr bool IsIgnoredByDefault(int sig) {
  return sig == kSIGCHLD || sig == kSIGCONT || sig == 23 /* SIGURG */ || sig == 28 /* SIGWINCH */;
}
constexpr bool DumpsCoreByDefault(int sig) {
  // SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS.
  return sig == kSIGQUIT || sig == 4 || sig == 5 || sig == kSIGABRT || sig == 7 || sig == 8 ||
         sig == kSIGSEGV || sig == 24 || sig == 25 || sig == 31;
}
// "SIGHUP", "SIG34"; "0" for no signal.
std::string_view SignalName(int sig);

// siginfo si_code values.
inline constexpr int kSI_USER = 0;
inline constexpr int kSI_KERNEL = 0x80;
inline constexpr int kSI_TKILL = -6;
inline constexpr int kCLD_EXITED = 1;
inline constexpr int kCLD_KILLED = 2;
inline constexpr int kCLD_DUMPED = 3;
inline constexpr int kCLD_TRAPPED = 4;
inline constexpr int kCLD_STOPPED = 5;
inline constexpr int kCLD_CONTINUED = 6;

// clone(2) flags.
inline constexpr std::uint64_t kCLONE_VM = 0x00000100;
inline constexpr std::uint64_t kCLONE_SIGHAND = 0x00000800;
inline constexpr std::uint64_t kCLONE_VFORK = 0x00004000;
inline constexpr std::uint64_t kCLONE_PARENT = 0x00008000;
inline constexpr std::uint64_t kCLONE_THREAD = 0x00010000;
inline constexpr std::uint64_t kCLONE_NEWPID = 0x20000000;

// wait4/waitid options.
inline constexpr std::uint32_t kWNOHANG = 0x00000001;
inline constexpr std::uint32_t kWSTOPPED = 0x00000002;
inline constexpr std::uint32_t kWUNTRACED = kWSTOPPED;
inline constexpr std::uint32_t kWEXITED = 0x00000004;
inline constexpr std::uint32_t kWCONTINUED = 0x00000008;
inline constexpr std::uint32_t kWNOWAIT = 0x01000000;
inline constexpr std::uint32_t kWNOTHREAD = 0x20000000;
inline constexpr std::uint32_t kWALL = 0x40000000;
inline constexpr std::uint32_t kWCLONE = 0x80000000;

// waitid idtype.
inline constexpr int kP_ALL = 0;
inline constexpr int kP_PID = 1;
inline constexpr int kP_PGID = 2;
// The child named by a pidfd (Linux 5.4): the tracer resolves it to the pid.
inline constexpr int kP_PIDFD = 3;

// errno values.
inline constexpr int kEPERM = 1;
inline constexpr int kESRCH = 3;
inline constexpr int kEINTR = 4;
inline constexpr int kECHILD = 10;
inline constexpr int kEAGAIN = 11;
inline constexpr int kEACCES = 13;
inline constexpr int kEINVAL = 22;
inline constexpr int kERESTARTSYS = 512;
// "EPERM"; "0" for success.
std::string_view ErrnoName(int err);

// The well-known pid of a namespace's init.
inline constexpr std::int32_t kInitTid = 1;

}  // namespace sentry::kernel::abi
