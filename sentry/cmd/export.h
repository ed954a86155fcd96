#pragma once

namespace sentry::cmd {

// `sentry export --format chrome-json|dot|svg`: a recorded run for other tools.
int ExportMain(int argc, char** argv);

}  // namespace sentry::cmd
