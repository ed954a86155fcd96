// Quiz: predict, then check (`sentry learn NAME --quiz`, `sentry run --step
// --quiz`).
//
// Reading the records as they come, the quiz finds moments where the next
// events are decided by a rule the student can apply: a new child (who will
// reap it?), a process exiting with children (whose child will each be
// then?), a zombie (what will its parent's wait report?), a process
// exiting while a child of its in another group is stopped (which group
// gets SIGHUP?). The stepper asks
// the question at its next hold, before the event that answers it; when
// that event comes, the quiz says whether the answer was right, with the
// event's sentence, which names the rule.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/narrate.h"
#include "sentry/kernel/record.h"

namespace sentry::cmd {

class Quiz {
 public:
  explicit Quiz(const kernel::Kernel& model) : model_(model) {}

  // Reads one observation's records and their sentences (tracer thread):
  // new questions to ask, and the verdict of those they answer (returned,
  // a line each).
  std::vector<std::string> Observe(std::span<const kernel::Record> records,
                                   const std::vector<kernel::Sentence>& sentences);

  // Whether a question waits to be asked; the next one, if any is still open.
  bool HasQuestion() const { return !to_ask_.empty(); }
  std::optional<std::string> NextQuestion();
  // The student's answer to the question NextQuestion gave ("" skips it).
  void Answer(const std::string& answer);
  // Whether the question NextQuestion gave wants a number (a pid or pgid).
  bool WantsNumber() const;

  // The tally: "3 of 4 right".
  std::string Score() const;

 private:
  enum class Kind : std::uint8_t { kReaper, kNewParent, kStatus, kHangup };
  struct Question {
    Kind kind = Kind::kReaper;
    kernel::TaskUid about;
    std::string text;
    std::optional<std::string> answer;  // the student's; nullopt: not asked yet
    bool asked = false;
    bool settled = false;  // the event came: no longer to ask
  };
  using Key = std::pair<std::uint8_t, std::uint64_t>;  // kind, task
  static Key KeyOf(Kind kind, kernel::TaskUid task) {
    return {static_cast<std::uint8_t>(kind), task.value};
  }
  void Ask(Kind kind, kernel::TaskUid about, std::string text);
  // The truth arrived: a verdict line if it was asked and answered.
  std::optional<std::string> Settle(Kind kind, kernel::TaskUid about, const std::string& truth,
                                    const std::string& why);
  std::int32_t ProcessOf(kernel::TaskUid task, std::int32_t fallback) const;

  const kernel::Kernel& model_;
  std::map<Key, Question> questions_;
  std::deque<Key> to_ask_;
  Key current_;
  bool has_current_ = false;
  int right_ = 0;
  int judged_ = 0;
};

}  // namespace sentry::cmd
