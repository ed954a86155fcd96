#include "inspect/observation_columns.h"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "sentry/kernel/json_codec.h"
#include "sentry/kernel/json_text.h"

namespace sentry::inspect {

namespace k = kernel;

namespace {

using Ints = std::array<std::int64_t, 7>;

std::int64_t B(bool b) {
  return b ? 1 : 0;
}
std::int32_t I32(std::int64_t v) {
  return static_cast<std::int32_t>(v);
}
int Int(std::int64_t v) {
  return static_cast<int>(v);
}
std::uint32_t U32(std::int64_t v) {
  return static_cast<std::uint32_t>(v);
}
k::ThreadId Tid(std::int64_t v) {
  return k::ThreadId(I32(v));
}

template <class T>
std::string List(const std::vector<T>& items) {
  return k::JsonText(nlohmann::json(items));
}

// The list as the writer dumps it, read without a JSON parser: "[]",
// ["a","b"] or [1,-2], no spaces, and no backslash anywhere (no string
// has an escape). False if it is not that simple; the caller parses.
template <class T>
bool ParsePlainList(std::string_view text, std::vector<T>& out) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']' ||
      text.find('\\') != std::string_view::npos) {
    return false;
  }
  out.clear();
  std::size_t at = 1;
  if (text.size() == 2) return true;
  for (;;) {
    if constexpr (std::is_same_v<T, std::string>) {
      if (text[at] != '"') return false;
      const std::size_t end = text.find('"', at + 1);
      if (end == std::string_view::npos) return false;
      out.emplace_back(text.substr(at + 1, end - at - 1));
      at = end + 1;
    } else {
      T value{};
      const auto [next, error] =
          std::from_chars(text.data() + at, text.data() + text.size(), value);
      if (error != std::errc()) return false;
      out.push_back(value);
      at = static_cast<std::size_t>(next - text.data());
    }
    if (at + 1 == text.size()) return true;  // at the closing bracket
    if (text[at] != ',') return false;
    ++at;
  }
}

// Decodes a list column; false if it is not a JSON array of T.
template <class T>
bool ParseList(const std::optional<std::string>& text, std::vector<T>& out) {
  if (!text) return true;
  if (ParsePlainList(*text, out)) return true;
  const auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_array()) return false;
  out.clear();
  out.reserve(j.size());
  for (const auto& item : j) {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!item.is_string()) return false;
    } else {
      if (!item.is_number_integer()) return false;
    }
    out.push_back(item.get<T>());
  }
  return true;
}

// Each kind both ways: Put fills the columns, Get reads them back.
void Put(const k::TaskExisting& o, ObservationColumns& c) {
  c.tid = o.tid.value;
  c.ints = {o.tgid.value, o.parent.value, o.pgid.value, o.sid.value, o.uid, o.gid, B(o.subreaper)};
  c.text = o.comm;
  c.list = List(o.argv);
}
bool Get(const ObservationColumns& c, k::TaskExisting& o) {
  const Ints& i = c.ints;
  o.tid = Tid(c.tid);
  o.tgid = Tid(i[0]);
  o.parent = Tid(i[1]);
  o.pgid = k::ProcessGroupId(I32(i[2]));
  o.sid = k::SessionId(I32(i[3]));
  o.uid = U32(i[4]);
  o.gid = U32(i[5]);
  o.subreaper = i[6] != 0;
  o.comm = c.text.value_or("");
  return ParseList(c.list, o.argv);
}

void Put(const k::Clone& o, ObservationColumns& c) {
  c.tid = o.parent.value;
  c.ints = {
      o.child.value, static_cast<std::int64_t>(o.flags), o.exit_signal, o.error, o.pgid, 0, 0};
  if (!o.nested_tids.empty()) c.list = List(o.nested_tids);
  if (!o.comm.empty()) c.text = o.comm;
}
bool Get(const ObservationColumns& c, k::Clone& o) {
  o.parent = Tid(c.tid);
  o.child = Tid(c.ints[0]);
  o.flags = static_cast<std::uint64_t>(c.ints[1]);
  o.exit_signal = Int(c.ints[2]);
  o.error = Int(c.ints[3]);
  o.pgid = I32(c.ints[4]);
  o.comm = c.text.value_or("");
  return ParseList(c.list, o.nested_tids);
}

void Put(const k::Exec& o, ObservationColumns& c) {
  c.tid = o.tid.value;
  c.ints = {o.uid, o.gid, 0, 0, 0, 0, 0};
  c.text = o.comm;
  c.list = List(o.argv);
}
bool Get(const ObservationColumns& c, k::Exec& o) {
  o.tid = Tid(c.tid);
  o.uid = U32(c.ints[0]);
  o.gid = U32(c.ints[1]);
  o.comm = c.text.value_or("");
  return ParseList(c.list, o.argv);
}

void Put(const k::VforkDone& o, ObservationColumns& c) {
  c.tid = o.parent.value;
}
bool Get(const ObservationColumns& c, k::VforkDone& o) {
  o.parent = Tid(c.tid);
  return true;
}

void Put(const k::ExitBegin& o, ObservationColumns& c) {
  c.tid = o.tid.value;
  c.ints = {o.status.code, o.status.signo, B(o.status.core), B(o.group), 0, 0, 0};
}
bool Get(const ObservationColumns& c, k::ExitBegin& o) {
  o.tid = Tid(c.tid);
  o.status = {.code = Int(c.ints[0]), .signo = Int(c.ints[1]), .core = c.ints[2] != 0};
  o.group = c.ints[3] != 0;
  return true;
}

void Put(const k::ExitEnd& o, ObservationColumns& c) {
  c.tid = o.tid.value;
  c.ints = {o.status.code,
            o.status.signo,
            B(o.status.core),
            o.usage.utime_ns,
            o.usage.stime_ns,
            o.usage.maxrss_kb,
            0};
}
bool Get(const ObservationColumns& c, k::ExitEnd& o) {
  o.tid = Tid(c.tid);
  o.status = {.code = Int(c.ints[0]), .signo = Int(c.ints[1]), .core = c.ints[2] != 0};
  o.usage = {.utime_ns = c.ints[3], .stime_ns = c.ints[4], .maxrss_kb = c.ints[5]};
  return true;
}

void Put(const k::GroupStop& o, ObservationColumns& c) {
  c.tid = o.tid.value;
  c.ints[0] = o.signo;
}
bool Get(const ObservationColumns& c, k::GroupStop& o) {
  o.tid = Tid(c.tid);
  o.signo = Int(c.ints[0]);
  return true;
}

void Put(const k::SignalDelivered& o, ObservationColumns& c) {
  c.tid = o.tid.value;
  c.ints = {o.signo, o.code, o.sender.value, static_cast<std::int64_t>(o.disposition), 0, 0, 0};
}
bool Get(const ObservationColumns& c, k::SignalDelivered& o) {
  o.tid = Tid(c.tid);
  o.signo = Int(c.ints[0]);
  o.code = Int(c.ints[1]);
  o.sender = Tid(c.ints[2]);
  if (c.ints[3] < 0 || c.ints[3] > static_cast<std::int64_t>(k::SignalDisposition::kHandler))
    return false;
  o.disposition = static_cast<k::SignalDisposition>(c.ints[3]);
  return true;
}

void Put(const k::SetSid& o, ObservationColumns& c) {
  c.tid = o.tid.value;
  c.ints[0] = o.result;
}
bool Get(const ObservationColumns& c, k::SetSid& o) {
  o.tid = Tid(c.tid);
  o.result = c.ints[0];
  return true;
}

void Put(const k::SetPgid& o, ObservationColumns& c) {
  c.tid = o.tid.value;
  c.ints = {o.pid, o.pgid, o.result, 0, 0, 0, 0};
}
bool Get(const ObservationColumns& c, k::SetPgid& o) {
  o.tid = Tid(c.tid);
  o.pid = I32(c.ints[0]);
  o.pgid = I32(c.ints[1]);
  o.result = c.ints[2];
  return true;
}

void PutRequest(const k::WaitRequest& r, Ints& i) {
  i[0] = r.idtype;
  i[1] = r.id;
  i[2] = r.options;
}
k::WaitRequest GetRequest(const Ints& i) {
  return k::WaitRequest{.idtype = Int(i[0]), .id = I32(i[1]), .options = U32(i[2])};
}

void Put(const k::WaitStart& o, ObservationColumns& c) {
  c.tid = o.tid.value;
  PutRequest(o.request, c.ints);
}
bool Get(const ObservationColumns& c, k::WaitStart& o) {
  o.tid = Tid(c.tid);
  o.request = GetRequest(c.ints);
  return true;
}

void Put(const k::WaitDone& o, ObservationColumns& c) {
  c.tid = o.tid.value;
  PutRequest(o.request, c.ints);
  c.ints[3] = o.result;
  c.ints[4] = o.code;
  c.ints[5] = o.status;
}
bool Get(const ObservationColumns& c, k::WaitDone& o) {
  o.tid = Tid(c.tid);
  o.request = GetRequest(c.ints);
  o.result = c.ints[3];
  o.code = Int(c.ints[4]);
  o.status = Int(c.ints[5]);
  return true;
}

void Put(const k::SigChldAction& o, ObservationColumns& c) {
  c.tid = o.tid.value;
  c.ints = {static_cast<std::int64_t>(o.disposition), B(o.nocldwait), 0, 0, 0, 0, 0};
}
bool Get(const ObservationColumns& c, k::SigChldAction& o) {
  o.tid = Tid(c.tid);
  if (c.ints[0] < 0 || c.ints[0] > static_cast<std::int64_t>(k::SigChldDisposition::kHandler))
    return false;
  o.disposition = static_cast<k::SigChldDisposition>(c.ints[0]);
  o.nocldwait = c.ints[1] != 0;
  return true;
}

// The kinds with a thread and one flag or number.
template <class T, auto Member>
void PutOne(const T& o, ObservationColumns& c) {
  c.tid = o.tid.value;
  if constexpr (std::is_same_v<std::remove_cvref_t<decltype(o.*Member)>, bool>) {
    c.ints[0] = B(o.*Member);
  } else if constexpr (requires { (o.*Member).value; }) {
    c.ints[0] = (o.*Member).value;
  } else {
    c.ints[0] = o.*Member;
  }
}
template <class T, auto Member>
void GetOne(const ObservationColumns& c, T& o) {
  o.tid = Tid(c.tid);
  using Field = std::remove_cvref_t<decltype(o.*Member)>;
  if constexpr (std::is_same_v<Field, bool>) {
    o.*Member = c.ints[0] != 0;
  } else if constexpr (requires { Field().value; }) {
    o.*Member = Field(static_cast<decltype(Field().value)>(c.ints[0]));
  } else {
    o.*Member = static_cast<Field>(c.ints[0]);
  }
}

void Put(const k::SetSubreaper& o, ObservationColumns& c) {
  PutOne<k::SetSubreaper, &k::SetSubreaper::enabled>(o, c);
}
bool Get(const ObservationColumns& c, k::SetSubreaper& o) {
  GetOne<k::SetSubreaper, &k::SetSubreaper::enabled>(c, o);
  return true;
}
void Put(const k::SetPdeathsig& o, ObservationColumns& c) {
  PutOne<k::SetPdeathsig, &k::SetPdeathsig::signo>(o, c);
}
bool Get(const ObservationColumns& c, k::SetPdeathsig& o) {
  GetOne<k::SetPdeathsig, &k::SetPdeathsig::signo>(c, o);
  return true;
}
void Put(const k::ParentObserved& o, ObservationColumns& c) {
  PutOne<k::ParentObserved, &k::ParentObserved::parent>(o, c);
}
bool Get(const ObservationColumns& c, k::ParentObserved& o) {
  GetOne<k::ParentObserved, &k::ParentObserved::parent>(c, o);
  return true;
}
void Put(const k::ControllingTty& o, ObservationColumns& c) {
  PutOne<k::ControllingTty, &k::ControllingTty::tty_nr>(o, c);
}
bool Get(const ObservationColumns& c, k::ControllingTty& o) {
  GetOne<k::ControllingTty, &k::ControllingTty::tty_nr>(c, o);
  return true;
}
void Put(const k::ForegroundGroup& o, ObservationColumns& c) {
  PutOne<k::ForegroundGroup, &k::ForegroundGroup::pgid>(o, c);
}
bool Get(const ObservationColumns& c, k::ForegroundGroup& o) {
  GetOne<k::ForegroundGroup, &k::ForegroundGroup::pgid>(c, o);
  return true;
}
void Put(const k::TraceStop& o, ObservationColumns& c) {
  PutOne<k::TraceStop, &k::TraceStop::stopped>(o, c);
}
bool Get(const ObservationColumns& c, k::TraceStop& o) {
  GetOne<k::TraceStop, &k::TraceStop::stopped>(c, o);
  return true;
}
void Put(const k::ExternalStop& o, ObservationColumns& c) {
  PutOne<k::ExternalStop, &k::ExternalStop::stopped>(o, c);
}
bool Get(const ObservationColumns& c, k::ExternalStop& o) {
  GetOne<k::ExternalStop, &k::ExternalStop::stopped>(c, o);
  return true;
}
void Put(const k::SentrySignal& o, ObservationColumns& c) {
  c.tid = o.tid.value;
  c.ints = {o.sender.value, o.signo, static_cast<std::int64_t>(o.cause), 0, 0, 0, 0};
}
bool Get(const ObservationColumns& c, k::SentrySignal& o) {
  o.tid = Tid(c.tid);
  o.sender = Tid(c.ints[0]);
  o.signo = Int(c.ints[1]);
  o.cause = static_cast<k::SignalCause>(c.ints[2]);
  return c.ints[2] >= 0 && c.ints[2] <= static_cast<std::int64_t>(k::kLastSignalCause);
}

// The kinds with a thread only.
template <class T>
requires(sizeof(T) == sizeof(k::ThreadId) &&
         requires(T t) { t.tid; }) void Put(const T& o, ObservationColumns& c) {
  c.tid = o.tid.value;
}
template <class T>
requires(sizeof(T) == sizeof(k::ThreadId) &&
         requires(T t) { t.tid; }) bool Get(const ObservationColumns& c, T& o) {
  o.tid = Tid(c.tid);
  return true;
}

// Kind name -> a default body of that kind, for every alternative.
template <std::size_t... I>
std::vector<std::pair<std::string_view, k::ObservationBody>> AllKinds(std::index_sequence<I...>) {
  std::vector<std::pair<std::string_view, k::ObservationBody>> out;
  (out.emplace_back(k::ObservationKindName(k::Observation{
                        .time_ns = 0, .body = std::variant_alternative_t<I, k::ObservationBody>{}}),
                    std::variant_alternative_t<I, k::ObservationBody>{}),
   ...);
  return out;
}

const std::vector<std::pair<std::string_view, k::ObservationBody>>& Kinds() {
  static const auto kKinds =
      AllKinds(std::make_index_sequence<std::variant_size_v<k::ObservationBody>>());
  return kKinds;
}

}  // namespace

ObservationColumns ToColumns(const k::Observation& obs) {
  ObservationColumns c;
  c.kind = k::ObservationKindName(obs);
  std::visit([&c](const auto& body) { Put(body, c); }, obs.body);
  return c;
}

std::expected<k::ObservationBody, std::string> FromColumns(const ObservationColumns& cols) {
  static const auto kByName = [] {
    std::unordered_map<std::string_view, std::size_t> by_name;
    for (std::size_t i = 0; i < Kinds().size(); ++i) by_name.emplace(Kinds()[i].first, i);
    return by_name;
  }();
  const auto kind = kByName.find(cols.kind);
  if (kind == kByName.end()) {
    return std::unexpected(fmt::format("unknown observation kind \"{}\"", cols.kind));
  }
  k::ObservationBody body = Kinds()[kind->second].second;
  const bool ok = std::visit([&cols](auto& b) { return Get(cols, b); }, body);
  if (!ok) return std::unexpected(fmt::format("a malformed {} observation", cols.kind));
  return body;
}

std::vector<ObservationKindMeaning> ObservationKindMeanings() {
  // In the ObservationBody variant's order.
  static constexpr std::array<std::string_view, std::variant_size_v<k::ObservationBody>> kColumns =
      {
          "a tgid, b parent, c pgid, d sid, e uid, f gid, g subreaper; text comm, list argv",
          "tid the caller; a child, b flags, c exit signal, d errno, e pgid forked into; text "
          "the child's name if not the caller's; list nested tids",
          "-",
          "tid before the exec; a uid, b gid; text comm, list argv",
          "tid the vfork parent",
          "a exit code, b signal, c core dumped, d group exit",
          "a exit code, b signal, c core dumped, d utime ns, e stime ns, f maxrss kB",
          "a signal",
          "-",
          "a signal, b si_code, c sender tid",
          "a result",
          "a pid, b pgid, c result",
          "a idtype, b id, c options",
          "a idtype, b id, c options, d result, e CLD code, f status",
          "a disposition (0 default, 1 ignore, 2 handler), b SA_NOCLDWAIT",
          "a enabled",
          "a signal",
          "a parent tid",
          "a tty_nr",
          "a pgid",
          "-",
          "a stopped",
          "a stopped (tid 0: every task)",
          "-",
          "tid the receiver; a the sentry's tid, b signal, c signal_cause",
      };
  std::vector<ObservationKindMeaning> out;
  out.reserve(kColumns.size());
  for (std::size_t i = 0; i < kColumns.size(); ++i) out.push_back({Kinds()[i].first, kColumns[i]});
  return out;
}

}  // namespace sentry::inspect
