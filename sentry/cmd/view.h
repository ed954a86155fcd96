// `sentry view`: run a command with a sentry's procfs view over /proc.
#pragma once

namespace sentry::cmd {

int ViewMain(int argc, char** argv);

}  // namespace sentry::cmd
