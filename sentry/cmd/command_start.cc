#include "sentry/cmd/command_start.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace sentry::cmd {

int CommandStart(const boost::program_options::options_description& opts, int argc, char** argv) {
  int i = 1;
  while (i < argc && std::strcmp(argv[i], "--") != 0 && argv[i][0] == '-' && argv[i][1] != 0) {
    const std::string_view arg = argv[i];
    bool takes_value = false;
    if (arg.starts_with("--")) {
      const std::string name(arg.substr(2));
      const auto* option =
          name.find('=') == std::string::npos ? opts.find_nothrow(name, false) : nullptr;
      takes_value = option != nullptr && option->semantic()->max_tokens() > 0;
    } else if (arg.size() == 2) {  // "-v"; "-vX" carries its own value
      const auto* option = opts.find_nothrow(std::string(arg), false);
      takes_value = option != nullptr && option->semantic()->max_tokens() > 0;
    }
    i += takes_value ? 2 : 1;
  }
  return std::min(i, argc);
}

}  // namespace sentry::cmd
