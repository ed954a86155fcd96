// A workload whose recorded run answers the three questions `sentry
// inspect explain` is for (inspect_fixture.cc).
#pragma once

namespace scenarios {

// As a child subreaper, it makes:
//   - an adopted zombie: a grandchild exits (9) while its parent, waiting
//     with WNOWAIT, leaves it a zombie and exits; this process adopts it
//     and reaps it ("who reaped my child?", "why is this a zombie?");
//   - a SIGHUPed job: a child in a process group of its own, stopped, whose
//     group the kernel finds orphaned when its parent exits, and so sends
//     it SIGHUP and SIGCONT ("why did my job get SIGHUP?").
// Prints "zombie PID", "middle PID" and "hupped PID" lines, then exits 0.
int InspectQuestions();

}  // namespace scenarios
