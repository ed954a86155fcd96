#include "sentry/kernel/record.h"

#include <array>

namespace sentry::kernel {
namespace {

constexpr std::array kRecordKindNames = {
#define SENTRY_RECORD_NAME(name, text) std::string_view{text},
    SENTRY_RECORD_KINDS(SENTRY_RECORD_NAME)
#undef SENTRY_RECORD_NAME
};

}  // namespace

std::string_view RecordKindName(RecordKind kind) {
  return kRecordKindNames.at(static_cast<std::size_t>(kind));
}

std::optional<RecordKind> RecordKindFromName(std::string_view name) {
  for (std::size_t i = 0; i < kRecordKindNames.size(); ++i) {
    if (kRecordKindNames[i] == name) return static_cast<RecordKind>(i);
  }
  return std::nullopt;
}

}  // namespace sentry::kernel
