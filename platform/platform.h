// Platform: what feeds the model, as gVisor keeps several behind one
// interface. The ptrace tracer (tracer.h) holds every task at its stops and
// checks the model against the host there; the observe platform
// (observer.h) follows the kernel's tracepoints through BPF and holds
// nothing. Both run the workload to its end and hand every observation and
// its records to the same consumers; the views and the log do not know
// which one fed them.
#pragma once

#include <string_view>

namespace sentry::platform {

class Platform {
 public:
  virtual ~Platform() = default;

  // Runs the workload to the end; returns the sentry's exit code (the
  // workload's shell exit code, or 125-127 when it could not start).
  virtual int Run() = 0;

  // The signal that killed the first process (0: it exited, or never ran):
  // the sentry ends by it too, once it has cleaned up, as a shell's child would.
  virtual int TerminationSignal() const = 0;

  // Whether SIGINT or SIGTERM came once the first process was gone: meant
  // for the sentry itself (--keep-mounted then does not wait for another).
  virtual bool AskedToEnd() const = 0;

  // Whether it can hold the workload (RequestFreeze, --step): only a
  // platform that stops tasks can.
  virtual bool CanHold() const = 0;

  // Asks the event loop to hold every task of the workload in an external
  // stop (true), new ones included, or to let them all go (false), as
  // cgroup.freeze does. Any thread may call it. Ignored where !CanHold().
  virtual void RequestFreeze(bool frozen) = 0;

  // Its name in the run table and `inspect runs`: "ptrace" or "observe".
  virtual std::string_view Name() const = 0;
};

}  // namespace sentry::platform
