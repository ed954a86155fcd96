#include "sentry/cmd/complete.h"

#include <algorithm>
#include <charconv>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/numbering.h"
#include "inspect/queries.h"
#include "inspect/schema.h"
#include "sentry/cmd/commands.h"
#include "sentry/cmd/help.h"
#include "sentry/cmd/learn.h"
#include "sentry/cmd/step.h"

namespace sentry::cmd {

namespace {

constexpr std::array kQuestions = {"runs",     "waits", "explain", "zombies",
                                   "timeline", "ps",    "tree",    "sql"};

// A command's options as its --help table has them: "--db" -> "FILE"
// (empty for a switch).
std::vector<std::pair<std::string, std::string>> OptionsOf(Main main) {
  std::ostringstream captured;
  {
    // std::cout writes into `captured` until this block ends, however it ends.
    struct Redirect {
      std::streambuf* saved;
      ~Redirect() { std::cout.rdbuf(saved); }
    } redirect{std::cout.rdbuf(captured.rdbuf())};
    SetHelpForm(HelpForm::kOptions);
    char name[] = "sentry";
    ShowHelp(main, name);
  }
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream lines(captured.str());
  for (std::string line; std::getline(lines, line);) {
    const std::size_t eq = line.find('=');
    out.emplace_back(line.substr(0, eq), eq == std::string::npos ? "" : line.substr(eq + 1));
  }
  return out;
}

// The word after the last `option` in `words`, or `absent`.
std::string ValueGiven(const std::vector<std::string>& words, std::string_view option,
                       std::string absent) {
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i] == option) absent = words[i + 1];
  }
  return absent;
}

// The value after `option` of `command`: its choices, or a class the shell
// completes (@files, @dirs).
std::vector<std::string> ValuesOf(std::string_view command, std::string_view option,
                                  std::string_view value_name,
                                  const std::vector<std::string>& words) {
  if (option == "--format") {
    if (command == "inspect") return {"table", "json", "csv"};
    if (command == "export") return {"chrome-json", "dot", "svg"};
  }
  if (option == "--step-on") {
    std::vector<std::string> kinds;
    std::string_view list = Stepper::kKinds;
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      kinds.emplace_back(list.substr(0, comma));
      list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
      while (list.starts_with(' ')) list.remove_prefix(1);
    }
    return kinds;
  }
  if (option == "--run") {
    std::vector<std::string> runs;
    if (auto opened = inspect::OpenForReading(ValueGiven(words, "--db", "sentry.db"))) {
      if (auto stmt = opened->Prepare("SELECT run_id FROM run ORDER BY run_id")) {
        while (stmt->Step().value_or(false)) runs.push_back(std::to_string(stmt->Int(0)));
      }
    }
    return runs;
  }
  if (value_name == "FILE" || option == "--log") return {"@files"};
  if (value_name == "DIR") return {"@dirs"};
  return {};
}

// The pids `inspect explain` may name in the run the words ask about, as
// `inspect` numbers them.
std::vector<std::string> PidsOf(const std::vector<std::string>& words) {
  const bool host_pids = std::ranges::find(words, "--host-pids") != words.end();
  std::optional<std::int64_t> run;
  const std::string run_given = ValueGiven(words, "--run", "");
  if (std::int64_t n = 0;
      std::from_chars(run_given.data(), run_given.data() + run_given.size(), n).ec == std::errc()) {
    run = n;
  }
  std::vector<std::string> pids;
  auto opened = inspect::OpenForReading(ValueGiven(words, "--db", "sentry.db"));
  if (!opened) return pids;
  const auto resolved = inspect::ResolveRun(*opened, run);
  if (!resolved) return pids;
  const auto numbering = inspect::PidNumbering::Load(*opened, *resolved, host_pids);
  auto stmt = opened->Prepare("SELECT DISTINCT pid FROM process WHERE run_id = ? ORDER BY upid");
  if (!numbering || !stmt) return pids;
  stmt->Bind(1, *resolved);
  std::set<std::int32_t> seen;
  while (stmt->Step().value_or(false)) {
    const auto shown = numbering->Shown(static_cast<std::int32_t>(stmt->Int(0)));
    if (shown && seen.insert(*shown).second) pids.push_back(std::to_string(*shown));
  }
  return pids;
}

std::vector<std::string> CommandNames() {
  std::vector<std::string> out;
  out.reserve(kCommands.size());
  for (const Command& c : kCommands) out.emplace_back(c.name);
  return out;
}

std::vector<std::string> Candidates(const std::vector<std::string>& words, std::size_t cword) {
  const std::string_view cur = cword < words.size() ? std::string_view(words[cword]) : "";
  if (cword <= 1) {
    std::vector<std::string> out = CommandNames();
    out.insert(out.end(), {"help", "version", "--help", "--version"});
    return out;
  }
  const std::string_view command = words[1];
  if (command == "help") {
    return cword == 2 ? CommandNames() : std::vector<std::string>{};
  }
  const Main main = FindCommand(command);
  if (main == nullptr) return {};
  const auto options = OptionsOf(main);
  const auto option = [&](std::string_view name) -> const std::pair<std::string, std::string>* {
    const auto it = std::ranges::find_if(options, [&](const auto& o) { return o.first == name; });
    return it != options.end() ? &*it : nullptr;
  };
  // The workload's command line, after `--` (run, view) or the first word
  // that is not an option of theirs (run).
  std::vector<std::string> positional;
  bool after_dashes = false;
  for (std::size_t i = 2; i < cword; ++i) {
    const std::string& w = words[i];
    if (!after_dashes && w == "--") {
      after_dashes = true;
    } else if (!after_dashes && w.starts_with("-")) {
      const auto* o = option(w);
      if (o != nullptr && !o->second.empty()) ++i;  // its value
    } else {
      positional.push_back(w);
    }
  }
  if (const auto* o = option(words[cword - 1]);
      o != nullptr && !o->second.empty() && !after_dashes) {
    return ValuesOf(command, o->first, o->second, words);
  }
  if (cur.starts_with("-") && !after_dashes) {
    std::vector<std::string> out;
    out.reserve(options.size());
    for (const auto& o : options) out.push_back(o.first);
    return out;
  }
  // The workload: its command, then files.
  if (command == "run" || command == "view") return {positional.empty() ? "@commands" : "@files"};
  if (command == "inspect") {
    if (positional.empty()) return {kQuestions.begin(), kQuestions.end()};
    if (positional.size() == 1 && (positional[0] == "explain" || positional[0] == "timeline"))
      return PidsOf(words);
    return {};
  }
  if (command == "learn") return positional.empty() ? LessonNames() : std::vector<std::string>{};
  if (command == "replay") return {"@files"};
  return {};
}

}  // namespace

int CompleteMain(int argc, char** argv) {
  // argv: __complete CWORD WORD...
  if (argc < 3) return 2;
  std::size_t cword = 0;
  const std::string_view index = argv[1];
  if (std::from_chars(index.data(), index.data() + index.size(), cword).ec != std::errc()) return 2;
  std::vector<std::string> words(argv + 2, argv + argc);
  // The word being completed may be past the last one given (an empty one).
  if (cword >= words.size()) {
    cword = words.size();
    words.emplace_back();
  }
  std::vector<std::string> out = Candidates(words, cword);
  const std::string_view cur = cword < words.size() ? std::string_view(words[cword]) : "";
  for (const std::string& c : out) {
    if (c.starts_with("@") || c.starts_with(cur)) std::cout << c << "\n";
  }
  return 0;
}

}  // namespace sentry::cmd
