#pragma once
/// The memory regions an instruction reads and writes: the scoreboard's and the timing
/// models' view of an instruction.
#include <array>

#include "npu/common/region.hpp"
#include "npu/isa/program.hpp"

namespace npusim::npu {

/// Reads and writes of one instruction. Sources first, in operand order; a matmul with `acc`
/// also reads its destination.
struct AccessSet {
  std::array<Region, 4> reads{};
  std::uint8_t nreads = 0;
  Region write{};
  bool has_write = false;
};

/// The byte region a tensor operand covers (addresses must have been assigned).
Region region_of(const Program& p, const Operand& o);

AccessSet accesses(const Program& p, const Instruction& in);

}  // namespace npusim::npu
