#pragma once
/// Scratchpad port and bank model.
///
/// A requester moves at most `port_bytes` per cycle ("a beat"). Rows at least a port wide are
/// streamed in contiguous beats; narrower rows are gathered, floor(port / row_bytes) rows per
/// beat. Addresses interleave across banks word by word (bank = (address / bank_width) % banks)
/// and each bank serves `ports_per_bank` distinct words per cycle, so a beat costs
/// max over banks of ceil(words in that bank / ports_per_bank) cycles, at least 1.
/// Conflict-free, an access costs exactly one cycle per beat.
#include "npu/common/cycles.hpp"
#include "npu/common/region.hpp"
#include "npu/config.hpp"
#include "npu/core/instruction_cost.hpp"
#include "npu/isa/access.hpp"

namespace npusim::npu {

struct AccessCost {
  Cycle cycles = 0;                ///< with bank conflicts
  Cycle conflict_free_cycles = 0;  ///< one per beat
};

AccessCost access_cost(const Region& r, std::uint32_t port_bytes, const ScratchpadConfig& sp);

/// True when access_cost(r, ...) depends on r's shape alone, not on where it starts: its rows
/// stream (contiguous, or at least a port wide) and no beat of the port can conflict.
bool cost_ignores_address(const Region& r, std::uint32_t port_bytes, const ScratchpadConfig& sp);

/// Completes the cost of a compute instruction whose `compute_cycles` are set: its operands
/// stream through a read port and a write port of `port_bytes` each, so
/// busy = startup + max(compute, reads, writes), and bank_conflict_cycles is how much longer
/// that is than with conflict-free beats. Also fills the read/write cycles and bytes.
void charge_ports(InstructionCost& c, Cycle startup, const AccessSet& access, std::uint32_t port_bytes,
                  const ScratchpadConfig& sp);

}  // namespace npusim::npu
