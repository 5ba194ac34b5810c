#include "sim/report/trace.hpp"

#include <algorithm>
#include <cstdio>
#include <fmt/format.h>
#include <map>

#include "npu/common/error.hpp"
#include "npu/core/instruction_cost.hpp"
#include "npu/core/units.hpp"
#include "npu/isa/asm.hpp"
#include "sim/io/output.hpp"
#include "sim/report/json.hpp"

namespace npusim::sim {
namespace {

class TraceWriter {
 public:
  TraceWriter(const std::string& path, double clock_hz) : m_out(path), m_us_per_cycle(1e6 / clock_hz) {
    m_file = m_out.open();
    std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", m_file);
  }
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  void finish(const std::string& other) {
    std::fputs(fmt::format("\n],\"otherData\":{}}}\n", other).c_str(), m_file);
    m_out.commit();  // the whole trace, or an InputError and no file
  }

  void event(const std::string& body) {
    if (m_events++) std::fputs(",\n", m_file);
    std::fputs(body.c_str(), m_file);
  }
  double ts(double cycle) const { return (cycle + m_offset) * m_us_per_cycle; }
  /// Cycles added to every timestamp (the start of a run within a sequence of runs).
  void set_offset(double cycles) { m_offset = cycles; }
  std::uint64_t events() const { return m_events; }

 private:
  AtomicFile m_out;
  std::FILE* m_file = nullptr;
  double m_us_per_cycle;
  double m_offset = 0;
  std::uint64_t m_events = 0;
};

/// A counter track as a step function: value changes at given cycles.
void counter(TraceWriter& w, std::uint32_t pid, const std::string& name, const std::string& series,
             std::vector<std::pair<Cycle, double>> deltas, Cycle until) {
  std::sort(deltas.begin(), deltas.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double value = 0;
  for (std::size_t i = 0; i < deltas.size();) {
    const Cycle t = deltas[i].first;
    if (t > until) break;
    while (i < deltas.size() && deltas[i].first == t) value += deltas[i++].second;
    if (std::fabs(value) < 1e-9) value = 0;
    w.event(fmt::format(R"({{"name":"{}","ph":"C","ts":{},"pid":{},"args":{{"{}":{}}}}})", name, w.ts(double(t)), pid,
                        series, value));
  }
}

}  // namespace

Cycle cycle_after_chunks(const npu::Program& p, const npu::RunResult& r, const std::string& tensor,
                         std::uint32_t chunks) {
  const npu::DramTensor* t = p.find_tensor(tensor);
  std::vector<Cycle> done;
  for (std::uint32_t c = 0; t && c < r.cores.size(); ++c) {
    for (std::uint32_t th = 0; th < r.cores[c].threads.size(); ++th) {
      const npu::Stream* s = p.find_stream(c, th);
      if (!s) continue;
      for (std::size_t i = 0; i < s->code.size(); ++i) {
        const npu::Instruction& in = s->code[i];
        if (in.op == npu::Opcode::dma_store && p.dst(in).id == std::uint32_t(t - p.tensors.data())) {
          done.push_back(r.cores[c].threads[th].done(static_cast<std::uint32_t>(i)));
        }
      }
    }
  }
  std::sort(done.begin(), done.end());
  if (chunks == 0 || done.size() < chunks) return r.cycles;
  return done[chunks - 1];
}

namespace {

/// The events of one run: one process per core (pid from `pid0`), named "`label`core N", with a
/// lane per unit and one per hardware thread's sequencer.
void emit_run(TraceWriter& w, const npu::NpuConfig& hw, const npu::Program& p, const npu::RunResult& r, Cycle until,
              std::uint32_t pid0, const std::string& label, std::uint64_t& flow_id) {
  const auto names = npu::unit_names(hw.core);
  for (std::uint32_t core = 0; core < r.cores.size(); ++core) {
    const std::uint32_t c = pid0 + core;
    w.event(fmt::format(R"({{"name":"process_name","ph":"M","pid":{},"args":{{"name":{}}}}})", c,
                        json_string(fmt::format("{}core {}", label, core))));
    w.event(fmt::format(R"({{"name":"process_sort_index","ph":"M","pid":{},"args":{{"sort_index":{}}}}})", c, c));
    const auto& threads = r.cores[core].threads;
    // Lanes: the units (tid = unit index, 0 the sequencer of thread 0), then the sequencers of
    // threads 1 and up.
    auto sequencer_tid = [&](std::uint32_t th) { return th == 0 ? 0u : std::uint32_t(names.size()) + th - 1; };
    for (std::uint32_t lane = 0; lane < names.size() + threads.size() - 1; ++lane) {
      const std::string name = lane < names.size() ? (lane == 0 && threads.size() > 1 ? "sequencer thread 0" : names[lane])
                                                    : fmt::format("sequencer thread {}", lane - names.size() + 1);
      w.event(fmt::format(R"({{"name":"thread_name","ph":"M","pid":{},"tid":{},"args":{{"name":"{}"}}}})", c, lane,
                          name));
      w.event(fmt::format(R"({{"name":"thread_sort_index","ph":"M","pid":{},"tid":{},"args":{{"sort_index":{}}}}})", c,
                          lane, lane));
    }

    // Instruction slices (busy part), hand-offs nested at their start, dependency flows.
    std::vector<std::pair<Cycle, double>> dram_rate, occupancy;
    std::vector<std::vector<std::pair<Cycle, double>>> depth(names.size());
    std::map<std::uint32_t, std::pair<Cycle, Cycle>> live;  // root buffer -> [first write, last use]
    auto root = [&](std::uint32_t b) {
      while (p.buffers[b].alias_of) b = *p.buffers[b].alias_of;
      return b;
    };
    for (std::uint32_t th = 0; th < threads.size(); ++th) {
    const npu::Stream* s = p.find_stream(core, th);
    if (!s) continue;
    const npu::Timeline& timeline = threads[th];
    const std::uint32_t seq_tid = sequencer_tid(th);
    Cycle seq_prev = 0;
    for (std::size_t i = 0; i < s->code.size(); ++i) {
      const npu::Instruction& in = s->code[i];
      const npu::InstrRecord rec = timeline.record(static_cast<std::uint32_t>(i));
      const std::uint32_t u = npu::unit_of(in);
      if (rec.start >= until) continue;
      const std::string text = json_string(npu::format_instruction(p, in));
      if (u == npu::kSequencerUnit) {
        if (rec.done > rec.start) {
          w.event(fmt::format(
              R"({{"name":"{}","cat":"sequencer","ph":"X","ts":{},"dur":{},"pid":{},"tid":{},"args":{{"line":{},"instruction":{},"start_cycle":{},"done_cycle":{}}}}})",
              in.info().mnemonic, w.ts(double(rec.start)), w.ts(double(rec.done - rec.start)), c, seq_tid, in.line, text,
              rec.start, rec.done));
        }
        seq_prev = rec.done;
        continue;
      }
      // The sequencer's blocked time before this dispatch (a full queue).
      const Cycle ready = seq_prev + hw.core.sequencer.issue_cycles;
      if (rec.dispatch > ready) {
        w.event(fmt::format(
            R"({{"name":"queue full","cat":"sequencer","ph":"X","ts":{},"dur":{},"pid":{},"tid":{},"args":{{"waiting_for":"{} queue","line":{}}}}})",
            w.ts(double(ready)), w.ts(double(rec.dispatch - ready)), c, seq_tid, names[u], in.line));
      }
      seq_prev = rec.dispatch;
      depth[u].emplace_back(rec.dispatch, 1.0);
      depth[u].emplace_back(rec.start, -1.0);

      std::string deps;
      for (const std::uint32_t d : timeline.deps(static_cast<std::uint32_t>(i))) {
        deps += fmt::format("{}{}", deps.empty() ? "" : ",", s->code[d].line);
      }
      const Cycle handoff = timeline.handoff_cycles(static_cast<std::uint32_t>(i));
      w.event(fmt::format(
          R"({{"name":"{}","cat":"{}","ph":"X","ts":{},"dur":{},"pid":{},"tid":{},"args":{{"line":{},"thread":{},"instruction":{},"dispatch_cycle":{},"start_cycle":{},"end_cycle":{},"done_cycle":{},"handoff_cycles":{},"depends_on_lines":[{}]}}}})",
          in.info().mnemonic, names[u], w.ts(double(rec.start)), w.ts(double(rec.end - rec.start)), c, u, in.line,
          th, text, rec.dispatch, rec.start, rec.end, rec.done, handoff, deps));
      if (handoff) {
        w.event(fmt::format(
            R"({{"name":"hand-off","cat":"handoff","ph":"X","ts":{},"dur":{},"pid":{},"tid":{},"args":{{"line":{},"cycles":{}}}}})",
            w.ts(double(rec.start)), w.ts(double(handoff)), c, u, in.line, handoff));
      }
      if (rec.binding_dep != npu::kNoInstruction) {  // this instruction waited for that one
        const npu::InstrRecord pr = timeline.record(rec.binding_dep);
        const std::uint32_t pu = npu::unit_of(s->code[rec.binding_dep]);
        const double at = pr.end > pr.start ? double(pr.end) - 0.5 : double(pr.start);
        ++flow_id;
        w.event(fmt::format(R"({{"name":"waits for","cat":"dependency","ph":"s","id":{},"ts":{},"pid":{},"tid":{}}})",
                            flow_id, w.ts(at), c, pu));
        w.event(fmt::format(
            R"({{"name":"waits for","cat":"dependency","ph":"f","bp":"e","id":{},"ts":{},"pid":{},"tid":{}}})", flow_id,
            w.ts(double(rec.start)), c, u));
      }
      if (u >= npu::kFirstDmaUnit) {
        const npu::InstructionCost cost = npu::unloaded_cost(p, in, hw);
        const Cycle t0 = rec.start + cost.dma_fixed_cycles;
        if (rec.end > t0) {
          const double rate = double(cost.dram_bus_bytes) / double(rec.end - t0);
          dram_rate.emplace_back(t0, rate);
          dram_rate.emplace_back(rec.end, -rate);
        }
      }
      for (int k = 0; k < in.noperands; ++k) {
        const npu::Operand& o = p.operand(in, k);
        if (!o.is_tensor() || o.space != npu::Space::scratchpad) continue;
        const std::uint32_t b = root(o.id);
        auto it = live.find(b);
        if (it == live.end()) {
          live.emplace(b, std::make_pair(rec.start, rec.end));
        } else {
          it->second.second = std::max(it->second.second, rec.end);
        }
      }
    }
    }
    for (const auto& [b, span] : live) {
      occupancy.emplace_back(span.first, double(p.buffers[b].size_bytes()));
      occupancy.emplace_back(span.second, -double(p.buffers[b].size_bytes()));
    }
    counter(w, c, "scratchpad occupancy (bytes)", "bytes", occupancy, until);
    counter(w, c, "DRAM bandwidth (bytes per cycle)", "bytes_per_cycle", dram_rate, until);
    for (std::uint32_t u = npu::kMatrixUnit; u < names.size(); ++u) {
      counter(w, c, fmt::format("{} queue depth", names[u]), "instructions", depth[u], until);
    }
  }
}

}  // namespace

std::uint64_t write_trace(const std::string& path, const npu::NpuConfig& hw, const npu::Program& p,
                          const npu::RunResult& r, const TraceOptions& options) {
  TraceWriter w(path, hw.clock_hz);
  std::uint64_t flow_id = 0;
  emit_run(w, hw, p, r, options.until, 0, "", flow_id);
  const std::uint64_t events = w.events();
  w.finish(fmt::format(R"({{"npusim":"trace","hw":{},"program":{},"cycles":{},"clock_hz":{},"traced_until_cycle":{}}})",
                       json_string(hw.name), json_string(p.source), r.cycles, hw.clock_hz,
                       std::min(options.until, r.cycles)));
  return events;
}

struct TraceSequence::Impl {
  Impl(const std::string& path, double clock_hz) : writer(path, clock_hz) {}
  TraceWriter writer;
  std::uint64_t flow_id = 0;
  std::uint32_t next_pid = 0;
  Cycle end = 0;
};

TraceSequence::TraceSequence(const std::string& path, double clock_hz)
    : m_impl(std::make_unique<Impl>(path, clock_hz)) {}

TraceSequence::~TraceSequence() = default;

void TraceSequence::add(const std::string& label, const npu::NpuConfig& hw, const npu::Program& p,
                        const npu::RunResult& r) {
  m_impl->writer.set_offset(double(m_impl->end));
  emit_run(m_impl->writer, hw, p, r, kUnknownCycle, m_impl->next_pid, label + ": ", m_impl->flow_id);
  m_impl->next_pid += static_cast<std::uint32_t>(r.cores.size());
  m_impl->end += r.cycles;
}

std::uint64_t TraceSequence::finish(const std::string& what) {
  const std::uint64_t events = m_impl->writer.events();
  m_impl->writer.finish(fmt::format(R"({{"npusim":"trace","runs":{},"cycles":{}}})", json_string(what), m_impl->end));
  return events;
}

}  // namespace npusim::sim
