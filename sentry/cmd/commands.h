// The sentry's commands by name: main.cc dispatches with it, and shell
// completion (complete.cc) lists them and asks each for its options.
#pragma once

#include <array>
#include <string_view>

#include "sentry/cmd/export.h"
#include "sentry/cmd/inspect.h"
#include "sentry/cmd/learn.h"
#include "sentry/cmd/replay.h"
#include "sentry/cmd/run.h"
#include "sentry/cmd/view.h"

namespace sentry::cmd {

using Main = int (*)(int, char**);

struct Command {
  std::string_view name;
  Main main;
};

inline constexpr std::array kCommands = {
    Command{"run", RunMain},       Command{"view", ViewMain},     Command{"inspect", InspectMain},
    Command{"export", ExportMain}, Command{"replay", ReplayMain}, Command{"learn", LearnMain},
};

// `main(name, "--help")`: the command's help, in the current HelpForm.
inline int ShowHelp(Main main, char* name) {
  char help[] = "--help";
  char* argv[] = {name, help, nullptr};
  return main(2, argv);
}

// nullptr: no such command.
inline Main FindCommand(std::string_view name) {
  for (const Command& c : kCommands) {
    if (c.name == name) return c.main;
  }
  return nullptr;
}

}  // namespace sentry::cmd
