#include "fusefs/render_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/describe.h"
#include "sentry/kernel/task_stop.h"

namespace sentry::fusefs {

namespace {

using kernel::ExitState;
using kernel::TaskInfo;
namespace abi = kernel::abi;

bool Exited(const TaskInfo& t) {
  return t.exit_state == ExitState::kZombie || t.exit_state == ExitState::kDead;
}

std::string StatusWords(const kernel::ExitStatus& es) {
  if (es.Signaled()) {
    return fmt::format("killed by {}{}", abi::SignalName(es.signo),
                       es.core ? " (core dumped)" : "");
  }
  return fmt::format("exited {}", es.code);
}

const char* PhaseName(kernel::GroupStopPhase phase) {
  switch (phase) {
    case kernel::GroupStopPhase::kNone:
      return "none";
    case kernel::GroupStopPhase::kInitiated:
      return "initiated";
    case kernel::GroupStopPhase::kComplete:
      return "complete";
  }
  return "?";
}

}  // namespace

std::string RenderExit(const TaskInfo& leader) {
  if (leader.exit_state == ExitState::kNone) return "not exited\n";
  const kernel::ExitStatus& es = leader.exit_status;
  return fmt::format(
      "status: {}\ncode: {}\nsignal: {}\ncore_dumped: {}\nshell_code: {}\nwait_status: "
      "{:#06x}\n",
      StatusWords(es), es.code, es.signo != 0 ? abi::SignalName(es.signo) : "none",
      es.core ? "yes" : "no", es.ShellExitCode(), es.WaitStatus());
}

std::string RenderExitState(const TaskInfo& leader) {
  return fmt::format("state: {}\nparent_notified: {}\nparent_acked: {}\n",
                     kernel::ExitStateName(leader.exit_state),
                     leader.exit_parent_notified ? "yes" : "no",
                     leader.exit_parent_acked ? "yes" : "no");
}

std::string RenderStop(const TaskInfo& leader) {
  return fmt::format(
      "internal: {}\ngroup_stop: {}\ngroup_stop_signal: {}\nexternal: {}\n",
      kernel::StopKindName(leader.stop), PhaseName(leader.group_stop_phase),
      leader.group_stop_signal != 0 ? abi::SignalName(leader.group_stop_signal) : "none",
      leader.external_stops);
}

std::string RenderReaper(const kernel::ReaperInfo& r) {
  using Who = kernel::ReaperInfo::Who;
  using Adopter = kernel::ReaperInfo::Adopter;
  std::string out;
  switch (r.who) {
    case Who::kAlreadyReaped:
      return "reaped\n";
    case Who::kOutside:
      return "its parent is outside the sandbox: the sentry's own parent reaps it\n";
    case Who::kParent:
      out = fmt::format("its parent {} reaps it with a wait\n", r.parent);
      break;
    case Who::kAutoReap:
      out = fmt::format("nobody: reaped at exit, because its parent {} {}\n", r.parent,
                        r.nocldwait ? "set SA_NOCLDWAIT" : "ignores SIGCHLD");
      break;
  }
  switch (r.adopter) {
    case Adopter::kNone:
      out += "if its parent exits first: no adopter in the sandbox (the sentry reaps it)\n";
      break;
    case Adopter::kParentThread:
      out += fmt::format("if its parent thread exits first: adopted by a sibling thread of {}\n",
                         r.next_parent);
      break;
    case Adopter::kSubreaper:
      out += fmt::format("if its parent exits first: adopted by the subreaper {}\n", r.next_parent);
      break;
    case Adopter::kNamespaceInit:
      out += fmt::format("if its parent exits first: adopted by {}, its PID namespace's init\n",
                         r.next_parent);
      break;
  }
  return out;
}

std::string RenderTree(const std::vector<TaskInfo>& processes) {
  std::map<std::int32_t, std::vector<const TaskInfo*>> children;
  std::map<std::int32_t, const TaskInfo*> by_pid;
  for (const TaskInfo& p : processes) by_pid[p.tgid] = &p;
  std::vector<const TaskInfo*> roots;
  for (const TaskInfo& p : processes) {
    if (p.ppid != 0 && by_pid.contains(p.ppid)) {
      children[p.ppid].push_back(&p);
    } else {
      roots.push_back(&p);
    }
  }
  std::string out;
  const auto line = [&](const TaskInfo& p, const std::string& prefix) {
    std::string extra;
    if (p.group_stop_signal != 0) {
      extra += fmt::format(" stopped by {}", abi::SignalName(p.group_stop_signal));
    }
    if (Exited(p)) extra += fmt::format(" {}", StatusWords(p.exit_status));
    out += fmt::format("{}{} {} (pgid {}, sid {}, {}{}{})\n", prefix, p.tgid, p.comm, p.pgid, p.sid,
                       p.state, p.num_threads > 1 ? fmt::format(", {} threads", p.num_threads) : "",
                       extra);
  };
  const auto walk = [&](const auto& self, const TaskInfo& p, const std::string& indent) -> void {
    auto& kids = children[p.tgid];
    for (std::size_t i = 0; i < kids.size(); ++i) {
      const bool last = i + 1 == kids.size();
      line(*kids[i], indent + (last ? "└─ " : "├─ "));
      self(self, *kids[i], indent + (last ? "   " : "│  "));
    }
  };
  for (const TaskInfo* root : roots) {
    line(*root, "");
    walk(walk, *root, "");
  }
  return out;
}

std::string RenderRunStatus(const kernel::KernelStats& s) {
  return fmt::format(
      "observations: {}\nrecords: {}\ndivergences: {}\ntasks_seen: {}\nthread_groups_seen: {}\n"
      "live_tasks: {}\nthread_groups: {}\nprocess_groups: {}\nsessions: {}\npid_namespaces: {}\n"
      "outstanding_predictions: {}\n",
      s.observations, s.records, s.divergences, s.tasks_seen, s.thread_groups_seen, s.live_tasks,
      s.thread_groups, s.process_groups, s.sessions, s.namespaces, s.outstanding_predictions);
}

std::string RenderIds(const std::vector<std::int32_t>& ids) {
  std::string out;
  for (std::int32_t id : ids) {
    if (!out.empty()) out += ' ';
    out += std::to_string(id);
  }
  out += '\n';
  return out;
}

}  // namespace sentry::fusefs
