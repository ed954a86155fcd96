// `sentry learn [NAME]`: the lessons of share/lessons, listed, or one run
// stepping (or as a quiz) between its question and its answer.
#pragma once

#include <string>
#include <vector>

namespace sentry::cmd {

int LearnMain(int argc, char** argv);
// The lessons' names, as `sentry learn` lists them (shell completion).
std::vector<std::string> LessonNames();

}  // namespace sentry::cmd
