#pragma once

namespace sentry::cmd {

// `sentry inspect SUBCOMMAND [options]`: questions about recorded runs.
int InspectMain(int argc, char** argv);

}  // namespace sentry::cmd
