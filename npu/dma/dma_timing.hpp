#pragma once
/// DMA timing, static part. A descriptor occupies its queue for dma.setup_cycles plus the
/// transfer; DRAM moves whole bursts, so each row of the DRAM-side region costs every burst it
/// touches (a 2-D strided copy of narrow rows wastes bandwidth). The transfer runs at
/// min(dma.bandwidth, dram.bandwidth) when alone; when several engines (of this or other cores)
/// transfer at once they share DRAM bandwidth (dram/dram.hpp). The data is in place
/// dram.latency_cycles after the transfer: requests are pipelined, so the latency of one
/// descriptor overlaps the next one's transfer rather than blocking the queue.
#include "npu/core/instruction_cost.hpp"
#include "npu/isa/access.hpp"
#include "npu/isa/program.hpp"

namespace npusim::npu {

/// Bytes a region costs on the DRAM interface once rounded to whole bursts.
std::uint64_t dram_bus_bytes(const Region& r, std::uint32_t burst_bytes);

/// Cycles to move `bytes` at `bytes_per_cycle` (whole cycles; exact when the ratio is integral).
/// InputError when that is more than kMaxCycles (or not a number).
Cycle transfer_cycles(double bytes, double bytes_per_cycle);

/// The cost of a dma_load (`load`) or dma_store whose DRAM-side region is `dram_side`.
InstructionCost dma_cost(bool load, const Region& dram_side, const CoreConfig& cfg, const DramConfig& dram);
/// The same for `in`, with `access` = accesses(p, in).
InstructionCost dma_cost(const Instruction& in, const AccessSet& access, const CoreConfig& cfg, const DramConfig& dram);

}  // namespace npusim::npu
