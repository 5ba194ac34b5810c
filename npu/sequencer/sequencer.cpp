#include "npu/sequencer/sequencer.hpp"

namespace npusim::npu {

Sequencer::Sequencer(const sc_core::sc_module_name& name, CoreState& state, std::vector<UnitQueue*> queues,
                     FlagTable& flags)
    : sc_core::sc_module(name), m_state(state), m_queues(std::move(queues)), m_flags(flags), m_scoreboard(state) {
  SC_HAS_PROCESS(Sequencer);
  SC_THREAD(thread);
}

void Sequencer::blocked(bool b) {
  if (m_state.signals) m_state.signals->busy[kSequencerUnit]->write(b);
}

void Sequencer::sync(Cycle local) {
  const Cycle now = now_cycles();
  if (local > now) wait_cycles(local - now);
}

void Sequencer::drain(Cycle& local) {
  sync(local);
  blocked(true);
  for (std::uint32_t idx : m_scoreboard.in_flight(local)) m_state.wait_done(idx);
  blocked(false);
  local = now_cycles();
}

void Sequencer::thread() {
  UnitCounters& me = m_state.counters[kSequencerUnit];
  const std::uint32_t issue = m_state.hw.core.sequencer.issue_cycles;
  Cycle local = now_cycles();
  const auto n = static_cast<std::uint32_t>(m_state.stream.code.size());
  for (std::uint32_t idx = 0; idx < n; ++idx) {
    m_current = idx;
    const Instruction& in = m_state.instruction(idx);
    InstrRecord& rec = m_state.records[idx];
    local += issue;
    me.busy_cycles += issue;
    ++me.instructions;
    const std::uint32_t unit = unit_of(in);
    if (unit == kSequencerUnit) {
      rec.dispatch = rec.start = local;
      const Cycle before = local;
      switch (in.op) {
        case Opcode::barrier:
          drain(local);
          me.stall(Stall::barrier) += local - before;
          break;
        case Opcode::signal:
          drain(local);
          m_flags.signal(in.operands[0].id);
          me.stall(Stall::sync) += local - before;
          break;
        case Opcode::wait:
          sync(local);
          blocked(true);
          m_flags.wait(in.operands[0].id);
          blocked(false);
          local = now_cycles();
          me.stall(Stall::sync) += local - before;
          break;
        default: break;
      }
      rec.end = rec.done = local;
      m_state.progress(kSequencerUnit).notify(sc_core::SC_ZERO_TIME);
      continue;
    }
    UnitQueue& q = *m_queues[unit];
    if (q.full()) {
      sync(local);
      const Cycle before = local;
      blocked(true);
      while (q.full()) sc_core::wait(q.popped());
      blocked(false);
      local = now_cycles();
      me.stall(Stall::queue_full) += local - before;
    }
    const QueueEntry entry{idx, accesses(m_state.program, in)};
    m_scoreboard.dispatch(idx, entry.access, local);
    rec.dispatch = local;
    q.push(entry);
  }
  m_current = kNoInstruction;
  m_finish_cycle = local;
  sync(local);
  m_finished = true;
}

}  // namespace npusim::npu
