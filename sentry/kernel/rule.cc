#include "sentry/kernel/rule.h"

#include <array>

namespace sentry::kernel {
namespace {

constexpr std::array kRuleNames = {
#define SENTRY_RULE_NAME(name, text) std::string_view{text},
    SENTRY_RULES(SENTRY_RULE_NAME)
#undef SENTRY_RULE_NAME
};
static_assert(kRuleNames.size() == static_cast<std::size_t>(kLastRule) + 1);

}  // namespace

std::string_view RuleName(Rule rule) {
  const auto i = static_cast<std::size_t>(rule);
  return i < kRuleNames.size() ? kRuleNames[i] : std::string_view{"?"};
}

std::optional<Rule> RuleFromName(std::string_view name) {
  for (std::size_t i = 0; i < kRuleNames.size(); ++i) {
    if (kRuleNames[i] == name) return static_cast<Rule>(i);
  }
  return std::nullopt;
}

}  // namespace sentry::kernel
