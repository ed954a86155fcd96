#include "sentry/cmd/quiz.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/exit_status.h"

namespace sentry::cmd {

namespace {

using kernel::RecordKind;

// The words of an answer that carry it: "Exit status 7" -> {"7"},
// "killed by SIGKILL" -> {"sigkill"}.
std::set<std::string> Words(const std::string& text) {
  static const std::set<std::string> kFiller = {"exit", "exited", "status", "killed",
                                                "by",   "code",   "signal", "pid"};
  std::set<std::string> words;
  std::string word;
  std::istringstream in(text);
  while (in >> word) {
    std::string w;
    for (const char c : word) {
      if (std::isalnum(static_cast<unsigned char>(c)) != 0)
        w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (!w.empty() && !kFiller.contains(w)) words.insert(w);
  }
  return words;
}

// Every way to say a status right: "7"; "sigkill", "kill", "9".
std::set<std::string> StatusAnswers(std::int64_t wait_status) {
  const auto es = kernel::ExitStatus::FromWaitStatus(static_cast<std::uint32_t>(wait_status));
  if (!es.Signaled()) return {std::to_string(es.code)};
  std::string name(kernel::abi::SignalName(es.signo));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return {name, name.starts_with("sig") ? name.substr(3) : name, std::to_string(es.signo)};
}

}  // namespace

std::int32_t Quiz::ProcessOf(kernel::TaskUid task, std::int32_t fallback) const {
  const auto t = model_.FindTaskByUid(task);
  return t ? t->tgid : fallback;
}

void Quiz::Ask(Kind kind, kernel::TaskUid about, std::string text) {
  const Key key = KeyOf(kind, about);
  if (questions_.contains(key)) return;
  questions_[key] = Question{.kind = kind,
                             .about = about,
                             .text = std::move(text),
                             .answer = std::nullopt,
                             .asked = false,
                             .settled = false};
  to_ask_.push_back(key);
}

std::optional<std::string> Quiz::Settle(Kind kind, kernel::TaskUid about, const std::string& truth,
                                        const std::string& why) {
  const auto it = questions_.find(KeyOf(kind, about));
  if (it == questions_.end() || it->second.settled) return std::nullopt;
  Question& q = it->second;
  q.settled = true;
  if (!q.answer || q.answer->empty()) return std::nullopt;  // never asked, or skipped
  std::set<std::string> right;
  if (kind == Kind::kStatus || kind == Kind::kHangup) {
    right = Words(truth);  // every accepted word, from the caller
  } else {
    right = {truth};
  }
  const std::set<std::string> said = Words(*q.answer);
  const bool correct =
      std::ranges::any_of(said, [&](const std::string& w) { return right.contains(w); });
  ++judged_;
  if (correct) ++right_;
  // A wrong answer gets the right one first (a status says its own in `why`).
  std::string right_answer;
  if (!correct && kind != Kind::kStatus) {
    std::string shown = truth;
    while (!shown.empty() && shown.back() == ' ') shown.pop_back();
    right_answer = fmt::format("It was {}. ", shown);
  }
  return fmt::format("quiz: {} You said {}: {}. {}{}", q.text, *q.answer,
                     correct ? "right" : "wrong", right_answer, why);
}

std::vector<std::string> Quiz::Observe(std::span<const kernel::Record> records,
                                       const std::vector<kernel::Sentence>& sentences) {
  std::vector<std::string> verdicts;
  const auto sentence_about = [&](kernel::TaskUid task, bool reap) -> std::string {
    for (const kernel::Sentence& s : sentences) {
      if ((s.subject == task || s.other == task) && (!reap || s.reaps)) return s.text;
    }
    return "";
  };
  for (const kernel::Record& r : records) {
    switch (r.kind) {
      case RecordKind::kTaskCreated:
        // A new process (not a thread) the workload made.
        if (r.value == r.tid.value && r.other_task && r.detail.empty()) {
          Ask(Kind::kReaper, r.task,
              fmt::format("Who will reap {}? (the reaper's pid; 0 if nobody: released at once)",
                          r.tid.value));
        }
        break;
      case RecordKind::kExitInitiated: {
        // A process whose last thread is going, with children to hand on.
        const auto t = model_.FindTaskByUid(r.task);
        if (!t || (r.value2 == 0 && t->num_threads > 1)) break;
        bool stopped_child_elsewhere = false;
        for (const std::int32_t child : t->children) {
          const auto c = model_.FindTask(kernel::ThreadId(child));
          if (!c || c->exit_state != kernel::ExitState::kNone) continue;
          Ask(Kind::kNewParent, c->uid,
              fmt::format("{} is exiting: whose child will {} be then? (a pid)", t->tgid, child));
          stopped_child_elsewhere =
              stopped_child_elsewhere || (c->state == 'T' && c->pgid != t->pgid);
        }
        // Its exit may orphan a group with a stopped member (POSIX's SIGHUP).
        if (stopped_child_elsewhere) {
          Ask(Kind::kHangup, r.task,
              fmt::format("{} is exiting while a child of its in another process group is "
                          "stopped: which process group will get SIGHUP? (a pgid; 0 for none)",
                          t->tgid));
        }
        break;
      }
      case RecordKind::kZombie: {
        // The exit done: the kernel's SIGHUPs for orphaned groups, if any,
        // were predicted with it.
        std::string groups;
        std::string why;
        for (const kernel::Record& p : records) {
          if (p.kind != RecordKind::kSignalPredicted || p.value != kernel::abi::kSIGHUP) continue;
          const auto receiver = model_.FindTaskByUid(p.task);
          if (receiver && groups.find(std::to_string(receiver->pgid)) == std::string::npos)
            groups += std::to_string(receiver->pgid) + " ";
          for (const kernel::Sentence& s : sentences) {
            if (s.kind == RecordKind::kSignalPredicted && s.subject == p.task && why.empty())
              why = s.text;
          }
        }
        if (auto v = Settle(Kind::kHangup, r.task, groups.empty() ? "0" : groups,
                            why.empty() ? "No group was orphaned with a stopped member." : why))
          verdicts.push_back(*v);
        break;
      }
      case RecordKind::kParentNotified:
        // A zombie its parent may wait for (not released at once).
        if (r.value2 == 0) {
          Ask(Kind::kStatus, r.task,
              fmt::format("{} is a zombie: what will its parent's wait report? (an exit status, "
                          "or the signal that killed it)",
                          r.tid.value));
        }
        break;
      case RecordKind::kReaped: {
        const auto cause = static_cast<kernel::ReapCause>(r.value2);
        if (cause == kernel::ReapCause::kThread || cause == kernel::ReapCause::kExec) break;
        const bool waited =
            cause == kernel::ReapCause::kWait || cause == kernel::ReapCause::kNamespaceExit;
        const std::string reaper =
            waited ? std::to_string(ProcessOf(r.other_task, r.other_tid.value)) : "0";
        const std::string why = sentence_about(r.task, true);
        if (auto v = Settle(Kind::kReaper, r.task, reaper, why)) verdicts.push_back(*v);
        std::string accepted;
        for (const auto& w : StatusAnswers(r.value)) accepted += w + " ";
        if (auto v = Settle(Kind::kStatus, r.task, accepted,
                            fmt::format("It was {}. {}", kernel::StatusInWords(r.value), why))) {
          verdicts.push_back(*v);
        }
        // Gone: a question still open about it has no answer now.
        Settle(Kind::kNewParent, r.task, "", "");
        break;
      }
      case RecordKind::kReparented: {
        const std::string parent = std::to_string(ProcessOf(r.other_task, r.other_tid.value));
        for (const kernel::Sentence& s : sentences) {
          if (s.kind == RecordKind::kReparented && s.subject == r.task) {
            if (auto v = Settle(Kind::kNewParent, r.task, parent, s.text)) verdicts.push_back(*v);
            break;
          }
        }
        break;
      }
      default:
        break;
    }
  }
  return verdicts;
}

std::optional<std::string> Quiz::NextQuestion() {
  while (!to_ask_.empty()) {
    const Key key = to_ask_.front();
    to_ask_.pop_front();
    Question& q = questions_[key];
    if (q.settled) continue;  // answered already by the time it could be asked
    q.asked = true;
    current_ = key;
    has_current_ = true;
    return q.text;
  }
  return std::nullopt;
}

void Quiz::Answer(const std::string& answer) {
  if (!has_current_) return;
  has_current_ = false;
  Question& q = questions_[current_];
  if (!q.settled) q.answer = answer;
}

bool Quiz::WantsNumber() const {
  if (!has_current_) return false;
  const auto it = questions_.find(current_);
  return it != questions_.end() && it->second.kind != Kind::kStatus;
}

std::string Quiz::Score() const {
  return fmt::format("quiz: {} of {} right", right_, judged_);
}

}  // namespace sentry::cmd
