# Writes OUT (version.cc) with VERSION and the commit of the tree at SRC;
# rewritten only when that changes, so a build that changes nothing
# relinks nothing. Run by the build at every build (sentry/cmd/CMakeLists.txt).
find_package(Git QUIET)
set(commit "no git commit known")
if(GIT_FOUND)
  # The commit alone (tags excluded: "1a2b3c4d5e6f", "-dirty" after it).
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SRC} describe --always --dirty --abbrev=12
                          --exclude=*
                  OUTPUT_VARIABLE described OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE failed ERROR_QUIET)
  if(NOT failed AND described)
    set(commit "git ${described}")
  endif()
endif()
set(text "// Written by sentry/cmd/version.cmake: do not edit.
#include \"sentry/cmd/version.h\"

namespace sentry::cmd {

const char* const kVersion = \"${VERSION}\";
const char* const kCommit = \"${commit}\";

}  // namespace sentry::cmd
")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
