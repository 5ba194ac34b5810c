#include <cstdlib>
#include <iostream>
#include <systemc>

#include "sim/cli/cli.hpp"

// libsystemc provides main() and calls sc_main(); npusim elaborates its models per run.
int sc_main(int argc, char* argv[]) { return npusim::sim::run_cli(argc, argv, std::cout, std::cerr); }
