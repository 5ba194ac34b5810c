#pragma once
/// The npusim command line. Exit codes: 0 success, 2 bad input (usage, config, program, tensor
/// file), 3 simulation error (a program that cannot finish, an internal error), 4 a sweep or merge
/// that finished but some of whose points failed. 1 is never used.
#include <iosfwd>

namespace npusim::sim {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitSimError = 3;
inline constexpr int kExitPointsFailed = 4;

/// Runs one npusim command; `out` gets results, `err` gets messages.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace npusim::sim
