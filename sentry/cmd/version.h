// The sentry's version and the git commit it was built from. version.cc is
// written by the build (version.cmake), again at each build, so the commit
// is the one built, not the one configured.
#pragma once

namespace sentry::cmd {

extern const char* const kVersion;  // the project's version: "0.1.0"
extern const char* const kCommit;   // "git 1a2b3c4d5e6f" (and "-dirty"), or "no git commit known"

}  // namespace sentry::cmd
