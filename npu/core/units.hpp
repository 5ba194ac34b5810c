#pragma once
/// Units of a core and the stall causes counted against them.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "npu/common/cycles.hpp"
#include "npu/isa/instruction.hpp"

namespace npusim::npu {

/// Unit indices inside a core: 0 sequencer, 1 matrix, 2 vector, 3 + q the DMA queue q.
inline constexpr std::uint32_t kSequencerUnit = 0;
inline constexpr std::uint32_t kMatrixUnit = 1;
inline constexpr std::uint32_t kVectorUnit = 2;
inline constexpr std::uint32_t kFirstDmaUnit = 3;

inline std::uint32_t unit_count(const CoreConfig& c) { return kFirstDmaUnit + c.dma.queues; }

/// The unit an instruction runs on.
inline std::uint32_t unit_of(const Instruction& in) {
  switch (in.unit()) {
    case UnitKind::sequencer: return kSequencerUnit;
    case UnitKind::matrix: return kMatrixUnit;
    case UnitKind::vector: return kVectorUnit;
    case UnitKind::dma: return kFirstDmaUnit + in.queue;
  }
  return kSequencerUnit;
}

/// "sequencer", "matrix", "vector", "dma0", "dma1", ...
std::string unit_name(std::uint32_t unit);
std::vector<std::string> unit_names(const CoreConfig& c);

/// Why a unit lost cycles. Dependencies are counted separately, per producing unit.
enum class Stall : std::uint8_t {
  issue,           ///< an execution unit idle with an empty queue while it still had work to come
  queue_full,      ///< the sequencer blocked on a full unit queue
  barrier,         ///< the sequencer waiting at a barrier for earlier instructions
  sync,            ///< the sequencer in `signal` (draining) or `wait` (flag not yet set)
  bank_conflict,   ///< cycles bank conflicts added to an instruction on its unit
  dram_bandwidth,  ///< cycles a DMA transfer lost to other transfers sharing DRAM bandwidth
  matrix_lock,     ///< a thread in matrix.acquire (unit held by another, plus lock_cycles) or matrix.release
  vector_context,  ///< a thread waiting for a free vector context
};
inline constexpr int kStallCount = 8;
std::string_view stall_name(Stall s);

/// Counters of one unit, kept as plain integers during the run.
struct UnitCounters {
  std::uint64_t instructions = 0;
  Cycle busy_cycles = 0;
  Cycle stall_cycles[kStallCount] = {};
  std::vector<Cycle> dependency_cycles;  ///< per producing unit index
  std::uint64_t sp_read_bytes = 0;
  std::uint64_t sp_write_bytes = 0;
  // matrix
  std::uint64_t macs = 0;
  double peak_mac_cycles = 0;
  // vector
  std::uint64_t elements = 0;
  std::uint64_t vectors = 0;
  std::uint64_t lane_slots = 0;
  double ideal_cycles = 0;  ///< sum over instructions of elements / lanes x the op's interval
  // hand-off into this unit's layout
  std::uint64_t handoffs = 0;
  std::uint64_t handoff_bytes = 0;
  Cycle handoff_cycles = 0;
  // DMA
  std::uint64_t dram_read_bytes = 0;
  std::uint64_t dram_write_bytes = 0;
  std::uint64_t dram_read_payload_bytes = 0;
  std::uint64_t dram_write_payload_bytes = 0;

  Cycle& stall(Stall s) { return stall_cycles[static_cast<int>(s)]; }
  Cycle stall(Stall s) const { return stall_cycles[static_cast<int>(s)]; }
  /// Adds another unit's counters (same unit on another core).
  void add(const UnitCounters& o);
};

}  // namespace npusim::npu
