#include "sentry/cmd/step.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <optional>

#include "platform/write_all.h"
#include "sentry/kernel/describe.h"

namespace sentry::cmd {

namespace {

using kernel::RecordKind;

// The kind a sentence belongs to, for --step-on.
std::string_view KindOf(const kernel::Sentence& s) {
  switch (s.kind) {
    case RecordKind::kTaskCreated:
    case RecordKind::kCloneFailed:
      return "fork";
    case RecordKind::kExec:
      return "exec";
    case RecordKind::kExitInitiated:
      return "exit";
    case RecordKind::kZombie:
    case RecordKind::kParentNotified:
      return s.reaps ? "reap" : "zombie";
    case RecordKind::kReaped:
    case RecordKind::kWaitReturned:
      return "reap";
    case RecordKind::kReparented:
      return "adopt";
    case RecordKind::kSignalDelivered:
    case RecordKind::kSignalPredicted:
      return "signal";
    case RecordKind::kGroupStopInitiated:
    case RecordKind::kGroupStopCompleted:
    case RecordKind::kGroupContinued:
    case RecordKind::kStopChanged:
      return "stop";
    case RecordKind::kProcessGroupCreated:
    case RecordKind::kProcessGroupGone:
    case RecordKind::kProcessGroupJoined:
    case RecordKind::kForegroundChanged:
      return "pgrp";
    case RecordKind::kSessionCreated:
    case RecordKind::kSessionGone:
      return "session";
    case RecordKind::kSyscallResult:
      return s.text.find("setsid") != std::string::npos ? "session" : "pgrp";
    default:
      return "";
  }
}

constexpr std::string_view kPrompt =
    "-- held: Enter next, c continue, t tree, q quit (or write to sentry/step) --";
constexpr std::string_view kPromptWithoutTerminal =
    "-- held: write next, continue or quit to the view's sentry/step --";

}  // namespace

std::expected<std::set<std::string>, std::string> Stepper::ParseKinds(std::string_view list) {
  std::set<std::string> kinds;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string kind(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (kind.empty()) continue;
    bool known = false;
    for (std::string_view rest = kKinds; !rest.empty() && !known;) {
      const auto end = rest.find(", ");
      known = rest.substr(0, end) == kind;
      rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 2);
    }
    if (!known) {
      return std::unexpected(fmt::format("--step-on: unknown kind '{}' (kinds: {})", kind, kKinds));
    }
    kinds.insert(kind);
  }
  return kinds;
}

Stepper::Stepper(const kernel::Kernel& model, Options options)
    : model_(model),
      options_(std::move(options)),
      narrator_([&model](kernel::TaskUid task) {
        const auto t = model.FindTaskByUid(task);
        return t ? t->comm : std::string();
      }),
      command_wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      quiz_(model) {
  if (options_.pidns) narrator_.NumberInNamespace(kernel::NamespaceIdsIn(model));
}

bool Stepper::Stops(const kernel::Sentence& s) const {
  if (options_.kinds.empty()) return true;
  return options_.kinds.contains(std::string(KindOf(s)));
}

void Stepper::Consume(const kernel::Observation& obs, std::uint64_t /*seq*/,
                      std::span<const kernel::Record> records) {
  const std::vector<kernel::Sentence> sentences = narrator_.Narrate(records, &obs);
  const bool was_on = first_ && !over_;
  // The workload starts at its first exec (the sentry's session leader
  // forked it) and ends with the reap of that first process: what comes
  // before and after is the sentry's own setting up and tidying. A thread
  // of it that execs takes its place (the old main thread's release is no
  // end).
  bool ends = false;
  for (const kernel::Record& r : records) {
    if (r.kind == RecordKind::kExec && (!first_ || r.value2 == first_pid_)) {
      first_ = r.task;
      first_pid_ = static_cast<std::int32_t>(r.value2);
      // With --pidns the tree is drawn in its namespace's ids, as told.
      if (const auto ns =
              options_.pidns ? model_.NamespaceOf(kernel::ThreadId(first_pid_)) : std::nullopt) {
        workload_ns_.store(ns->value);
      }
    }
    const auto cause = static_cast<kernel::ReapCause>(r.value2);
    ends = ends || (r.kind == RecordKind::kReaped && first_ && r.task == first_ &&
                    cause != kernel::ReapCause::kExec && cause != kernel::ReapCause::kThread);
  }
  if (first_ && !over_) {
    for (const kernel::Sentence& s : sentences) {
      stop_wanted_ = stop_wanted_ || (stepping_ && Stops(s));
      untold_.push_back(kernel::Narrator::Line(s));
    }
  }
  over_ = over_ || ends;
  if (!options_.quiz || !was_on) return;
  for (std::string& verdict : quiz_.Observe(records, sentences))
    untold_.push_back(std::move(verdict));
  if (over_) untold_.push_back(quiz_.Score());
  // A question waits to be asked: before the event that answers it.
  stop_wanted_ = stop_wanted_ || (stepping_ && !over_ && quiz_.HasQuestion());
}

void Stepper::Say(const std::string& text) const {
  const std::string line = text + (options_.terminal ? "\r\n" : "\n");
  platform::WriteAll(STDERR_FILENO, line.data(), line.size());
}

bool Stepper::WantsHold() {
  if (untold_.empty()) return hold_owed_;
  std::string told;
  for (const std::string& line : untold_) {
    Say(line);
    told += line + "\n";
  }
  untold_.clear();
  if (std::exchange(stop_wanted_, false) && stepping_) {
    if (!hold_owed_) hold_text_.clear();
    hold_text_ += told;
    hold_owed_ = true;
  }
  return hold_owed_;
}

void Stepper::StopHolding() {
  if (!stepping_) return;
  stepping_ = false;
  hold_owed_ = false;
  Say("-- the sentry was signalled: stepping ends, the run goes on --");
}

Stepper::Action Stepper::ActionOf(std::string_view word) {
  while (!word.empty() && (word.back() == '\n' || word.back() == ' ')) word.remove_suffix(1);
  if (word.empty() || word == "n" || word == "next") return Action::kNext;
  if (word == "c" || word == "continue") return Action::kContinue;
  if (word == "t" || word == "tree") return Action::kTree;
  if (word == "q" || word == "quit") return Action::kQuit;
  if (word == "h" || word == "help" || word == "?") return Action::kHelp;
  return Action::kNone;
}

Stepper::Said Stepper::AwaitAction(int wake_fd, bool line) {
  std::string typed;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (!commands_.empty()) {
        Said said = std::move(commands_.front());
        commands_.pop_front();
        return said;
      }
    }
    std::array<pollfd, 3> fds{
        pollfd{.fd = command_wake_.Get(), .events = POLLIN, .revents = 0},
        pollfd{.fd = wake_fd, .events = POLLIN, .revents = 0},
        pollfd{.fd = options_.terminal ? options_.keys : -1, .events = POLLIN, .revents = 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return {.action = Action::kContinue, .answer = {}};  // cannot wait: let the run go on
    }
    if (fds[0].revents != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] const ssize_t n = ::read(command_wake_.Get(), &count, sizeof count);
      continue;  // the command is in commands_
    }
    if (fds[1].revents != 0) return {};  // the loop has a request to see to
    if (fds[2].revents == 0) continue;
    char key = 0;
    const ssize_t n = ::read(options_.keys, &key, 1);
    if (n <= 0) return {.action = Action::kContinue, .answer = {}};  // the terminal is gone
    // Ctrl-C, Ctrl-D: raw mode gives them as keys.
    if (key == 3 || key == 4) return {.action = Action::kQuit, .answer = {}};
    if (line) {
      // An answer, typed and echoed (raw mode echoes nothing itself).
      if (key == '\r' || key == '\n') {
        Say("");
        return {.action = Action::kAnswer, .answer = typed, .typed = true};
      }
      if ((key == 127 || key == 8) && !typed.empty()) {
        typed.pop_back();
        platform::WriteAll(STDERR_FILENO, "\b \b", 3);
      } else if (std::isprint(static_cast<unsigned char>(key)) != 0) {
        typed += key;
        platform::WriteAll(STDERR_FILENO, &key, 1);
      }
      continue;
    }
    if (key == '\r' || key == '\n' || key == ' ') return {.action = Action::kNext, .answer = {}};
    const Action a = ActionOf(std::string_view(&key, 1));
    if (a != Action::kNone) return {.action = a, .answer = {}};
    Say(std::string(options_.terminal ? kPrompt : kPromptWithoutTerminal));
  }
}

bool Stepper::Hold(int wake_fd) {
  if (options_.before_hold) options_.before_hold();
  std::optional<std::string> question = options_.quiz ? quiz_.NextQuestion() : std::nullopt;
  // Shows the hold (and the question, if any) here and in sentry/step.
  const auto ask = [&] {
    {
      std::lock_guard lock(mu_);
      held_at_ = hold_text_;
      question_ = question.value_or("");
    }
    if (question) {
      // Predict, then check: the answer goes on to the next event.
      Say("? " + *question);
      platform::WriteAll(STDERR_FILENO, "> ", 2);
    } else {
      Say(std::string(options_.terminal ? kPrompt : kPromptWithoutTerminal));
    }
  };
  ask();
  bool end_run = false;
  hold_owed_ = false;
  for (bool holding = true; holding;) {
    Said said = AwaitAction(wake_fd, question.has_value());
    if (question && said.action == Action::kNext) said = {.action = Action::kAnswer, .answer = {}};
    switch (said.action) {
      case Action::kAnswer: {
        if (!said.typed) Say(said.answer);  // from the step file: shown after the "> "
        if (!question) {
          holding = false;
          break;
        }
        const std::string& a = said.answer;
        if (a == "t" || a == "tree") {  // the tree, to answer from
          Say(Tree());
          ask();
          break;
        }
        if (!a.empty() && quiz_.WantsNumber() && !std::ranges::all_of(a, [](char c) {
              return std::isdigit(static_cast<unsigned char>(c)) != 0;
            })) {
          Say("(a number, please; Enter skips the question; t shows the tree)");
          ask();
          break;
        }
        quiz_.Answer(a);
        // Every question this moment raised is asked before the run goes on.
        question = quiz_.NextQuestion();
        if (question) {
          ask();
          break;
        }
        holding = false;
        break;
      }
      case Action::kNone:                // a request for the loop: held again at its next point
        if (question) quiz_.Answer("");  // not answered: not judged
        hold_owed_ = true;
        holding = false;
        break;
      case Action::kNext:
        holding = false;
        break;
      case Action::kContinue:
        if (question) quiz_.Answer("");
        stepping_ = false;
        holding = false;
        break;
      case Action::kTree:
        Say(Tree());
        Say(std::string(options_.terminal ? kPrompt : kPromptWithoutTerminal));
        break;
      case Action::kHelp:
        Say("next: on to the next event; continue: run to the end, still telling; tree: the "
            "sessions and process groups now; quit: kill the workload");
        break;
      case Action::kQuit:
        if (question) quiz_.Answer("");
        stepping_ = false;
        end_run = true;
        holding = false;
        break;
    }
  }
  std::lock_guard lock(mu_);
  held_at_.clear();
  question_.clear();
  return end_run;
}

std::string Stepper::Tree() const {
  const kernel::NamespaceUid ns(workload_ns_.load());
  const std::string tree = kernel::GroupsAndSessions(model_.Sessions(ns), model_.ProcessGroups(ns),
                                                     model_.Processes(ns), options_.sentry);
  // Said as one line: in raw mode each inner line needs its carriage return.
  std::string out;
  for (std::size_t i = 0; i < tree.size(); ++i) {
    if (tree[i] == '\n' && i + 1 == tree.size()) break;
    if (tree[i] == '\n' && options_.terminal) out += '\r';
    out += tree[i];
  }
  return out;
}

std::string Stepper::State() const {
  std::lock_guard lock(mu_);
  if (held_at_.empty()) return "running\n";
  return "held after:\n" + held_at_ + (question_.empty() ? "" : "question: " + question_ + "\n");
}

bool Stepper::Command(std::string_view command) {
  Said said{.action = ActionOf(command), .answer = {}};
  if (command.starts_with("answer ")) {
    said = {.action = Action::kAnswer, .answer = std::string(command.substr(7))};
    while (!said.answer.empty() && (said.answer.back() == '\n' || said.answer.back() == ' '))
      said.answer.pop_back();
  }
  const Action a = said.action;
  if (a == Action::kNone || a == Action::kHelp || a == Action::kTree) return false;
  {
    std::lock_guard lock(mu_);
    // "next" and "answer" mean something only while it holds (an answer
    // only to a question); "continue" and "quit" are kept for the next hold.
    if ((a == Action::kNext || a == Action::kAnswer) && held_at_.empty()) return false;
    if (a == Action::kAnswer && question_.empty()) return false;
    // Kept ones are one of each at most, and nothing is kept past a quit:
    // a script that writes "continue" in a loop grows nothing.
    const auto kept = [&](Action k) {
      return std::ranges::any_of(commands_, [k](const Said& s) { return s.action == k; });
    };
    if (held_at_.empty() && (kept(Action::kQuit) || (a == Action::kContinue && kept(a)))) {
      return true;
    }
    commands_.push_back(std::move(said));
    // Taken: the file no longer shows this hold (a reader that waits for
    // the next one must not see this one again).
    held_at_.clear();
    question_.clear();
  }
  const std::uint64_t one = 1;
  while (::write(command_wake_.Get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
  return true;
}

}  // namespace sentry::cmd
