#pragma once
/// A unit whose instruction cost is known when it starts (matrix, vector), with the layout
/// hand-off. Each scratchpad byte is in the layout of the unit that wrote it (layout_map.hpp).
/// An instruction that must see data in its own unit's layout pays handoff.fixed_cycles plus
/// the bytes at handoff.bandwidth on top of its own cost (handoff.via: consumer; with via:
/// vector the conversions are vec.layout instructions of their own and nothing is paid here);
/// which data that is, and in which layout the results land, plan_layout() decides (handoff.hpp).
///
/// Layouts and numerics are worked out at dispatch, in program order: every instruction that
/// touches bytes another one writes is ordered after it by the scoreboard, so program order
/// is the order in which the hardware would see them.
#include <array>
#include <type_traits>

#include "npu/core/exec_unit.hpp"
#include "npu/scratchpad/handoff.hpp"

namespace npusim::npu {

class ComputeUnit : public ExecUnit {
 protected:
  ComputeUnit(CoreState& state, std::uint32_t unit, UnitHost& host, const HandoffDirection& into_me,
              std::uint32_t port_bytes);

  /// The instruction's cost on this unit (matrix_timing / vector_timing).
  virtual InstructionCost cost(const Instruction& in, const AccessSet& access) const = 0;

 private:
  void prepare(ThreadState& thread, QueueEntry& e) override;
  void run(const QueueEntry& entry, Cycle start) override;
  /// Hand-off cycles for `bytes` converted for an instruction, counted in the stats.
  Cycle handoff(std::uint64_t bytes);

  /// A cost and its worst case, remembered: streams repeat the same shapes over and over.
  struct Costed {
    InstructionCost cost;
    Cycle worst = 0;
    double ideal = 0;  ///< vector: elements / lanes x the op's interval (the vector bound)
  };
  /// The cost of `in` and what follows from it.
  Costed make_costed(const Instruction& in, const AccessSet& access) const;
  /// What decides a cost when no region's cost depends on its address (cost_ignores_address()):
  /// the opcode, the transposes and accumulation, and each operand's kind, dtype and shape.
  struct CostKey {
    std::uint8_t op, noperands, flags, unused;
    struct Part {
      std::uint8_t kind, space, dtype, contiguous;
      std::uint32_t rows, cols;
    } parts[kMaxOperands];
  };
  static_assert(std::has_unique_object_representations_v<CostKey>, "keys compare as bytes: no padding");
  const Costed& costed(const Instruction& in, const AccessSet& access);

  /// What prepare() needs of an instruction that depends on nothing but the instruction itself
  /// (its opcode, attributes and operands, all interned: equal ids, equal instruction), memoised
  /// by those ids. Streams repeat identical instructions, so most lookups hit and skip building
  /// the cost key, the address test and the layout-agnostic test.
  struct IdKey {
    std::uint32_t op_n, attrs;  ///< op_n: opcode << 8 | noperands, never 0 (a unit's instruction has a destination)
    std::array<std::uint32_t, kMaxOperands> ids;
    static_assert(kMaxOperands == 4, "operator== compares four ids");
    bool operator==(const IdKey& o) const {  // field by field: std::array's == calls memcmp
      return op_n == o.op_n && attrs == o.attrs && ids[0] == o.ids[0] && ids[1] == o.ids[1] && ids[2] == o.ids[2] &&
             ids[3] == o.ids[3];
    }
  };
  struct IdSlot {  ///< all zero: empty
    IdKey key;
    std::uint32_t cost;  ///< index into m_known_costs
    bool agnostic;       ///< is_layout_agnostic()
  };
  /// The memo entry of `in`; its cost is m_known_costs[slot.cost].
  const IdSlot& known(const Instruction& in);

  const HandoffDirection m_into_me;
  const std::uint32_t m_port_bytes;
  struct MemoSlot {
    bool valid = false;
    CostKey key;
    Costed value;
  };
  std::vector<MemoSlot> m_memo;
  /// Two-way set-associative: set s is m_known[2s] and m_known[2s + 1]; a power of two sets.
  /// Small slots, with the costs apart, so that a lookup touches one line of keys. Zeroed
  /// arrays: a run pays the page faults of the sets it fills, not of all of them.
  ZeroedArray<IdSlot> m_known;
  ZeroedArray<std::uint8_t> m_known_last;  ///< per set, the way hit or filled last
  std::vector<Costed> m_known_costs;       ///< grows only as slots fill
  Costed m_uncached;
};

}  // namespace npusim::npu
