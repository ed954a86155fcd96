// How every subcommand reports a bad command line: one line naming the
// problem and where the help is, exit status 2 (as getopt-style tools do).
#pragma once

#include <iostream>
#include <string_view>

namespace sentry::cmd {

inline int UsageError(std::string_view command, std::string_view problem) {
  std::cerr << "sentry: " << command << ": " << problem << "\nsee 'sentry " << command
            << " --help'\n";
  return 2;
}

}  // namespace sentry::cmd
