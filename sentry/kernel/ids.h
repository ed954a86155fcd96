// Strong identifier types for the model.
//
// A ThreadId, a ProcessGroupId and a SessionId are all numbers from the same
// PID space, but mixing them up is a bug, so each gets its own type. Host ids
// are reused; TaskUid and ThreadGroupUid are never reused within a Kernel and
// name a task or thread group in records and in SQL (like Perfetto's utid/upid).
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace sentry::kernel {

template <class Tag, class Rep>
struct StrongId {
  Rep value{};

  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep v) : value(v) {}
  constexpr explicit operator bool() const { return value != Rep{}; }
  constexpr auto operator<=>(const StrongId&) const = default;
};

struct ThreadIdTag {};
struct ProcessGroupIdTag {};
struct SessionIdTag {};
struct TaskUidTag {};
struct ThreadGroupUidTag {};
struct NamespaceUidTag {};

// A thread id as seen in one PID namespace. 0 means "none / not visible".
using ThreadId = StrongId<ThreadIdTag, std::int32_t>;
using ProcessGroupId = StrongId<ProcessGroupIdTag, std::int32_t>;
using SessionId = StrongId<SessionIdTag, std::int32_t>;

// Never-reused identities. 0 means "none".
using TaskUid = StrongId<TaskUidTag, std::uint64_t>;
using ThreadGroupUid = StrongId<ThreadGroupUidTag, std::uint64_t>;
using NamespaceUid = StrongId<NamespaceUidTag, std::uint64_t>;

}  // namespace sentry::kernel

template <class Tag, class Rep>
struct std::hash<sentry::kernel::StrongId<Tag, Rep>> {
  std::size_t operator()(const sentry::kernel::StrongId<Tag, Rep>& id) const noexcept {
    return std::hash<Rep>{}(id.value);
  }
};
