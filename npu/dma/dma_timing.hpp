#pragma once
/// DMA timing, static part. A descriptor costs dma.setup_cycles, then dram.latency_cycles until
/// data flows, then the transfer: DRAM moves whole bursts, so each row of the DRAM-side region
/// costs ceil over the bursts it touches (a 2-D strided copy of narrow rows wastes bandwidth).
/// The transfer runs at min(dma.bandwidth, dram.bandwidth) when alone; when several engines
/// (of this or other cores) transfer at once they share DRAM bandwidth (dram/dram.hpp).
#include "npu/core/instruction_cost.hpp"
#include "npu/isa/access.hpp"
#include "npu/isa/program.hpp"

namespace npusim::npu {

/// Bytes a region costs on the DRAM interface once rounded to whole bursts.
std::uint64_t dram_bus_bytes(const Region& r, std::uint32_t burst_bytes);

/// Cycles to move `bytes` at `bytes_per_cycle` (whole cycles; exact when the ratio is integral).
Cycle transfer_cycles(double bytes, double bytes_per_cycle);

/// `access` is accesses(p, in).
InstructionCost dma_cost(const Instruction& in, const AccessSet& access, const CoreConfig& cfg, const DramConfig& dram);

}  // namespace npusim::npu
