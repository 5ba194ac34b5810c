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
  /// Sets no read: every instruction passes here, and zeroing the four a tenth of a run's time.
  AccessSet() {}
  union {
    std::array<Region, 4> reads;  ///< the first `nreads` are set
  };
  std::uint8_t nreads = 0;
  Region write{};
  bool has_write = false;
};

/// The byte region a tensor operand covers (addresses must have been assigned).
Region region_of(const Program& p, const Operand& o);

/// True once place_operands() has filled p.operand_regions and p.operand_extents for every
/// operand.
inline bool operands_placed(const Program& p) {
  return p.operand_regions.size() == p.operand_table.size();
}

/// The region of operand `i` of `in`: from p.operand_regions once placed, else worked out with
/// region_of().
inline Region operand_region(const Program& p, const Instruction& in, int i) {
  return operands_placed(p) ? p.operand_regions[in.operand_ids[i]] : region_of(p, p.operand(in, i));
}

/// What `in` reads and writes (operand_region() of each tensor operand).
AccessSet accesses(const Program& p, const Instruction& in);

/// Fills p.operand_regions and p.operand_extents (addresses must have been assigned;
/// check_program() calls it).
void place_operands(Program& p);

}  // namespace npusim::npu
