#pragma once
/// Vector unit timing.
///
/// An instruction iterates over a shape (the destination; the source for reduce and transpose)
/// in a compute dtype (the destination's; the source's for reduce; the wider of the two for
/// cast and requant). lanes = vector.width / element size. When every full-shape operand is
/// contiguous the elements pack densely into ceil(elements / lanes) vectors; otherwise each row
/// is issued on its own, rows x ceil(cols / lanes) vectors, and short rows leave lanes idle.
/// Broadcast operands (one row, one column or one element) are replicated for free.
///
/// busy = startup + max(vectors x interval(op), port reads, port writes); results are ready
/// latency(op) cycles after that. interval and latency come from the `vector.ops` table; a
/// vec.layout's result is usable handoff.sync_cycles later still.
#include "npu/core/instruction_cost.hpp"
#include "npu/isa/access.hpp"
#include "npu/isa/program.hpp"

namespace npusim::npu {

/// Full cost of a vector instruction on this core.
/// `access` is accesses(p, in).
InstructionCost vector_cost(const Program& p, const Instruction& in, const AccessSet& access, const CoreConfig& cfg);

}  // namespace npusim::npu
