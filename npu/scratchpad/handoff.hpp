#pragma once
/// Layout hand-offs between the matrix and the vector unit (layout_map.hpp says which layout
/// each scratchpad byte is in). plan_layout() decides, for one instruction, which source bytes
/// must change layout and in which layout its result lands; the units apply it as they run.
///
/// How a change is paid depends on handoff.via. `consumer`: the consuming unit adds
/// handoff.<direction>.fixed_cycles plus the bytes at its bandwidth (compute_unit.hpp).
/// `vector`: the vector unit converts. lower_handoffs() then walks each stream in program
/// order, as the units will see it, and inserts `vec.layout BUF to=...` before every instruction
/// that would read bytes of the other unit's layout, so the conversion is ordinary vector work:
/// it occupies the vector unit for the bytes converted (vector.ops.layout), shows in the stats,
/// the trace and the printed program, and the consumer depends on it through the scoreboard.
#include <cstdint>

#include "npu/isa/access.hpp"
#include "npu/isa/program.hpp"
#include "npu/scratchpad/layout_map.hpp"

namespace npusim::npu {

/// How an instruction meets the layouts of its operands.
struct LayoutPlan {
  std::uint64_t convert_bytes = 0;  ///< source bytes to hand off into this unit's layout
  Layout result = Layout::neutral;  ///< layout the destination is written in
};

/// True when the instruction is element-wise with no broadcast operand (layout-agnostic).
bool is_layout_agnostic(const Program& p, const Instruction& in);

/// False when plan_layout() does not look at `in`'s accesses, so that a caller may pass an empty
/// AccessSet instead of building one: every byte is neutral, `in` is a vec.layout, or a matmul
/// while no byte is in the vector layout (nothing to convert in any of them).
inline bool plan_reads_access(const Instruction& in, const LayoutMap& layouts) {
  if (in.op == Opcode::vec_layout || layouts.empty()) return false;
  return in.unit() != UnitKind::matrix || layouts.holds(Layout::vector);
}

/// The plan for a matrix or vector instruction given the layouts now in `layouts`.
/// Matrix: vector-layout sources are converted, the result is in the matrix layout.
/// Vector: see vector_unit.hpp; vec.layout itself converts nothing and writes its target layout.
LayoutPlan plan_layout(const Program& p, const Instruction& in, const AccessSet& access, const LayoutMap& layouts);
/// The same with is_layout_agnostic(p, in) known: `agnostic`.
LayoutPlan plan_layout(const Program& p, const Instruction& in, const AccessSet& access, const LayoutMap& layouts,
                       bool agnostic);

/// With handoff.via = vector, makes every layout change of `p` an explicit vec.layout
/// instruction (one per source operand that holds bytes of the other unit's layout), inserted
/// before its consumer with the consumer's line. Returns how many it inserted. Addresses must
/// have been assigned (check_program() calls this last).
std::uint64_t lower_handoffs(Program& p, const NpuConfig& hw);

}  // namespace npusim::npu
