// HoldPoint: a holder of the workload between its kernel events (`sentry
// run --step`). The tracer asks it at every point of its event loop where
// nothing is in flight, that is between two reports it has handled whole.
// While Hold runs, the tracer collects nothing: every task that reaches a
// ptrace stop stays in it, so the model (and the view that reads it) stays
// at that moment; the user's keystrokes are the holder's, not the
// workload's (the relay to the workload's terminal pauses); and the
// patience the tracer gives a held child (kHeldChildPatience) is paused.
#pragma once

namespace sentry::platform {

class HoldPoint {
 public:
  virtual ~HoldPoint() = default;
  // Whether to hold now: cheap, called between every two reports.
  virtual bool WantsHold() = 0;
  // Holds until the user goes on; returns true to end the run (the
  // workload is killed, as by a second interrupt). Returns early, without
  // ending the run, when `wake_fd` becomes readable: a signal to the sentry
  // or a freeze request waits on the loop, which asks again afterwards.
  virtual bool Hold(int wake_fd) = 0;
  // The user asked the sentry to end the run (SIGINT, SIGTERM, SIGHUP,
  // SIGQUIT): hold no more, so that the signal can take its effect.
  virtual void StopHolding() = 0;
};

}  // namespace sentry::platform
