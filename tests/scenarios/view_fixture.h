// A workload to look at through the procfs view (view_fixture.cc).
#pragma once

namespace scenarios {

// Builds a tree with something of each kind, prints "ready" on stdout, and
// holds it until stdin closes (or a line comes), then takes it down:
//   - itself: a session leader, with a thread group of 3 threads (2 asleep);
//   - a stopped job: a child in a process group of its own, SIGSTOPped;
//   - a zombie: a child that exited, not reaped until the end;
//   - a second session: a child that called setsid, with a child of its own;
//   - an orphan: a grandchild whose parent exited (adopted by the subreaper).
int ViewFixture();

// Prints "ready", then a line "N" for every record-worthy change it makes on
// stdin's command: "fork" forks a child that exits at once and reaps it
// (the tests watch the zombie appear and vanish), "quit" ends.
int ViewStepper();

// Forks a child that spins (burning CPU) and prints "ready CHILD"; then, for
// each "check" on stdin, prints what waitpid(child, WNOHANG | WUNTRACED)
// returned; "quit" kills the child and ends.
int ViewSpinner();

// A stuck pipeline to debug with lsof, ps -o wchan, pmap and psutil: the
// first process names its two threads ("worker-1", "worker-2"), listens on
// TCP 127.0.0.1 (any port) and holds a connected unix socket pair and a
// file open for writing; its children are `writer | reader`, the writer
// blocked writing into a full pipe because the reader stopped itself
// (SIGSTOP) before reading. Prints "ready WRITER READER", holds until a
// line comes on stdin (or EOF), then takes it down.
int ViewStuckPipeline();

}  // namespace scenarios
