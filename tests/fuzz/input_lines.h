// The targets whose input is text take it a line at a time: each line of
// the fuzzer's bytes (the last one may lack its newline).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sentry::fuzz {

template <typename OnLine>
void ForEachLine(const std::uint8_t* data, std::size_t size, OnLine&& on_line) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    on_line(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
  }
}

}  // namespace sentry::fuzz
