// `sentry run`: run a command under ptrace and mirror it in the model.
#pragma once

namespace sentry::cmd {

int RunMain(int argc, char** argv);

}  // namespace sentry::cmd
