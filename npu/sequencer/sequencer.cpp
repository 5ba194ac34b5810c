#include "npu/sequencer/sequencer.hpp"

#include "npu/core/signal_trace.hpp"

namespace npusim::npu {

Sequencer::Sequencer(CoreState& state, std::uint32_t thread, SequencerHost& host, FlagTable& flags,
                     std::vector<ExecUnit*> units)
    : m_state(state),
      m_thread(state.threads[thread]),
      m_host(host),
      m_flags(flags),
      m_units(std::move(units)),
      m_scoreboard(m_thread, state.program),
      m_me(state.counters[kSequencerUnit]),
      m_shared(state.working.size() > 1) {}

void Sequencer::next(Cycle at) {
  m_local = at;
  ++m_pc;
  m_charged = false;
  m_granted = false;
  m_queue_full.clear();
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

Cycle Sequencer::next_dispatch() const {
  if (finished()) return kUnknownCycle;
  return m_charged ? m_local : m_local + m_state.hw.core.sequencer.issue_cycles;
}

Cycle Sequencer::lock_free_at() const {
  return m_state.matrix_holder == kNoThread ? m_state.matrix_free_at : kUnknownCycle;
}

std::size_t Sequencer::free_context() const {
  std::size_t best = m_state.contexts.size();
  for (std::size_t c = 0; c < m_state.contexts.size(); ++c) {
    if (m_state.contexts[c] == kUnknownCycle) continue;
    if (best == m_state.contexts.size() || m_state.contexts[c] < m_state.contexts[best]) best = c;
  }
  return best;
}

Cycle Sequencer::pending_grant() const {
  if (finished() || !m_charged || m_granted) return kUnknownCycle;
  const Instruction& in = m_thread.instruction(m_pc);
  if (in.op == Opcode::matrix_acquire) {
    const Cycle free = lock_free_at();
    return free == kUnknownCycle ? kUnknownCycle : std::max(m_local, free);
  }
  if (in.unit() == UnitKind::vector && !m_thread.holds_context) {
    const std::size_t c = free_context();
    return c == m_state.contexts.size() ? kUnknownCycle : std::max(m_local, m_state.contexts[c]);
  }
  return kUnknownCycle;
}

void Sequencer::grant() { m_granted = true; }

bool Sequencer::release_context() {
  if (!m_thread.holds_context || !finished() || m_thread.vector_unfinished > 0) return false;
  m_state.contexts[m_context] = std::max(m_local, m_thread.vector_latest_done);
  m_thread.holds_context = false;
  return true;
}

bool Sequencer::issue() {
  if (finished()) return false;
  if (m_queue_full.holds(m_thread)) return false;
  const std::uint32_t idx = m_pc;
  const Instruction& in = m_thread.instruction(idx);
  if (!m_charged) {
    m_charged = true;
    if (in.unit() == UnitKind::sequencer) m_state.shared.add_bound(worst_case_cycles(in, {}, m_state.hw));
    m_local += m_state.hw.core.sequencer.issue_cycles;
    m_me.busy_cycles += m_state.hw.core.sequencer.issue_cycles;
    ++m_me.instructions;
  }
  Cycle ready = m_local;
  const std::uint32_t unit = unit_of(in);
  if (unit == kSequencerUnit) {
    Cycle at = ready;
    switch (in.op) {
      case Opcode::barrier:
      case Opcode::signal:
        if (m_thread.unfinished > 0) return blocked(ready);  // drains every earlier instruction
        at = std::max(ready, m_thread.latest_done);
        if (in.op == Opcode::signal) {
          if (!m_host.reached(at)) return blocked(ready);
          m_flags.signal(m_state.program.dst(in).id, at);
        }
        stall(in.op == Opcode::barrier ? Stall::barrier : Stall::sync, ready, at);
        break;
      case Opcode::wait: {
        if (!m_host.reached(ready)) return blocked(ready);
        const Cycle raised = m_flags.try_wait(m_state.program.dst(in).id, m_state.core);
        if (raised == kUnknownCycle) return blocked(ready);
        at = std::max({ready, now_cycles(), raised});
        stall(Stall::sync, ready, at);
        break;
      }
      case Opcode::matrix_acquire: {
        const Cycle free = lock_free_at();
        if ((m_shared && !m_granted) || free == kUnknownCycle) return blocked(ready);  // granted in cycle order
        at = std::max(ready, free) + m_state.hw.core.matrix.lock_cycles;
        if (free > ready && m_state.matrix_released_by_thread != m_thread.index) {
          m_thread.unit_prevs.push_back({idx, m_state.matrix_released_by_thread, m_state.matrix_released_by});
        }
        m_state.matrix_holder = m_thread.index;
        stall(Stall::matrix_lock, ready, at);
        break;
      }
      case Opcode::matrix_release:
        if (m_thread.matrix_unfinished > 0) return blocked(ready);  // its matmuls complete first
        at = std::max(ready, m_thread.matrix_latest_done);
        m_state.matrix_holder = kNoThread;
        m_state.matrix_free_at = at;
        m_state.matrix_released_by_thread = m_thread.index;
        m_state.matrix_released_by = idx;
        stall(Stall::matrix_lock, ready, at);
        break;
      default: break;
    }
    m_thread.set_dispatch(idx, ready);
    m_thread.set_start(idx, ready);
    m_thread.set_end(idx, at, at);
    m_thread.set_deps_end(idx);
    next(at);
    return true;
  }
  if (unit == kVectorUnit && !m_thread.holds_context) {
    const std::size_t c = free_context();
    if ((m_shared && !m_granted) || c == m_state.contexts.size()) return blocked(ready);  // granted in cycle order
    const Cycle at = std::max(ready, m_state.contexts[c]);
    m_state.contexts[c] = kUnknownCycle;
    m_thread.holds_context = true;
    m_context = c;
    stall(Stall::vector_context, ready, at);
    m_local = ready = at;
  }
  ExecUnit& x = *m_units[unit];
  const Cycle dispatch = x.slot_free(m_thread.index, ready);
  if (dispatch == kUnknownCycle) {
    // With other threads, their instructions can free the unit too (or take the slot first).
    if (!m_shared) m_queue_full.mark(m_thread);
    return blocked(ready);
  }
  stall(Stall::queue_full, ready, dispatch);
  m_scoreboard.dispatch(idx, dispatch, m_thread.dep_pool);
  m_thread.set_deps_end(idx);
  m_thread.set_dispatch(idx, dispatch);
  next(dispatch);
  x.dispatch(m_thread.index, idx);
  while (x.try_start()) {
  }
  return true;
}

}  // namespace npusim::npu
