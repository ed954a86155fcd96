// Every lesson in share/lessons keeps its word: its program runs under the
// sentry with 0 divergences (the model agrees with the kernel on every
// outcome), and the events its text promises ("## What happens, in order")
// are told, in that order, by the sentences `sentry replay` prints, which
// are the ones every command prints. A lesson's text cannot drift from what
// the kernel does.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/fusefs/live_run.h"
#include "tests/platform/platform_test_util.h"

namespace sentry::platform::testing {
namespace {

std::vector<std::string> LessonNames() {
  std::vector<std::string> names;
  if (DIR* dir = ::opendir(LESSONS_SOURCE_DIR)) {
    while (const dirent* e = ::readdir(dir)) {
      const std::string file = e->d_name;
      if (file.size() > 3 && file.ends_with(".md"))
        names.push_back(file.substr(0, file.size() - 3));
    }
    ::closedir(dir);
  }
  std::ranges::sort(names);
  return names;
}

// The patterns of a "## What happens, in order" list (`heading`): "- `REGEX`" lines.
std::vector<std::string> PromisedEvents(const std::string& text,
                                        const std::string& heading = "## What happens, in order") {
  std::vector<std::string> patterns;
  std::istringstream lines(text);
  bool in_list = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("## ")) in_list = line == heading;
    if (!in_list || !line.starts_with("- `")) continue;
    const auto end = line.rfind('`');
    if (end > 3) patterns.push_back(line.substr(3, end - 3));
  }
  return patterns;
}

class LessonTest : public ::testing::TestWithParam<std::string> {};

TEST(LessonsTest, ThereAreLessonsAndEachHasItsProgram) {
  const auto names = LessonNames();
  EXPECT_GE(names.size(), 12u);
  for (const auto& name : names) {
    EXPECT_EQ(::access((std::string(LESSONS_SOURCE_DIR) + "/" + name + ".c").c_str(), R_OK), 0)
        << name;
    EXPECT_EQ(::access((std::string(LESSONS_BINARY_DIR) + "/" + name).c_str(), X_OK), 0) << name;
  }
}

// Each promise matched by a sentence ("#SEQ ..." lines of `told`) after the
// one that matched the last.
void ExpectInOrder(const std::string& name, const std::string& told,
                   const std::vector<std::string>& promised) {
  std::vector<std::string> sentences;
  std::istringstream lines(told);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("#")) sentences.push_back(line);
  }
  auto from = sentences.begin();
  for (const std::string& pattern : promised) {
    const std::regex re(pattern);
    const auto found = std::find_if(from, sentences.end(),
                                    [&](const std::string& s) { return std::regex_search(s, re); });
    ASSERT_NE(found, sentences.end())
        << name << ": no sentence after the last promise matches /" << pattern << "/\n"
        << told;
    from = found + 1;
  }
}

// Runs `workload` under the sentry and checks what the run told against
// `promised`: 0 divergences, each promise matched after the previous one.
void CheckRun(const std::string& name, const std::vector<std::string>& workload,
              const std::vector<std::string>& promised) {
  const std::string log = TempPath("lesson-" + name + ".jsonl");
  std::vector<std::string> argv = {SENTRY_BINARY, "run",           "--no-db", "--no-fuse",
                                   "--no-tty",    "--log-records", log,       "--"};
  argv.insert(argv.end(), workload.begin(), workload.end());
  const Outcome run = RunInNewSession(argv, "lesson-" + name);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  const Outcome told =
      RunInNewSession({SENTRY_BINARY, "replay", "--records", log}, "lesson-" + name + "-replay");
  ASSERT_EQ(told.exit_code, 0) << told.out << told.err;
  EXPECT_NE(told.out.find("divergences 0,"), std::string::npos) << told.out;

  ExpectInOrder(name, told.out, promised);
  ::unlink(log.c_str());
}

TEST_P(LessonTest, RunsWithoutDivergenceAndTellsWhatItsTextPromisesInOrder) {
  const std::string name = GetParam();
  const std::string text = Slurp(std::string(LESSONS_SOURCE_DIR) + "/" + name + ".md");
  for (const char* section : {"**Question.**", "**Look at.**", "**Answer.**", "**The rule.**"})
    EXPECT_NE(text.find(section), std::string::npos) << name << " lacks " << section;
  const auto promised = PromisedEvents(text);
  ASSERT_FALSE(promised.empty()) << name << ": no \"## What happens, in order\" list";
  CheckRun(name, {std::string(LESSONS_BINARY_DIR) + "/" + name}, promised);
}

// A lesson with a shell version (NAME.sh) keeps its word there too.
TEST_P(LessonTest, ItsShellVersionTellsWhatItsTextPromises) {
  const std::string name = GetParam();
  const std::string script = std::string(LESSONS_SOURCE_DIR) + "/" + name + ".sh";
  if (::access(script.c_str(), R_OK) != 0) return;  // none: nothing to keep
  const std::string text = Slurp(std::string(LESSONS_SOURCE_DIR) + "/" + name + ".md");
  EXPECT_NE(text.find("**The shell version.**"), std::string::npos) << name;
  const auto promised = PromisedEvents(text, "## What happens (shell version), in order");
  ASSERT_FALSE(promised.empty()) << name << ": no shell version's list";
  CheckRun(name + "-sh", {"/bin/sh", script}, promised);
}

// Each lesson also goes stepping and as a quiz, driven through the view's
// sentry/step file as a script would: every held event is gone past (every
// question answered "0"), and the run ends as it does unheld.
TEST_P(LessonTest, GoesStepByStepAndAsAQuiz) {
  const std::string name = GetParam();
  const std::string mount = TempPath("lesson-step-" + name);
  fusefs::testing::LiveRun run({"--mount", mount, "--step", "--quiz"},
                               {std::string(LESSONS_BINARY_DIR) + "/" + name});
  const std::string step = mount + "/sentry/step";
  const auto say = [&](std::string_view words) { return fusefs::testing::SayToStep(mount, words); };
  bool mounted = false;
  int holds = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    const bool now = fusefs::testing::IsMounted(mount);
    if (mounted && !now) break;  // the run is over
    mounted = mounted || now;
    const std::string state = Slurp(step);
    if (state.find("\nquestion: ") != std::string::npos) {
      if (say("answer 0\n")) ++holds;
    } else if (state.starts_with("held after:")) {
      if (say("next\n")) ++holds;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(run.Finish(), 0) << run.Stderr();
  EXPECT_GT(holds, 2) << run.Stderr();
  EXPECT_NE(run.Stderr().find("quiz: "), std::string::npos) << run.Stderr();
  // Stepping tells the whole of the lesson, to its first process's end:
  // every promise, in order, among the sentences it printed.
  const std::string text = Slurp(std::string(LESSONS_SOURCE_DIR) + "/" + name + ".md");
  ExpectInOrder(name + " (stepping)", run.Stderr(), PromisedEvents(text));
}

INSTANTIATE_TEST_SUITE_P(Lessons, LessonTest, ::testing::ValuesIn(LessonNames()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string id = param.param;
                           std::ranges::replace(id, '-', '_');
                           return id;
                         });

}  // namespace
}  // namespace sentry::platform::testing
