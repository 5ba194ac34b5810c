// Catch2 runs inside sc_main: libsystemc provides main(). Each simulation elaborates in a fresh
// SystemC context (npu/top/simulate.cpp), so test cases can run any number of models.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>
#include <systemc>

int sc_main(int argc, char* argv[]) { return Catch::Session().run(argc, argv); }
