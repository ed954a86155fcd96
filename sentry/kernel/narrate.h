// Narrate: the one place where records become sentences.
//
// `sentry replay`, `inspect timeline`, `inspect explain` and the view's
// `events` file all print what a run did in words; they all get them here,
// so a sentence (and the rule it names) is written once. A sentence says
// what Linux did, and where one of its rules decided the outcome it names
// the rule in a student's words, with the man page or kernel function in
// parentheses for the curious.
//
// The narrator reads an observation's records together: several records
// often tell one event (a child that exits while its parent ignores SIGCHLD
// is, in records, a zombie, a notification and a reap; in Linux it never
// was a zombie, and the sentence says so). It also keeps a little of what it
// read before (each task's name and process, a signal the kernel was about
// to send and why), so it must be fed every observation's records, in order.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sentry/kernel/ids.h"
#include "sentry/kernel/observation.h"
#include "sentry/kernel/record.h"
#include "sentry/kernel/rule.h"

namespace sentry::kernel {

struct Sentence {
  std::uint64_t seq = 0;
  std::int64_t time_ns = 0;
  TaskUid subject;                            // the task it is about
  TaskUid other;                              // the other party (parent, reaper, sender), if any
  RecordKind kind = RecordKind::kDivergence;  // the record it was told at
  bool reaps = false;                         // it tells a reap (kReaped)
  TaskUid reaped;                             // ... of this task
  std::string text;
};

// What a wait status says: "exit status 3", "killed by SIGKILL (core dumped)".
std::string StatusInWords(std::int64_t wait_status);

// An id as a sentence says it: the one shown ("7"), or, where it has none in
// the numbering used, the host's, marked: "31327 (a host id)".
std::string IdInWords(std::optional<std::int32_t> shown, std::int64_t host_id);

// A rule in words, as the sentences name it ("exec kills every other thread
// of the process (de_thread)"). Also the SQL `rule` table's meaning.
std::string RuleInWords(Rule rule);

class Narrator {
 public:
  // lookup: where to ask for a name the records did not give (the live view,
  // which is not fed every record, asks the model).
  explicit Narrator(std::function<std::string(TaskUid)> lookup = {}) : lookup_(std::move(lookup)) {}

  // What no record says: a task's name when it existed before the run, and
  // the flags a task was cloned with (`inspect` reads them from its tables;
  // Narrate reads both from the observation when it is given one).
  void Name(TaskUid task, std::string comm);
  void NoteCloneFlags(TaskUid task, std::uint64_t flags);

  // Number tasks, groups and sessions as the workload's own PID namespace
  // does (the one `run --pidns` makes), as the workload and the view see
  // them, rather than as the host does. `ids` maps a host id to its id
  // there, 0 when it has none (the sentry and its session holder live
  // outside); `task` is the task it is asked for when the sentence knows it
  // (exact, if the host reused the id), else empty (the id's owner as of
  // the records told so far: a group's or session's id, say). Asked for
  // each id a sentence says, it must remember tasks a model has forgotten.
  // Ids with none are said as the host's, marked.
  using NamespaceIds = std::function<std::int32_t(TaskUid task, std::int32_t host_id)>;
  void NumberInNamespace(NamespaceIds ids) { namespace_ids_ = std::move(ids); }

  // The sentences for the records one observation produced, in order.
  std::vector<Sentence> Narrate(std::span<const Record> records,
                                const Observation* observation = nullptr);

  // "#12 text": a sentence as one line of `replay` and the `events` file.
  static std::string Line(const Sentence& s);

 private:
  struct TaskNote {
    std::int32_t tid = 0;
    std::int32_t tgid = 0;  // its process's id (its own for a main thread)
    std::string comm;
    std::uint64_t clone_flags = 0;
    bool pre_existing = false;
    // A thread that exec'd took its main thread's ids: its own, from its
    // creation, no longer name it.
    bool took_leaders_ids = false;
  };
  struct ProcessNote {
    bool ignores_sigchld = false;
    bool nocldwait = false;
    bool subreaper = false;
    bool namespace_init = false;
    int stop_signal = 0;
    // Continued, and no SIGCONT delivered since: a stop signal sent
    // meanwhile discarded the SIGCONT before it could be delivered.
    bool continued_unseen_cont = false;
    std::int64_t zombie_status = 0;
  };

  class Batch;

  TaskNote& Note(TaskUid task, std::int32_t tid);
  ProcessNote& Process(std::int32_t tgid);
  // "300 (sh)", "thread 302 of 300 (a.out)", "the sentry 12", "pid 7".
  std::string Who(TaskUid task, std::int32_t tid) const;
  std::string ProcessName(TaskUid task, std::int32_t tid) const;
  std::string ProcessName(TaskUid task, std::int32_t tid, const TaskNote* note) const;
  const TaskNote* Find(TaskUid task) const;  // nullptr: no note yet
  // `task`, to ask its namespace id by, unless its ids changed since.
  TaskUid ByTask(TaskUid task) const;
  // A host id as the sentences number it: the namespace's id when numbering
  // in the namespace (nullopt: it has none there), else the id itself.
  // `task`, when known: the task whose id it is.
  std::optional<std::int32_t> Shown(std::int32_t host_id, TaskUid task = {}) const;
  // ... in words: "7", or "31327 (a host id)" when it has none there.
  std::string Id(std::int64_t host_id, TaskUid task = {}) const;
  // The id of the process task `task` (tid `tid`) belongs to, as read so far.
  std::int32_t ProcessIdOf(TaskUid task, std::int32_t tid) const;
  bool IsSentry(TaskUid task) const;

  std::unordered_map<std::uint64_t, TaskNote> tasks_;        // by TaskUid
  std::unordered_map<std::int32_t, ProcessNote> processes_;  // by host tgid
  // A signal the kernel was predicted to send, and why: receiver uid's
  // process and signal -> cause.
  std::unordered_map<std::uint64_t, SignalCause> predicted_;
  TaskUid sentry_;  // the first task that existed before the run
  std::function<std::string(TaskUid)> lookup_;
  NamespaceIds namespace_ids_;  // empty: the host's numbers
};

// Namespace ids as learnt, by task and by host id (its latest owner's): what
// a NamespaceIds answers from once its source (a model, a log) no longer
// has the task.
class NamespaceIdMemo {
 public:
  void Note(TaskUid task, std::int32_t host_id, std::int32_t id);
  // By `task` where it was noted, else by host id; nullopt: neither noted.
  std::optional<std::int32_t> Find(TaskUid task, std::int32_t host_id) const;

 private:
  std::unordered_map<std::uint64_t, std::int32_t> by_task_;
  std::unordered_map<std::int32_t, std::int32_t> by_host_;
};

class Kernel;
// The ids `model` gives tasks in the workload's own namespace (depth 1), for
// a narrator fed right after each Apply; those of tasks the model has
// since forgotten (reaped) are remembered.
Narrator::NamespaceIds NamespaceIdsIn(const Kernel& model);

}  // namespace sentry::kernel
