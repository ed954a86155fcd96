// Race scenarios: kills that land where the tracer cannot see them at once
// (races.cc). Each returns the scenario's exit code.
#pragma once

namespace scenarios {

int KilledMakingThreads();
int KilledAfterReap(bool subreaper);
int KillStopped(bool continue_first);
int AdoptDuringPoll();
int PollWhileChildrenExit();
int ThreadsExitWithTheProcess();
int SetPgidRacingTheChild(bool exec, bool beside_exit);
int SetPgidRacingTheChildsThenPoll();
int SetPgidRacingAThreadsExec();
int AdoptedByAnExitingSubreaper(bool orphan_dies);
int KilledWhileAThreadExecs();
int PollForAnAdopteeOfAKilledFork();
int AdoptAStopFromAThreadedParent();

}  // namespace scenarios
