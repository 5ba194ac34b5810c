#include "npu/core/compute_unit.hpp"

#include <cstring>

#include "npu/dma/dma_timing.hpp"
#include "npu/scratchpad/bank_model.hpp"

namespace npusim::npu {
namespace {

constexpr int kKnownSetBits = 12;
constexpr std::size_t kKnownSets = std::size_t{1} << kKnownSetBits;

const AccessSet kNoAccess;

}  // namespace

ComputeUnit::ComputeUnit(CoreState& state, std::uint32_t unit, UnitHost& host, const HandoffDirection& into_me,
                         std::uint32_t port_bytes)
    : ExecUnit(state, unit, host), m_into_me(into_me), m_port_bytes(port_bytes), m_memo(256), m_known(2 * kKnownSets), m_known_last(kKnownSets) {}

ComputeUnit::Costed ComputeUnit::make_costed(const Instruction& in, const AccessSet& access) const {
  Costed out;
  out.cost = cost(in, access);
  out.worst = worst_case_cycles(in, out.cost, m_state.hw);
  const InstructionCost& c = out.cost;
  if (c.vectors) {
    const double lanes = double(c.lane_slots) / double(c.vectors);
    out.ideal = double(c.elements) / lanes * m_state.hw.core.vector.op(in.info().vclass).interval_cycles;
  }
  return out;
}

const ComputeUnit::Costed& ComputeUnit::costed(const Instruction& in, const AccessSet& access) {
  bool keyed = cost_ignores_address(access.write, m_port_bytes, m_state.hw.core.scratchpad);
  for (int i = 0; keyed && i < access.nreads; ++i) {
    keyed = cost_ignores_address(access.reads[i], m_port_bytes, m_state.hw.core.scratchpad);
  }
  if (!keyed) {
    m_uncached = make_costed(in, access);
    return m_uncached;
  }
  CostKey key{};  // no padding (asserted): keys compare as bytes
  key.op = static_cast<std::uint8_t>(in.op);
  key.noperands = in.noperands;
  const Program& p = m_state.program;
  const Attrs& at = p.attrs(in);
  key.flags = static_cast<std::uint8_t>(at.acc | at.ta << 1 | at.tb << 2);
  std::uint64_t h = key.op * 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < in.noperands; ++i) {
    const Operand& o = p.operand(in, i);
    CostKey::Part& part = key.parts[i];
    part.kind = static_cast<std::uint8_t>(o.kind);
    if (!o.is_tensor()) continue;
    part.space = static_cast<std::uint8_t>(o.space);
    part.dtype = static_cast<std::uint8_t>(p.dtype_of(o));
    part.contiguous = p.contiguous(o);
    part.rows = o.view.rows;
    part.cols = o.view.cols;
    h = (h ^ (std::uint64_t{part.rows} << 32 | part.cols) ^ part.dtype) * 0x100000001b3ULL;
  }
  MemoSlot& slot = m_memo[(h >> 32) % m_memo.size()];
  if (!slot.valid || std::memcmp(&slot.key, &key, sizeof key) != 0) {
    slot.valid = true;
    slot.key = key;
    slot.value = make_costed(in, access);
  }
  return slot.value;
}

const ComputeUnit::IdSlot& ComputeUnit::known(const Instruction& in) {
  NPUSIM_ASSERT(in.noperands > 0, "a unit's instruction has a destination");
  const IdKey key{static_cast<std::uint32_t>(in.op) << 8 | in.noperands, in.attrs_id, in.operand_ids};
  // Independent multiplies by odd constants; their top bits mix every bit of the key.
  const std::uint64_t h = (std::uint64_t{key.op_n} << 32 | key.attrs) * 0x9e3779b97f4a7c15ULL ^
                          (std::uint64_t{key.ids[0]} << 32 | key.ids[1]) * 0xc2b2ae3d27d4eb4fULL ^
                          (std::uint64_t{key.ids[2]} << 32 | key.ids[3]) * 0x165667b19e3779f9ULL;
  const std::size_t set = h >> (64 - kKnownSetBits);
  IdSlot* ways = &m_known[2 * set];
  for (std::uint8_t w = 0; w < 2; ++w) {
    if (ways[w].key == key) {
      m_known_last[set] = w;
      return ways[w];
    }
  }
  const std::uint8_t w = m_known_last[set] ^ 1;  // replace the way not used last
  m_known_last[set] = w;
  IdSlot& slot = ways[w];
  if (slot.key.op_n == 0) {  // empty
    slot.cost = static_cast<std::uint32_t>(m_known_costs.size());
    m_known_costs.emplace_back();
  }
  slot.key = key;
  slot.agnostic = is_layout_agnostic(m_state.program, in);
  m_known_costs[slot.cost] = costed(in, accesses(m_state.program, in));
  return slot;
}

Cycle ComputeUnit::handoff(std::uint64_t bytes) {
  if (bytes == 0) return 0;
  Cycle cycles = m_into_me.fixed_cycles;
  if (m_into_me.bytes_per_cycle > 0) cycles += transfer_cycles(double(bytes), m_into_me.bytes_per_cycle);
  ++m_counters.handoffs;
  m_counters.handoff_bytes += bytes;
  m_counters.handoff_cycles += cycles;
  return cycles;
}

void ComputeUnit::prepare(ThreadState& thread, QueueEntry& e) {
  const std::uint32_t idx = e.idx;
  const Instruction& in = thread.instruction(idx);
  const IdSlot& memo = known(in);
  const Costed& costs = m_known_costs[memo.cost];
  const Program& p = m_state.program;
  // The AccessSet is built only if the plan reads it.
  const LayoutPlan layout = plan_reads_access(in, m_state.layout)
                                ? plan_layout(p, in, accesses(p, in), m_state.layout, memo.agnostic)
                                : plan_layout(p, in, kNoAccess, m_state.layout, memo.agnostic);
  const Cycle extra = handoff(layout.convert_bytes);
  // The write's region, as accesses() gives it (the program's operands are placed).
  m_state.layout.assign(p.operand_regions[in.operand_ids[0]], layout.result);
  const InstructionCost& c = costs.cost;
  m_state.shared.add_bound(costs.worst);
  if (m_state.numerics) execute(p, in, m_state.hw.core, m_state.memories, m_state.numerics_counters);

  e.busy = c.busy + extra;
  e.latency = c.latency;
  UnitCounters& u = m_counters;
  u.busy_cycles += e.busy;
  u.stall(Stall::bank_conflict) += c.bank_conflict_cycles;
  u.sp_read_bytes += c.sp_read_bytes;
  u.sp_write_bytes += c.sp_write_bytes;
  u.macs += c.macs;
  u.peak_mac_cycles += c.peak_mac_cycles;
  u.elements += c.elements;
  u.vectors += c.vectors;
  u.lane_slots += c.lane_slots;
  if (c.vectors) u.ideal_cycles += costs.ideal;
  thread.set_contention(idx, static_cast<std::int64_t>(c.bank_conflict_cycles));
  if (in.op == Opcode::vec_layout) {  // via vector: the conversion is the hand-off into the other layout
    UnitCounters& into = m_state.counters[p.attrs(in).to_matrix ? kMatrixUnit : kVectorUnit];
    ++into.handoffs;
    into.handoff_bytes += c.sp_read_bytes;
    into.handoff_cycles += e.busy + e.latency;  // the conversion, its latency and handoff.sync_cycles
  }
  const Cycle handoff_cycles = in.op == Opcode::vec_layout ? e.busy : extra;
  if (handoff_cycles) thread.handoffs.push_back({idx, handoff_cycles});
}

void ComputeUnit::run(const QueueEntry& entry, Cycle start) { finish(entry, start + entry.busy, entry.latency); }

}  // namespace npusim::npu
