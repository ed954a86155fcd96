// `sentry replay`: rebuild the model from a JSON-lines log.
#pragma once

namespace sentry::cmd {

int ReplayMain(int argc, char** argv);

}  // namespace sentry::cmd
