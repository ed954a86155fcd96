// `sentry learn [NAME]`: the lessons of share/lessons, listed, or one run
// stepping (or as a quiz) between its question and its answer.
#pragma once

namespace sentry::cmd {

int LearnMain(int argc, char** argv);

}  // namespace sentry::cmd
