#pragma once
// Fuzz harnesses for the three readers of untrusted files: the hardware spec reader, the
// .npuasm parser and checker, and the .npy reader. Each takes any bytes; a clean InputError is
// the expected answer to bad input, and anything else (another exception, a crash, a sanitizer
// report, a broken round trip) is a finding. libFuzzer drives them (NPUSIM_FUZZ=ON builds
// fuzz_spec, fuzz_npuasm, fuzz_npy); fuzz_smoke replays the committed corpus in every build.
#include <cstddef>
#include <cstdint>

namespace npusim::fuzz {

/// parse_hw_config; a spec that reads must write a config.yaml that reads back to the same.
void spec(const std::uint8_t* data, std::size_t size);
/// parse_program, print_program (a fixed point) and check_program on a small NPU.
void npuasm(const std::uint8_t* data, std::size_t size);
/// read_npy from memory; every element of an array that reads must be readable.
void npy(const std::uint8_t* data, std::size_t size);

}  // namespace npusim::fuzz
