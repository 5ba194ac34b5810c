#pragma once
/// The npusim command line. Exit codes: 0 success, 2 bad input (usage, config, program, tensor
/// file), 3 simulation error (a program that cannot finish, an internal error).
#include <iosfwd>

namespace npusim::sim {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitSimError = 3;

/// Runs one npusim command; `out` gets results, `err` gets messages.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace npusim::sim
