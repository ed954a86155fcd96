#include "sentry/kernel/json_codec.h"

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

#include "sentry/kernel/json_text.h"

namespace sentry::kernel {

// ---- Field mappings (ADL: these live in the types' namespace).

template <class Tag, class Rep>
void to_json(nlohmann::json& j, const StrongId<Tag, Rep>& id) {
  j = id.value;
}
template <class Tag, class Rep>
void from_json(const nlohmann::json& j, StrongId<Tag, Rep>& id) {
  id.value = j.get<Rep>();
}

NLOHMANN_JSON_SERIALIZE_ENUM(SigChldDisposition, {{SigChldDisposition::kDefault, "default"},
                                                  {SigChldDisposition::kIgnore, "ignore"},
                                                  {SigChldDisposition::kHandler, "handler"}})

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ExitStatus, code, signo, core)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Usage, utime_ns, stime_ns, maxrss_kb)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WaitRequest, idtype, id, options)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TaskExisting, tid, tgid, parent, pgid, sid, uid,
                                                gid, subreaper, comm, argv)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Clone, parent, child, flags, exit_signal,
                                                nested_tids, error, pgid, comm)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ExecStart, tid)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Exec, tid, uid, gid, comm, argv)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VforkDone, parent)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ExitBegin, tid, status, group)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ExitEnd, tid, status, usage)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GroupStop, tid, signo)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GroupContinue, tid)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SignalDelivered, tid, signo, code, sender,
                                                disposition)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SetSid, tid, result)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SetPgid, tid, pid, pgid, result)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WaitStart, tid, request)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WaitDone, tid, request, result, code, status)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SigChldAction, tid, disposition, nocldwait)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SetSubreaper, tid, enabled)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SetPdeathsig, tid, signo)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ParentObserved, tid, parent)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ControllingTty, tid, tty_nr)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DropControllingTty, tid)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ForegroundGroup, tid, pgid)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UnsharePidNamespace, tid)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceStop, tid, stopped)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ExternalStop, tid, stopped)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SentrySignal, sender, tid, signo, cause)

namespace {

// Kind names, in ObservationBody's alternative order.
constexpr std::array<std::string_view, std::variant_size_v<ObservationBody>> kObservationKinds = {
    "task_existing",  "clone",      "exec_start",      "exec",
    "vfork_done",     "exit_begin", "exit_end",        "group_stop",
    "group_continue", "signal",     "setsid",          "setpgid",
    "wait_start",     "wait_done",  "sigchld_action",  "subreaper",
    "pdeathsig",      "parent",     "controlling_tty", "foreground",
    "unshare_pidns",  "trace_stop", "external_stop",   "drop_controlling_tty",
    "sentry_signal"};

// Builds the body whose kind is at index I, searching at run time.
template <std::size_t I = 0>
bool DecodeBody(std::string_view kind, const nlohmann::json& j, ObservationBody& body) {
  if constexpr (I < std::variant_size_v<ObservationBody>) {
    if (kObservationKinds[I] == kind) {
      body = j.get<std::variant_alternative_t<I, ObservationBody>>();
      return true;
    }
    return DecodeBody<I + 1>(kind, j, body);
  } else {
    return false;
  }
}

// Whether a value holds a number with a fraction or an exponent anywhere.
// The encoding writes integers only; nlohmann's get<int>() casts a double
// to the integer, which is undefined behaviour once it is out of range.
bool HoldsFloat(const nlohmann::json& j) {
  if (j.is_number_float()) return true;
  if (j.is_structured()) {
    for (const auto& item : j) {
      if (HoldsFloat(item)) return true;
    }
  }
  return false;
}

template <class T>
std::expected<nlohmann::json, std::string> ParseObject(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::unexpected("not a JSON object");
  if (!j.contains("kind") || !j["kind"].is_string()) return std::unexpected("missing \"kind\"");
  if (HoldsFloat(j)) return std::unexpected("a number that is not an integer");
  return j;
}

}  // namespace

std::string_view ObservationKindName(const Observation& obs) {
  return kObservationKinds[obs.body.index()];
}

std::string EncodeObservation(const Observation& obs, std::uint64_t seq) {
  nlohmann::json j;
  std::visit([&j](const auto& body) { j = body; }, obs.body);
  j["kind"] = ObservationKindName(obs);
  j["seq"] = seq;
  j["t"] = obs.time_ns;
  return JsonText(j);
}

std::expected<DecodedObservation, std::string> DecodeObservation(std::string_view line) {
  auto parsed = ParseObject<Observation>(line);
  if (!parsed) return std::unexpected(parsed.error());
  const nlohmann::json& j = *parsed;
  DecodedObservation out;
  try {
    const auto kind = j["kind"].get<std::string>();
    if (!DecodeBody(kind, j, out.observation.body)) {
      return std::unexpected("unknown observation kind \"" + kind + "\"");
    }
    out.seq = j.value("seq", std::uint64_t{0});
    out.observation.time_ns = j.value("t", std::int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return std::unexpected(std::string("bad observation field: ") + e.what());
  }
  return out;
}

std::string EncodeRecord(const Record& r) {
  nlohmann::json j;
  j["record"] = true;
  j["seq"] = r.seq;
  j["t"] = r.time_ns;
  j["kind"] = RecordKindName(r.kind);
  j["task"] = r.task;
  j["tid"] = r.tid;
  j["other_task"] = r.other_task;
  j["other_tid"] = r.other_tid;
  j["value"] = r.value;
  j["value2"] = r.value2;
  if (!r.detail.empty()) j["detail"] = r.detail;
  if (r.rule != Rule::kNone) j["rule"] = RuleName(r.rule);
  return JsonText(j);
}

std::expected<Record, std::string> DecodeRecord(std::string_view line) {
  auto parsed = ParseObject<Record>(line);
  if (!parsed) return std::unexpected(parsed.error());
  const nlohmann::json& j = *parsed;
  Record r;
  try {
    const auto kind_name = j["kind"].get<std::string>();
    auto kind = RecordKindFromName(kind_name);
    if (!kind) return std::unexpected("unknown record kind \"" + kind_name + "\"");
    r.kind = *kind;
    r.seq = j.value("seq", std::uint64_t{0});
    r.time_ns = j.value("t", std::int64_t{0});
    r.task = j.value("task", TaskUid{});
    r.tid = j.value("tid", ThreadId{});
    r.other_task = j.value("other_task", TaskUid{});
    r.other_tid = j.value("other_tid", ThreadId{});
    r.value = j.value("value", std::int64_t{0});
    r.value2 = j.value("value2", std::int64_t{0});
    r.detail = j.value("detail", std::string{});
    if (j.contains("rule")) {
      const auto rule_name = j["rule"].get<std::string>();
      const auto rule = RuleFromName(rule_name);
      if (!rule) return std::unexpected("unknown rule \"" + rule_name + "\"");
      r.rule = *rule;
    }
  } catch (const nlohmann::json::exception& e) {
    return std::unexpected(std::string("bad record field: ") + e.what());
  }
  return r;
}

bool IsRecordLine(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  // value() would throw for a "record" that is no boolean: such a line is
  // no record (and fails to decode as an observation).
  if (j.is_discarded() || !j.is_object()) return false;
  const auto flag = j.find("record");
  return flag != j.end() && flag->is_boolean() && flag->get<bool>();
}

}  // namespace sentry::kernel
