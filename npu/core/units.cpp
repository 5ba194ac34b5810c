#include "npu/core/units.hpp"

namespace npusim::npu {

std::string unit_name(std::uint32_t unit) {
  switch (unit) {
    case kSequencerUnit: return "sequencer";
    case kMatrixUnit: return "matrix";
    case kVectorUnit: return "vector";
    default: return "dma" + std::to_string(unit - kFirstDmaUnit);
  }
}

std::vector<std::string> unit_names(const CoreConfig& c) {
  std::vector<std::string> names;
  for (std::uint32_t u = 0; u < unit_count(c); ++u) names.push_back(unit_name(u));
  return names;
}

std::string_view stall_name(Stall s) {
  static constexpr std::string_view names[kStallCount] = {"issue",          "queue_full",  "barrier",
                                                          "sync",           "bank_conflict", "dram_bandwidth",
                                                          "matrix_lock",    "vector_context"};
  return names[static_cast<int>(s)];
}

void UnitCounters::add(const UnitCounters& o) {
  instructions += o.instructions;
  busy_cycles += o.busy_cycles;
  for (int i = 0; i < kStallCount; ++i) stall_cycles[i] += o.stall_cycles[i];
  if (dependency_cycles.size() < o.dependency_cycles.size()) dependency_cycles.resize(o.dependency_cycles.size());
  for (std::size_t i = 0; i < o.dependency_cycles.size(); ++i) dependency_cycles[i] += o.dependency_cycles[i];
  sp_read_bytes += o.sp_read_bytes;
  sp_write_bytes += o.sp_write_bytes;
  macs += o.macs;
  peak_mac_cycles += o.peak_mac_cycles;
  elements += o.elements;
  vectors += o.vectors;
  lane_slots += o.lane_slots;
  ideal_cycles += o.ideal_cycles;
  handoffs += o.handoffs;
  handoff_bytes += o.handoff_bytes;
  handoff_cycles += o.handoff_cycles;
  dram_read_bytes += o.dram_read_bytes;
  dram_write_bytes += o.dram_write_bytes;
  dram_read_payload_bytes += o.dram_read_payload_bytes;
  dram_write_payload_bytes += o.dram_write_payload_bytes;
}

}  // namespace npusim::npu
