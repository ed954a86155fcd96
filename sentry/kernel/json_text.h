// JsonText: a JSON value as text that never throws. A task's name and argv
// are bytes, not UTF-8: nlohmann's dump() throws on such a string (a
// program named with a byte 0xff aborted `sentry run`). Each invalid byte
// is written as U+FFFD instead, as inspect's JSON output does.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace sentry::kernel {

template <typename Json>
std::string JsonText(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace sentry::kernel
