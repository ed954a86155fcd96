// Stepper: `sentry run --step`, going through a run one event at a time.
//
// A consumer of the records (on the tracer thread) that tells each one in
// words (narrate.h) and, at the tracer's next hold point (hold_point.h),
// holds the workload after each event of the chosen kinds until the user
// goes on. While it holds, the model and so the view (`/sandbox/proc`)
// show that moment: `ps`, `pstree` and `cat PID/status` in a second
// terminal agree with the sentence.
//
// Commands come from the terminal, when the workload has the sentry's pty
// (its keystrokes are the stepper's only while it holds), and from the
// view's `sentry/step` file (a script, or a second terminal): `next`
// (Enter), `continue` (to the end, still telling), `tree` (the sessions and
// groups as boxes), `quit` (the workload is killed). Sentences go to
// stderr; the workload's stdout is its own. Nothing is told or held before
// the workload's first exec: the sentry's own start is not the lesson.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "platform/hold_point.h"
#include "platform/unique_fd.h"
#include "sentry/cmd/quiz.h"
#include "sentry/kernel/consumer.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/narrate.h"

namespace sentry::cmd {

class Stepper final : public kernel::RecordConsumer, public platform::HoldPoint {
 public:
  struct Options {
    // The kinds to stop at (fork, exec, exit, zombie, reap, signal, stop,
    // pgrp, session, adopt); empty: every event.
    std::set<std::string> kinds;
    bool terminal = false;    // the workload has the sentry's pty: keys come from `keys` (raw)
    int keys = STDIN_FILENO;  // the user's keystrokes (the job front's pipe, or stdin)
    pid_t sentry = 0;         // left out of the tree
    bool quiz = false;        // ask questions before the events that answer them (quiz.h)
    bool pidns = false;       // the workload has a PID namespace: say its numbers
    // Called before each hold: the view catching up with the model.
    std::function<void()> before_hold;
  };

  // "fork,exit" -> the set; an unknown kind is an error naming it.
  static std::expected<std::set<std::string>, std::string> ParseKinds(std::string_view list);
  static constexpr std::string_view kKinds =
      "fork, exec, exit, zombie, reap, signal, stop, pgrp, session, adopt";

  Stepper(const kernel::Kernel& model, Options options);

  // kernel::RecordConsumer (tracer thread).
  void Consume(const kernel::Observation& obs, std::uint64_t seq,
               std::span<const kernel::Record> records) override;
  // platform::HoldPoint (tracer thread).
  bool WantsHold() override;
  bool Hold(int wake_fd) override;
  void StopHolding() override;

  // The view's sentry/step file (any thread): the state in words, and a
  // command ("next", "continue", "quit", "answer TEXT"; "n", "c", "q";
  // "tree" is the terminal's). False for a command it does not know, or
  // "next" while it does not hold.
  std::string State() const;
  bool Command(std::string_view command);

 private:
  enum class Action : std::uint8_t { kNone, kNext, kContinue, kTree, kQuit, kHelp, kAnswer };
  struct Said {
    Action action = Action::kNone;
    std::string answer;  // kAnswer's
    bool typed = false;  // at the terminal (echoed already)
  };
  static Action ActionOf(std::string_view word);
  bool Stops(const kernel::Sentence& s) const;
  void Say(const std::string& text) const;  // a line to stderr (\r\n in raw mode)
  std::string Tree() const;
  // The user's next command; with `line`, a line typed at the terminal is
  // an answer (echoed as typed).
  Said AwaitAction(int wake_fd, bool line = false);

  const kernel::Kernel& model_;
  const Options options_;
  kernel::Narrator narrator_;   // tracer thread only
  kernel::TaskUid first_;       // the workload's first process, once it exec'd (tracer thread)
  std::int32_t first_pid_ = 0;  // its pid
  // With --pidns: the workload's namespace, whose ids the tree says (0: the
  // root's). Set by the tracer thread, read where the tree is drawn.
  std::atomic<std::uint64_t> workload_ns_{0};
  bool over_ = false;     // that process was reaped: nothing more to tell (tracer thread)
  bool stepping_ = true;  // false after `continue` or `quit` (tracer thread)
  std::vector<std::string> untold_;  // sentences since the last hold point (tracer thread)
  bool stop_wanted_ = false;         // one of them is of a kind to stop at (tracer thread)
  bool hold_owed_ = false;           // a hold the user has not ended yet (tracer thread)
  std::string hold_text_;            // the sentences it holds after (tracer thread)
  platform::UniqueFd command_wake_;  // eventfd: Command() came

  mutable std::mutex mu_;
  std::string held_at_;        // the sentences it holds after; empty: running (guarded)
  std::deque<Said> commands_;  // from the view (guarded)
  std::string question_;       // the question it holds on; empty: none (guarded)
  Quiz quiz_;                  // tracer thread only
};

}  // namespace sentry::cmd
