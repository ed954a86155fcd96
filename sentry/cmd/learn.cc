#include "sentry/cmd/learn.h"

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "sentry/cmd/help.h"
#include "sentry/cmd/usage_error.h"

namespace sentry::cmd {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: sentry learn [NAME] [--quiz] [--shell]\n"
    "\n"
    "Lessons in process semantics, each a short C program and a text. Without NAME,\n"
    "lists them. With NAME: prints the question to answer before running it and\n"
    "what to look at, runs the program under `sentry run --step` (each event's\n"
    "sentence on stderr, the workload held after each until you press Enter; t shows\n"
    "the sessions and process groups, c runs to the end, q quits; in a second\n"
    "terminal, `sentry view -- ps -o pid,ppid,pgid,sid,stat,comm` shows that moment),\n"
    "then prints the answer and the rule. With --quiz, before the event that\n"
    "decides it, it asks what will happen (who will reap a child, whose child an\n"
    "orphan becomes, what a wait will report) and says whether you were right.\n"
    "Without a terminal, drive it through the view's sentry/step file. It keeps no\n"
    "event log: run the program with `sentry run` for one.\n"
    "\n"
    "The lessons are found in $SENTRY_LESSONS (texts NAME.md and programs NAME),\n"
    "else where the package installs them beside this executable\n"
    "(PREFIX/share/sentry/lessons, PREFIX/libexec/sentry/lessons), else in the\n"
    "source tree and build tree this sentry was built from.\n";

constexpr CommandDoc kDoc{
    .name = "learn",
    .summary = "lessons in Linux process semantics, stepped through live",
    .usage = kUsage,
    .exit_status =
        "The lesson program's exit status; 1 when the lessons or the program are not\n"
        "found, 2 for a bad command line.",
    .files =
        "PREFIX/share/sentry/lessons/NAME.md, NAME.sh\n"
        "  each lesson's text and its shell version.\n"
        "\n"
        "PREFIX/libexec/sentry/lessons/NAME\n"
        "  each lesson's program.",
    .environment =
        "SENTRY_LESSONS\n"
        "  a directory holding lessons (texts and programs) to use instead.",
    .examples =
        "sentry learn\n"
        "sentry learn zombie\n"
        "sentry learn --quiz orphaned-group\n"
        "sentry learn --shell dispositions",
    .see_also =
        "sentry(1), sentry-run(1), fork(2), wait(2), setpgid(2), setsid(2), "
        "credentials(7)",
};

struct Places {
  std::string texts;
  std::string programs;
};

// The installed lessons, found from this executable (PREFIX/bin/sentry), so
// a package unpacked anywhere finds its own.
std::optional<Places> InstalledPlaces() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  const auto prefix = exe.parent_path().parent_path();
  Places p{.texts = (prefix / SENTRY_INSTALL_LESSON_TEXTS).string(),
           .programs = (prefix / SENTRY_INSTALL_LESSON_PROGRAMS).string()};
  if (!std::filesystem::is_directory(p.texts, ec)) return std::nullopt;
  return p;
}

Places LessonPlaces() {
  if (const char* dir = std::getenv("SENTRY_LESSONS"); dir != nullptr && *dir != 0)
    return {.texts = dir, .programs = dir};
  if (auto installed = InstalledPlaces()) return *installed;
  return {.texts = SENTRY_LESSONS_SOURCE_DIR, .programs = SENTRY_LESSONS_BINARY_DIR};
}

std::vector<std::string> LessonNamesIn(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string file = e->d_name;
      if (file.size() > 3 && file.ends_with(".md"))
        names.push_back(file.substr(0, file.size() - 3));
    }
    ::closedir(d);
  }
  std::ranges::sort(names);
  return names;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The paragraph that starts with `marker` ("**Question.**"), up to a blank line.
std::string Paragraph(const std::string& text, const std::string& marker) {
  const auto at = text.find(marker);
  if (at == std::string::npos) return "";
  auto end = text.find("\n\n", at);
  if (end == std::string::npos) end = text.size();
  std::string p = text.substr(at + marker.size(), end - at - marker.size());
  while (!p.empty() && (p.front() == ' ' || p.front() == '\n')) p.erase(0, 1);
  return p;
}

std::string Title(const std::string& text) {
  const auto end = text.find('\n');
  std::string first = text.substr(0, end);
  if (first.starts_with("# ")) first.erase(0, 2);
  return first;
}

}  // namespace

std::vector<std::string> LessonNames() {
  return LessonNamesIn(LessonPlaces().texts);
}

int LearnMain(int argc, char** argv) {
  po::options_description opts("options");
  std::string name;
  opts.add_options()("help,h", "show this help")(
      "quiz", "ask what will happen before it does, and say whether you were right")(
      "shell", "run the lesson's shell version (NAME.sh, where it has one) instead");
  // The lesson's name, positional: not listed in the help's options.
  po::options_description hidden;
  hidden.add_options()("name", po::value<std::string>(&name));
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description positional;
  positional.add("name", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return UsageError("learn", e.what());
  }
  if (vm.count("help") != 0) return PrintHelp(std::cout, kDoc, opts);
  const Places places = LessonPlaces();
  const std::vector<std::string> names = LessonNamesIn(places.texts);
  if (names.empty()) {
    std::cerr << "sentry: learn: no lessons in " << places.texts
              << " (set SENTRY_LESSONS to the directory that holds them)\n";
    return 1;
  }
  if (name.empty()) {
    std::cout << "lessons in " << places.texts
              << " (sentry learn NAME; --quiz to predict first; * also --shell):\n";
    for (const std::string& n : names) {
      const bool has_shell = ::access((places.texts + "/" + n + ".sh").c_str(), R_OK) == 0;
      std::cout << "  " << n << (has_shell ? "*" : " ")
                << std::string(n.size() < 17 ? 17 - n.size() : 1, ' ')
                << Title(Slurp(places.texts + "/" + n + ".md")) << "\n";
    }
    return 0;
  }
  if (std::ranges::find(names, name) == names.end()) {
    return UsageError("learn", "no lesson '" + name + "' (`sentry learn` lists them)");
  }
  const bool shell = vm.count("shell") != 0;
  const std::string program =
      shell ? places.texts + "/" + name + ".sh" : places.programs + "/" + name;
  if (shell && ::access(program.c_str(), R_OK) != 0) {
    return UsageError("learn", "lesson '" + name + "' has no shell version");
  }
  if (!shell && ::access(program.c_str(), X_OK) != 0) {
    std::cerr << "sentry: learn: the lesson's program " << program
              << " is not built (cmake --build BUILD --target lessons)\n";
    return 1;
  }
  const std::string text = Slurp(places.texts + "/" + name + ".md");
  std::cout << Title(text) << "\n\n"
            << "Question. " << Paragraph(text, "**Question.**") << "\n\n"
            << "Look at. " << Paragraph(text, "**Look at.**") << "\n\n"
            << (shell ? std::string("The shell version. ") +
                            Paragraph(text, "**The shell version.**") + "\n\n"
                      : std::string())
            << "Think of your answer, then press Enter at each held event.\n\n"
            << std::flush;
  // The run, as `sentry run --step` would do it, by this same executable
  // (named by its path: the tree shows the session leader's command line).
  // No event log: a lesson leaves no file behind (`sentry run` keeps one).
  std::string self(4096, '\0');
  const ssize_t length = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  self.resize(length > 0 ? static_cast<std::size_t>(length) : 0);
  if (self.empty()) self = "/proc/self/exe";
  std::vector<std::string> args = {self, "run", "--step", "--no-db"};
  if (vm.count("quiz") != 0) args.emplace_back("--quiz");
  args.emplace_back("--");
  if (shell) args.emplace_back("/bin/sh");
  args.push_back(program);
  std::vector<char*> argv_run;
  argv_run.reserve(args.size() + 1);
  for (std::string& a : args) argv_run.push_back(a.data());
  argv_run.push_back(nullptr);
  const pid_t child = ::fork();
  if (child < 0) {
    std::cerr << "sentry: learn: fork failed\n";
    return 1;
  }
  if (child == 0) {
    ::execv(argv_run[0], argv_run.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
  }
  std::cout << "\nAnswer. " << Paragraph(text, "**Answer.**") << "\n\n"
            << "The rule. " << Paragraph(text, "**The rule.**") << "\n";
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace sentry::cmd
