// DecodeObserveRecord: what each record of the observe platform's ring
// (platform/bpf/observe_record.h) tells the model, from records built here
// as the BPF programs write them.
#include "platform/observe_events.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstring>
#include <span>
#include <variant>

#include "platform/bpf/observe_record.h"
#include "sentry/kernel/abi.h"

namespace sentry::platform {
namespace {

namespace abi = kernel::abi;

template <typename T>
std::optional<ObservedEvent> Decode(const T& record) {
  return DecodeObserveRecord(
      std::span<const char>(reinterpret_cast<const char*>(&record), sizeof record));
}

observe_exit ExitRecord(int tid, int exit_code, int syscall, int group_exit) {
  observe_exit r{};
  r.header = {.kind = OBSERVE_EXIT, .tid = tid, .tgid = 100, .pad = 0};
  r.exit_code = exit_code;
  r.group_exit = group_exit;
  r.syscall = syscall;
  r.group_dead = 1;
  return r;
}

TEST(ObserveEventsTest, AnExitIsTheGroupsForExitGroupAFatalSignalOrAGroupAlreadyExiting) {
  const auto own = Decode(ExitRecord(101, 3 << 8, OBSERVE_NR_EXIT, 0));
  ASSERT_TRUE(own && std::holds_alternative<ObservedExit>(*own));
  EXPECT_FALSE(std::get<ObservedExit>(*own).group);
  EXPECT_EQ(std::get<ObservedExit>(*own).status.code, 3);
  EXPECT_TRUE(std::get<ObservedExit>(*own).last_thread);
  EXPECT_TRUE(std::get<ObservedExit>(*Decode(ExitRecord(101, 0, OBSERVE_NR_EXIT_GROUP, 0))).group);
  EXPECT_TRUE(std::get<ObservedExit>(*Decode(ExitRecord(101, SIGTERM, 7, 0))).group);
  // Zapped in another call by a group exit: the group's.
  EXPECT_TRUE(std::get<ObservedExit>(*Decode(ExitRecord(101, 2 << 8, 202, 1))).group);
  // Its own exit(2), though the group's exit began meanwhile: its own.
  EXPECT_FALSE(std::get<ObservedExit>(*Decode(ExitRecord(101, 0, OBSERVE_NR_EXIT, 1))).group);
}

TEST(ObserveEventsTest, AWaitsResultIsReadFromWhatTheCallerGot) {
  observe_syscall r{};
  r.header = {.kind = OBSERVE_SYSCALL, .tid = 100, .tgid = 100, .pad = 0};
  r.nr = OBSERVE_NR_WAIT4;
  r.ret = 200;
  r.args[0] = static_cast<unsigned long long>(-1);
  r.args[1] = 0x7000;  // a status pointer: the status word was read
  r.args[2] = WUNTRACED;
  r.status = (7 << 8) | 0x7f;  // stopped by signal 7
  const auto done = Decode(r);
  ASSERT_TRUE(done && std::holds_alternative<kernel::WaitDone>(*done));
  const auto& wait = std::get<kernel::WaitDone>(*done);
  EXPECT_EQ(wait.result, 200);
  EXPECT_EQ(wait.code, abi::kCLD_STOPPED);
  EXPECT_EQ(wait.status, 7);
  EXPECT_EQ(wait.request, kernel::WaitRequest::FromWait4(-1, WUNTRACED));
  // waitid returns 0 and names the child in the siginfo.
  r.nr = OBSERVE_NR_WAITID;
  r.ret = 0;
  r.args[0] = P_ALL;
  r.args[2] = 0x7000;
  r.args[3] = WEXITED;
  r.child_pid = 201;
  r.child_code = abi::kCLD_EXITED;
  r.child_status = 4;
  const auto waitid = std::get<kernel::WaitDone>(*Decode(r));
  EXPECT_EQ(waitid.result, 201);
  EXPECT_EQ(waitid.code, abi::kCLD_EXITED);
  EXPECT_EQ(waitid.status, 4);
  // A restarted call tells nothing: it runs again.
  r.ret = -512;
  EXPECT_FALSE(Decode(r));
}

TEST(ObserveEventsTest, SigchldsDispositionIsTheGroupsAfterTheCall) {
  observe_syscall r{};
  r.header = {.kind = OBSERVE_SYSCALL, .tid = 100, .tgid = 100, .pad = 0};
  r.nr = OBSERVE_NR_RT_SIGACTION;
  r.args[0] = SIGCHLD;
  r.sigchld_handler = reinterpret_cast<std::uint64_t>(SIG_IGN);
  r.sigchld_flags = SA_NOCLDWAIT;
  const auto action = std::get<kernel::SigChldAction>(*Decode(r));
  EXPECT_EQ(action.disposition, kernel::SigChldDisposition::kIgnore);
  EXPECT_TRUE(action.nocldwait);
  r.ret = -22;  // EINVAL: nothing changed
  EXPECT_FALSE(Decode(r));
}

TEST(ObserveEventsTest, SigcontSaysWhetherTheStopWasComplete) {
  observe_signal r{};
  r.header = {.kind = OBSERVE_SIGCONT, .tid = 300, .tgid = 300, .pad = 0};
  r.signo = SIGCONT;
  using Found = ObservedContinue::Found;
  r.group_flags = 0x20 | 0x2;  // SIGNAL_CLD_CONTINUED | SIGNAL_STOP_CONTINUED
  EXPECT_EQ(std::get<ObservedContinue>(*Decode(r)).found, Found::kStopComplete);
  r.group_flags = 0x10 | 0x2;  // SIGNAL_CLD_STOPPED: the stop was still under way
  EXPECT_EQ(std::get<ObservedContinue>(*Decode(r)).found, Found::kStopUnderWay);
  r.group_flags = 0;
  EXPECT_EQ(std::get<ObservedContinue>(*Decode(r)).found, Found::kNoStop);
}

TEST(ObserveEventsTest, AFatalSendIsTheGroupExitAndSigkillIsNeverSeenTaken) {
  observe_signal r{};
  r.header = {.kind = OBSERVE_GROUP_EXIT, .tid = 300, .tgid = 300, .pad = 0};
  r.signo = SIGTERM;
  r.code = 0;  // SI_USER
  r.sender = 42;
  const auto term = std::get<ObservedGroupExit>(*Decode(r));
  ASSERT_TRUE(term.delivered);
  EXPECT_EQ(term.delivered->sender.value, 42);
  EXPECT_EQ(term.delivered->disposition, kernel::SignalDisposition::kDefault);
  r.signo = SIGKILL;
  EXPECT_FALSE(std::get<ObservedGroupExit>(*Decode(r)).delivered);
}

TEST(ObserveEventsTest, ARecordTooShortOrOfAnUnknownKindTellsNothing) {
  observe_exit r = ExitRecord(101, 0, OBSERVE_NR_EXIT, 0);
  EXPECT_FALSE(
      DecodeObserveRecord(std::span<const char>(reinterpret_cast<const char*>(&r), sizeof r - 1)));
  r.header.kind = 99;
  EXPECT_FALSE(Decode(r));
}

}  // namespace
}  // namespace sentry::platform
