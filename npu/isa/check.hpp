#pragma once
/// Checks a program against the ISA's rules and against one hardware config, and assigns
/// addresses. Every program, parsed or built, passes through here before a model runs it.
#include "npu/config.hpp"
#include "npu/isa/program.hpp"

namespace npusim::npu {

/// DRAM tensors are placed one after another at this alignment.
inline constexpr std::uint64_t kDramAlignment = 4096;

/// Validates operand kinds, shapes, dtypes and attributes of every instruction, the hardware
/// limits (cores, DMA queues, supported dtypes, scratchpad capacity) and the flag protocol;
/// then lays out buffers in the scratchpad and tensors in DRAM, and last, with handoff.via =
/// vector, inserts the layout conversions (lower_handoffs(), handoff.hpp). Throws InputError
/// listing every problem as "SOURCE:LINE: message".
void check_program(Program& p, const NpuConfig& hw);

/// Bytes of scratchpad the program's buffers need when laid out automatically (aliases take no
/// space; each buffer starts at the bank-width alignment).
std::uint64_t scratchpad_footprint(const Program& p, const ScratchpadConfig& sp);

/// Bytes of DRAM the program's tensors occupy once laid out.
std::uint64_t dram_footprint(const Program& p);

}  // namespace npusim::npu
