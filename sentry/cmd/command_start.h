// Where the command a sentry command runs (`run -- CMD`, `view -- CMD`)
// starts in its argv: the sentry command's own options come first.
#pragma once

#include <boost/program_options.hpp>

namespace sentry::cmd {

// The index of that command's first word: after "--", or at the first word
// that is no option of `opts` (whether an option takes a value comes from
// the table itself). An unknown option stays ours, for the parser to
// refuse. argc when there is none.
int CommandStart(const boost::program_options::options_description& opts, int argc, char** argv);

}  // namespace sentry::cmd
