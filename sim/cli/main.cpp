#include <cstdlib>
#include <iostream>
#include <systemc>

#include "sim/cli/cli.hpp"

// SystemC prints a banner on stderr before sc_main unless this is set; keep stderr for npusim's
// own messages. A static initialiser runs before libsystemc's main().
static const bool kQuietSystemC = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;

// libsystemc provides main() and calls sc_main(); npusim elaborates its models per run.
int sc_main(int argc, char* argv[]) { return npusim::sim::run_cli(argc, argv, std::cout, std::cerr); }
