# Writes OUT (npusim_revision.hpp) with the git revision of SRC, rewriting it only when it
# changes, so that only the files that print the revision rebuild after a commit.
execute_process(COMMAND git -C "${SRC}" describe --always --dirty --abbrev=12
                OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR rev STREQUAL "")
  set(rev "unknown (not a git checkout)")
endif()
set(text "#pragma once\nnamespace npusim {\ninline constexpr const char* kGitRevision = \"${rev}\";\n}\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
