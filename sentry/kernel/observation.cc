#include "sentry/kernel/observation.h"

#include "sentry/kernel/abi.h"

namespace sentry::kernel {

WaitRequest WaitRequest::FromWait4(std::int32_t pid, std::uint32_t options) {
  WaitRequest r;
  r.options = options | abi::kWEXITED;
  if (pid < -1) {
    r.idtype = abi::kP_PGID;
    r.id = -pid;
  } else if (pid == -1) {
    r.idtype = abi::kP_ALL;
  } else if (pid == 0) {
    r.idtype = abi::kP_PGID;  // the caller's own group, resolved when the wait runs
  } else {
    r.idtype = abi::kP_PID;
    r.id = pid;
  }
  return r;
}

WaitRequest WaitRequest::FromWaitid(int idtype, std::int32_t id, std::uint32_t options) {
  return WaitRequest{.idtype = idtype, .id = idtype == abi::kP_ALL ? 0 : id, .options = options};
}

DecodedWaitStatus FromWait4Status(std::uint32_t w) {
  if ((w & 0x7fU) == 0) return {abi::kCLD_EXITED, static_cast<int>((w >> 8) & 0xffU)};
  if (w == 0xffffU) return {abi::kCLD_CONTINUED, abi::kSIGCONT};
  if ((w & 0xffU) == 0x7fU) return {abi::kCLD_STOPPED, static_cast<int>((w >> 8) & 0xffU)};
  return {(w & 0x80U) != 0 ? abi::kCLD_DUMPED : abi::kCLD_KILLED, static_cast<int>(w & 0x7fU)};
}

}  // namespace sentry::kernel
