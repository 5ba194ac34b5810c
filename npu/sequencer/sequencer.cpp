#include "npu/sequencer/sequencer.hpp"

#include "npu/core/signal_trace.hpp"

namespace npusim::npu {

Sequencer::Sequencer(CoreState& state, SequencerHost& host, FlagTable& flags)
    : m_state(state), m_host(host), m_flags(flags), m_scoreboard(state.records), m_me(state.counters[kSequencerUnit]) {}

void Sequencer::next(Cycle at) {
  m_local = at;
  ++m_pc;
  m_charged = false;
}

bool Sequencer::blocked(Cycle from) {
  if (m_state.trace && !m_blocked) m_state.trace->blocked(m_state.core, from, true);
  m_blocked = true;
  return false;
}

void Sequencer::stall(Stall cause, Cycle from, Cycle at) {
  m_me.stall(cause) += at - from;
  if (m_state.trace && (m_blocked || at > from)) {
    if (!m_blocked) m_state.trace->blocked(m_state.core, from, true);
    m_state.trace->blocked(m_state.core, at, false);
  }
  m_blocked = false;
}

bool Sequencer::issue() {
  if (finished()) return false;
  const std::uint32_t idx = m_pc;
  const Instruction& in = m_state.instruction(idx);
  InstrRecord& rec = m_state.records[idx];
  if (!m_charged) {
    m_charged = true;
    if (in.unit() == UnitKind::sequencer) m_state.shared.add_bound(worst_case_cycles(in, {}, m_state.hw));
    m_local += m_state.hw.core.sequencer.issue_cycles;
    m_me.busy_cycles += m_state.hw.core.sequencer.issue_cycles;
    ++m_me.instructions;
  }
  const Cycle ready = m_local;
  const std::uint32_t unit = unit_of(in);
  if (unit == kSequencerUnit) {
    Cycle at = ready;
    switch (in.op) {
      case Opcode::barrier:
      case Opcode::signal:
        if (m_state.unfinished > 0) return blocked(ready);  // drains every earlier instruction
        at = std::max(ready, m_state.latest_done);
        if (in.op == Opcode::signal) {
          if (!m_host.reached(at)) return blocked(ready);
          m_flags.signal(in.operands[0].id);
        }
        stall(in.op == Opcode::barrier ? Stall::barrier : Stall::sync, ready, at);
        break;
      case Opcode::wait:
        if (!m_host.reached(ready) || !m_flags.try_wait(in.operands[0].id, m_state.core)) return blocked(ready);
        at = std::max(ready, now_cycles());
        stall(Stall::sync, ready, at);
        break;
      default: break;
    }
    rec.dispatch = rec.start = ready;
    rec.end = rec.done = at;
    next(at);
    return true;
  }
  ExecUnit& x = m_host.unit(unit);
  const Cycle dispatch = x.slot_free(ready);
  if (dispatch == kUnknownCycle) return blocked(ready);
  stall(Stall::queue_full, ready, dispatch);
  const AccessSet access = accesses(m_state.program, in);
  rec.deps_begin = static_cast<std::uint32_t>(m_state.dep_pool.size());
  m_scoreboard.dispatch(idx, access, dispatch, m_state.dep_pool);
  rec.deps_count = static_cast<std::uint32_t>(m_state.dep_pool.size() - rec.deps_begin);
  rec.dispatch = dispatch;
  next(dispatch);
  x.dispatch(idx, access);
  while (x.try_start()) {
  }
  return true;
}

}  // namespace npusim::npu
