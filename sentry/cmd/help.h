// Help: what a command says about itself, in three forms made from one
// source, so they cannot disagree: `sentry CMD --help` (usage, description,
// options, exit status), `sentry help CMD` (all of it: files, environment,
// examples, see also too) and the man page `sentry-CMD(1)` (`sentry help
// --man CMD`, run by the build). The options come from the command's own
// option table, the one it parses with. Shell completion asks the same
// table for its option names (complete.h).
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <ostream>
#include <string_view>

namespace sentry::cmd {

struct CommandDoc {
  std::string_view name;     // "inspect"; empty for `sentry` itself
  std::string_view summary;  // the man page's NAME line: "ask about recorded runs"
  // "usage: sentry CMD ..." (more lines start with spaces), a blank line,
  // then the description's paragraphs (a paragraph whose lines start with
  // two spaces is kept as it is laid out).
  std::string_view usage;
  // The sections --help has no room for; empty ones are left out.
  std::string_view exit_status;
  std::string_view files;
  std::string_view environment;
  std::string_view examples;  // laid out as is
  std::string_view see_also;
};

enum class HelpForm : std::uint8_t {
  kShort,    // CMD --help
  kFull,     // sentry help CMD
  kMan,      // sentry help --man CMD: roff for man(1)
  kOptions,  // the option names, one a line, "=VALUE" after those that take one (completion)
};

// The form the next --help prints (main.cc sets it; kShort by default).
void SetHelpForm(HelpForm form);
HelpForm CurrentHelpForm();

// Prints `doc` and `options` in the current form; returns the exit status, 0.
int PrintHelp(std::ostream& out, const CommandDoc& doc,
              const boost::program_options::options_description& options);

}  // namespace sentry::cmd
