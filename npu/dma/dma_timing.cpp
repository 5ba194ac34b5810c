#include "npu/dma/dma_timing.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "npu/isa/access.hpp"

namespace npusim::npu {

std::uint64_t dram_bus_bytes(const Region& r, std::uint32_t burst) {
  auto segment = [burst](std::uint64_t address, std::uint64_t len) {
    return ((address + len - 1) / burst - address / burst + 1) * burst;
  };
  if (r.rows == 0 || r.row_bytes == 0) return 0;
  if (r.contiguous()) return segment(r.address, r.bytes());
  if (r.stride_bytes % burst == 0) return r.rows * segment(r.address, r.row_bytes);  // rows align alike
  std::uint64_t total = 0;
  for (std::uint32_t k = 0; k < r.rows; ++k) total += segment(r.address + k * r.stride_bytes, r.row_bytes);
  return total;
}

Cycle transfer_cycles(double bytes, double bytes_per_cycle) {
  // The relative slack absorbs rounding in rates such as 25.6 B/cycle without ever adding a cycle
  // to an exact ratio.
  const double cycles = std::ceil(bytes / bytes_per_cycle * (1.0 - 1e-12));
  if (!(cycles <= double(kMaxCycles))) {  // also an infinite or undefined duration
    throw InputError(fmt::format("moving {} bytes at {} B/cycle takes {} cycles, more than the {} npusim can "
                                 "represent",
                                 bytes, bytes_per_cycle, cycles, grouped(kMaxCycles)));
  }
  return static_cast<Cycle>(cycles);
}

InstructionCost dma_cost(bool load, const Region& dram_side, const CoreConfig& cfg, const DramConfig& dram) {
  InstructionCost c;
  c.dram_payload_bytes = dram_side.bytes();
  c.dram_bus_bytes = dram_bus_bytes(dram_side, dram.burst_bytes);
  c.dram_write = !load;
  (load ? c.sp_write_bytes : c.sp_read_bytes) = c.dram_payload_bytes;
  c.dma_fixed_cycles = cfg.dma.setup_cycles;
  c.dma_cap_bytes_per_cycle = std::min(cfg.dma.bytes_per_cycle, dram.bytes_per_cycle);
  c.dma_ideal_transfer_cycles = transfer_cycles(double(c.dram_bus_bytes), c.dma_cap_bytes_per_cycle);
  c.busy = c.dma_fixed_cycles + c.dma_ideal_transfer_cycles;
  c.latency = dram.latency_cycles;
  return c;
}

InstructionCost dma_cost(const Instruction& in, const AccessSet& acc, const CoreConfig& cfg, const DramConfig& dram) {
  const bool load = in.op == Opcode::dma_load;
  return dma_cost(load, load ? acc.reads[0] : acc.write, cfg, dram);
}

}  // namespace npusim::npu
