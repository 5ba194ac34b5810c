// libFuzzer entry point; FUZZ_HARNESS names the harness (spec, npuasm or npy) at compile time.
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  npusim::fuzz::FUZZ_HARNESS(data, size);
  return 0;
}

// libsystemc, linked through the simulator's libraries, wants an sc_main; libFuzzer's main runs.
extern "C" int sc_main(int, char**) { return 0; }
