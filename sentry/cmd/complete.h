// Shell completion: `sentry __complete CWORD WORD...` prints what may
// stand at WORD[CWORD] (WORD[0] is `sentry`), one per line: commands,
// options (from each command's own option table, as its --help has them),
// option values (formats, step kinds, run numbers), inspect's questions,
// pids of the last run for `inspect explain` and `timeline` (numbered as
// `inspect` numbers them), lesson names. A first line of @files, @dirs or
// @commands asks the shell to complete those itself.
// share/completion/ holds the bash and zsh functions that call it.
#pragma once

namespace sentry::cmd {

int CompleteMain(int argc, char** argv);

}  // namespace sentry::cmd
