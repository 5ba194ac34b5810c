#include "sim/report/analysis.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/core/units.hpp"
#include "npu/dma/dma_timing.hpp"
#include "sim/report/json.hpp"
#include "sim/report/stats.hpp"

namespace npusim::sim {
namespace json = boost::json;
using npu::InstrRecord;

namespace {

/// A thread's instructions (none if the program gives it none).
const npu::Stream& stream_of(const npu::Program& p, std::uint32_t core, std::uint32_t thread) {
  static const npu::Stream empty;
  const npu::Stream* s = p.find_stream(core, thread);
  return s ? *s : empty;
}

/// A thread's times for the walks below, which read every instruction's: as its Timeline gives
/// them or, when no time of the thread is wide (nearly every run), as plain sums of the packed
/// steps (Timeline::narrow_records()), without testing each step for kWide. Same values. The
/// Timeline's own accessors are called out of line: inlined, the wide steps' table lookups
/// bloat the critical-path walk enough that the compiler outlines its per-instruction lambdas.
class Times {
 public:
  explicit Times(const npu::Timeline& t) : m_timeline(t), m_packed(t.narrow_records()) {}
  Cycle dispatch(std::uint32_t i) const { return m_timeline.dispatch(i); }
  Cycle start(std::uint32_t i) const { return m_packed ? m_packed[i].narrow_start() : wide_start(m_timeline, i); }
  Cycle end(std::uint32_t i) const { return m_packed ? m_packed[i].narrow_end() : wide_end(m_timeline, i); }
  Cycle done(std::uint32_t i) const { return m_packed ? m_packed[i].narrow_done() : wide_done(m_timeline, i); }
  InstrRecord record(std::uint32_t i) const {
    if (!m_packed) return wide_record(m_timeline, i);
    const npu::PackedRecord& p = m_packed[i];
    InstrRecord r;
    r.dispatch = p.dispatch;
    r.start = p.narrow_start();
    r.end = p.narrow_end();
    r.done = p.narrow_done();
    r.binding_dep = p.binding_dep;
    r.contention_cycles = p.contention;
    return r;
  }

 private:
  [[gnu::noinline]] static Cycle wide_start(const npu::Timeline& t, std::uint32_t i) { return t.start(i); }
  [[gnu::noinline]] static Cycle wide_end(const npu::Timeline& t, std::uint32_t i) { return t.end(i); }
  [[gnu::noinline]] static Cycle wide_done(const npu::Timeline& t, std::uint32_t i) { return t.done(i); }
  [[gnu::noinline]] static InstrRecord wide_record(const npu::Timeline& t, std::uint32_t i) { return t.record(i); }
  const npu::Timeline& m_timeline;
  const npu::PackedRecord* m_packed;  ///< nullptr: some time is wide
};

std::uint32_t core_index(const npu::NpuConfig& hw, const npu::RunResult& r) {
  for (std::uint32_t c = 0; c < r.cores.size() && c < hw.cores; ++c) {
    if (r.cores[c].end == r.cycles) return c;
  }
  return 0;
}

/// The longest chain of dependent instructions of a thread, each at its unloaded cost (what it
/// took on its unit, less what sharing the DRAM added to a DMA, plus the latency to its
/// dependants), and how far back its furthest producer is.
struct Chain {
  Cycle longest = 0;
  std::uint32_t reach = 0;
};

/// Keeps instruction i's chain in chain[i & mask]: a ring of the last mask + 1 chains, or all of
/// them (mask ~0). With a producer further back than the ring, `longest` read a chain
/// overwritten since.
Chain longest_chain(const npu::Stream& s, const npu::ThreadResult& thread, Cycle* chain, std::size_t mask) {
  Cycle longest = 0;
  std::uint32_t reach = 0;
  const std::uint32_t* dep = thread.dep_pool.data();  // deps(i) begins where deps(i - 1) ends
  const Times times(thread);
  for (std::uint32_t i = 0; i < s.code.size(); ++i) {
    Cycle own = 0;
    switch (s.code[i].unit()) {
      case npu::UnitKind::vector:
      case npu::UnitKind::matrix: own = times.done(i) - times.start(i); break;
      case npu::UnitKind::dma: {
        const InstrRecord rec = times.record(i);  // with the contention
        own = static_cast<Cycle>(static_cast<std::int64_t>(rec.done - rec.start) - rec.contention_cycles);
        break;
      }
      case npu::UnitKind::sequencer: break;
    }
    Cycle ready = 0;
    for (const std::uint32_t* end = thread.deps(i).end(); dep != end; ++dep) {
      reach = std::max(reach, i - *dep);  // checked by the caller, cheaper than at each producer
      ready = std::max(ready, chain[*dep & mask]);
    }
    chain[i & mask] = ready + own;
    longest = std::max(longest, ready + own);
  }
  return {longest, reach};
}

/// The model records a producer only while it is in flight at its dependant's dispatch, so
/// producers reach back a few instructions: a short ring holds every chain still to be read,
/// instead of one per instruction. A stream that reaches further is done again with all.
Cycle dependency_chain(const npu::Stream& s, const npu::ThreadResult& thread) {
  constexpr std::size_t kRing = 4096;
  std::vector<Cycle> chain(kRing);
  const Chain in_ring = longest_chain(s, thread, chain.data(), kRing - 1);
  if (in_ring.reach <= kRing) return in_ring.longest;  // i - kRing's slot is i's, not yet written
  chain.assign(s.code.size(), 0);
  const Chain all = longest_chain(s, thread, chain.data(), ~std::size_t{0});
  NPUSIM_ASSERT(all.reach < s.code.size(), "an instruction's producers come before it");
  return all.longest;
}

}  // namespace

Bounds compute_bounds(const npu::NpuConfig& hw, const npu::Program& p, const npu::RunResult& r) {
  Bounds b;
  std::uint64_t dram_bytes = 0;
  for (std::uint32_t c = 0; c < r.cores.size(); ++c) {
    const auto& core = r.cores[c];
    const auto& units = core.units;
    b.matrix = std::max<Cycle>(b.matrix, static_cast<Cycle>(std::ceil(units[npu::kMatrixUnit].peak_mac_cycles - 1e-9)));
    b.vector = std::max<Cycle>(b.vector, static_cast<Cycle>(std::ceil(units[npu::kVectorUnit].ideal_cycles - 1e-9)));
    for (const auto& u : units) dram_bytes += u.dram_read_bytes + u.dram_write_bytes;
    for (std::uint32_t th = 0; th < core.threads.size(); ++th) {
      // Each thread issues its own stream.
      const npu::Stream& s = stream_of(p, c, th);
      b.issue = std::max<Cycle>(b.issue, s.code.size() * hw.core.sequencer.issue_cycles);
      b.dependency = std::max(b.dependency, dependency_chain(s, core.threads[th]));
    }
  }
  b.memory = npu::transfer_cycles(double(dram_bytes), hw.dram.bytes_per_cycle);
  const std::pair<const char*, Cycle> all[] = {{"matrix", b.matrix}, {"vector", b.vector}, {"memory", b.memory},
                                               {"issue", b.issue}, {"dependency", b.dependency}};
  for (const auto& [name, v] : all) {
    if (v > b.binding_cycles || b.binding.empty()) {
      b.binding = name;
      b.binding_cycles = v;
    }
  }
  return b;
}

namespace {

/// Path time and counts kept by index while walking (a key appears in the stats once it has
/// been added to, even if by 0, as the maps it ends up in do).
struct Tally {
  enum Cause {
    issue, barrier, sync, handoff, bank_conflict, dram_bandwidth, queue_full, matrix_lock, vector_context, kCauses
  };
  enum Edge { dependency, unit, issue_edge, queue_full_edge, barrier_edge, lock_edge, kEdges };
  static constexpr const char* kCauseNames[kCauses] = {"issue",          "barrier",     "sync",
                                                       "handoff",        "bank_conflict", "dram_bandwidth",
                                                       "queue_full",     "matrix_lock", "vector_context"};
  static constexpr const char* kEdgeNames[kEdges] = {"dependency", "unit", "issue", "queue_full", "barrier", "lock"};

  explicit Tally(std::uint32_t units) : by_unit(units), count_by_unit(units) {}

  template <typename T>
  struct Slot {
    T value = 0;
    bool present = false;
    void add(T v) {
      value += v;
      present = true;
    }
  };
  std::vector<Slot<Cycle>> by_unit;
  std::vector<Slot<std::uint64_t>> count_by_unit;
  Slot<Cycle> by_cause[kCauses];
  Slot<std::uint64_t> edges[kEdges];
};

}  // namespace

namespace {

/// Each opcode's unit index, with the DMA queue added through a mask: npu::unit_of() in two
/// loads. Built when needed (npu::detail::kOpInfo is initialised dynamically, so a table of our
/// own at namespace scope could be built before it).
class UnitTable {
 public:
  UnitTable() {
    for (int op = 0; op < npu::kOpcodeCount; ++op) {
      npu::Instruction in;
      in.op = static_cast<npu::Opcode>(op);
      m_base[op] = static_cast<std::uint8_t>(npu::unit_of(in));
      m_queue_mask[op] = in.unit() == npu::UnitKind::dma ? 0xff : 0;
    }
  }
  std::uint32_t operator()(const npu::Instruction& in) const {
    const auto op = static_cast<std::size_t>(in.op);
    return std::uint32_t{m_base[op]} + (in.queue & m_queue_mask[op]);
  }

 private:
  std::array<std::uint8_t, npu::kOpcodeCount> m_base{};
  std::array<std::uint8_t, npu::kOpcodeCount> m_queue_mask{};
};

/// One thread's instructions as the critical-path walk needs them. It keeps nothing per
/// instruction: a unit is looked up from the opcode, and a unit's previous instruction found by
/// looking back a few instructions (the walk reads each stretch of the stream about once).
/// Arrays of a byte per instruction cost a fresh page fault per 4 KiB, more than the walk.
struct ThreadView {
  ThreadView(const npu::Stream& stream, const npu::ThreadResult& result, const UnitTable& unit_at,
             std::uint32_t unit_count);
  std::uint32_t unit(std::size_t i) const { return unit_at(s.code[i]); }
  /// The instruction a barrier or signal drained last: the last earlier one that completed when
  /// it ended (its last earlier non-sequencer instruction to complete at the same time); kNone if none.
  std::uint32_t drained_by(std::size_t idx);
  /// The thread's previous instruction on the same unit as i (u, its unit); kNone if none.
  std::uint32_t prev_on_unit(std::size_t i, std::uint32_t u) {
    const npu::Instruction* code = s.code.data();
    if (i == 0) return kNone;
    if (unit_at(code[i - 1]) == u) return static_cast<std::uint32_t>(i - 1);  // the most common
    const std::size_t stop = i > kNear ? i - kNear : 0;
    for (std::size_t j = i - 1; j-- > stop;) {
      if (unit_at(code[j]) == u) return static_cast<std::uint32_t>(j);
    }
    return stop ? far_prev_of(i) : kNone;
  }
  /// prev_on_unit() of an instruction with none in the kNear before it, from far_prev.
  std::uint32_t far_prev_of(std::size_t i);

  static constexpr std::uint32_t kNone = UINT32_MAX;
  /// How far prev_on_unit() looks back before it searches far_prev.
  static constexpr std::uint32_t kNear = 254;
  /// How far drained_by() looks back before it searches far_drained.
  static constexpr std::uint32_t kNearDrained = 64;
  const npu::Stream& s;
  const npu::Timeline& timeline;
  const Times times;
  const UnitTable& unit_at;
  const std::uint32_t units;
  /// (instruction, previous on its unit) for those whose previous is more than kNear back, or
  /// none (a unit's previous instruction is rarely more than a few back), by instruction:
  /// worked out in one pass, the first time the walk needs it.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> far_prev;
  bool far_prev_known = false;
  /// (sequencer instruction, what it drained) when that is more than kNearDrained back, the
  /// same way (drained_by() looks back kNearDrained instructions first).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> far_drained;
  bool far_drained_known = false;
  std::uint32_t last_done = kNone;          ///< the last instruction to complete at its latest completion
  Cycle latest_done = 0;
};

ThreadView::ThreadView(const npu::Stream& stream, const npu::ThreadResult& result, const UnitTable& units_of,
                       std::uint32_t unit_count)
    : s(stream), timeline(result), times(result), unit_at(units_of), units(unit_count) {
  const auto n = static_cast<std::uint32_t>(s.code.size());
  result.with_done([&](auto done_of) {  // the packed records' test once, not per instruction
    std::uint32_t last_at = kNone;
    Cycle latest = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      const Cycle done = done_of(i);
      if (done >= latest) {  // the first instruction too (latest starts at 0)
        latest = done;
        last_at = i;
      }
    }
    last_done = last_at;
    latest_done = latest;
  });
}

std::uint32_t ThreadView::far_prev_of(std::size_t i) {
  if (!far_prev_known) {
    far_prev_known = true;
    std::vector<std::uint32_t> last(units, kNone);
    const auto n = static_cast<std::uint32_t>(s.code.size());
    for (std::uint32_t j = 0; j < n; ++j) {
      const std::uint32_t u = unit(j);
      if (std::uint64_t{j} - last[u] > kNear) far_prev.emplace_back(j, last[u]);  // kNone wraps round to far
      last[u] = j;
    }
  }
  return std::lower_bound(far_prev.begin(), far_prev.end(), std::make_pair(static_cast<std::uint32_t>(i), 0u))->second;
}

std::uint32_t ThreadView::drained_by(std::size_t idx) {
  // The last earlier instruction to complete when idx did: the latest completion before idx
  // (what a barrier drained), or one that completed at the end but not the latest before it.
  const npu::Instruction* code = s.code.data();
  const Cycle done = times.done(static_cast<std::uint32_t>(idx));
  const std::size_t stop = idx > kNearDrained ? idx - kNearDrained : 0;
  for (std::size_t j = idx; j-- > stop;) {
    if (times.done(static_cast<std::uint32_t>(j)) == done && unit_at(code[j]) != npu::kSequencerUnit) {
      return static_cast<std::uint32_t>(j);
    }
  }
  if (stop == 0) return kNone;
  if (!far_drained_known) {
    // The last instruction to complete at the latest completion so far: what a sequencer
    // instruction that ends then drained. Kept where it is far back.
    far_drained_known = true;
    const auto n = static_cast<std::uint32_t>(s.code.size());
    Cycle latest = 0;
    std::uint32_t last = kNone;
    for (std::uint32_t j = 0; j < n; ++j) {
      if (unit_at(code[j]) == npu::kSequencerUnit) {
        if (last != kNone && j - last > kNearDrained && times.done(j) == latest) far_drained.emplace_back(j, last);
        continue;
      }
      const Cycle done_j = times.done(j);
      if (last == kNone || done_j >= latest) {
        latest = done_j;
        last = j;
      }
    }
  }
  const auto far = std::lower_bound(far_drained.begin(), far_drained.end(),
                                    std::make_pair(static_cast<std::uint32_t>(idx), 0u));
  if (far != far_drained.end() && far->first == idx) return far->second;
  for (std::size_t j = stop; j-- > 0;) {  // not the latest completion before idx: look on
    if (times.done(static_cast<std::uint32_t>(j)) == done && unit_at(code[j]) != npu::kSequencerUnit) {
      return static_cast<std::uint32_t>(j);
    }
  }
  return kNone;
}

}  // namespace

CriticalPath critical_path(const npu::NpuConfig& hw, const npu::Program& p, const npu::RunResult& r) {
  CriticalPath path;
  if (r.cores.empty()) return path;
  const std::uint32_t c = core_index(hw, r);
  const auto& core = r.cores[c];
  const Cycle issue = hw.core.sequencer.issue_cycles;
  const std::uint32_t unit_count = npu::unit_count(hw.core);
  const std::vector<std::string> names = npu::unit_names(hw.core);
  constexpr std::uint32_t kNone = ThreadView::kNone;

  // The walk may cross into other threads (a unit that ran another thread's instruction first).
  const UnitTable unit_at;
  std::vector<ThreadView> views;
  views.reserve(core.threads.size());
  for (std::uint32_t t = 0; t < core.threads.size(); ++t) {
    views.emplace_back(stream_of(p, c, t), core.threads[t], unit_at, unit_count);
  }
  // Start at the instruction that completes last: of the first thread where one does, the last.
  std::uint32_t th = 0;
  std::size_t idx = 0;
  bool any = false;
  Cycle latest = 0;
  for (std::uint32_t t = 0; t < views.size(); ++t) {
    const ThreadView& v = views[t];
    if (v.last_done != kNone && (!any || v.latest_done > latest)) {
      th = t;
      idx = v.last_done;
      latest = v.latest_done;
      any = true;
    }
  }
  if (!any) return path;
  const std::size_t n_total = [&] {
    std::size_t n = 0;
    for (const auto& t : core.threads) n += t.size();
    return n;
  }();

  Tally t(unit_count);
  enum class At { done, end, start, dispatch };
  At at = At::done;
  std::uint32_t last_run_unit = UINT32_MAX;
  std::uint64_t run = 0;
  // An instruction the walk moves to is counted when the loop reads its record (and unit).
  constexpr int kCounted = -1;
  int to_count = Tally::kEdges;  // how the walk came to (th, idx); the first: no edge
  auto visit = [&](std::uint32_t unit, int how) {
    ++path.instructions;
    t.count_by_unit[unit].add(1);
    // Runs of dependent instructions on one unit ("a 15-step vector chain").
    if (how == Tally::dependency && unit == last_run_unit) {
      ++run;
    } else {
      run = 1;
      last_run_unit = unit;
    }
    if (run > path.longest_run && unit != npu::kSequencerUnit) {
      path.longest_run = run;
      path.longest_run_unit = names[unit];
    }
  };
  auto edge = [&](Tally::Edge how) {
    to_count = how;
    t.edges[how].add(1);
  };
  auto cause = [&](Tally::Cause k, Cycle cycles) {
    t.by_cause[k].add(cycles);
    return cycles;
  };
  const Cycle last_done = views[th].times.done(static_cast<std::uint32_t>(idx));
  Cycle accounted = r.cycles > last_done ? r.cycles - last_done : 0;
  if (accounted) t.by_cause[Tally::issue].add(accounted);  // sequencer tail, if any

  InstrRecord rec;  // and unit, of (rec_th, rec_idx): the walk passes each instruction in several steps
  std::uint32_t unit = 0;
  std::uint32_t rec_th = kNone;
  std::size_t rec_idx = 0;
  for (std::size_t guard = 0; guard < 8 * n_total + 8; ++guard) {
    ThreadView& v = views[th];
    if (th != rec_th || idx != rec_idx) {
      rec = v.times.record(static_cast<std::uint32_t>(idx));
      unit = v.unit(idx);
      rec_th = th;
      rec_idx = idx;
    }
    if (to_count != kCounted) {
      visit(unit, to_count);
      to_count = kCounted;
    }
    const npu::Timeline& timeline = v.timeline;
    const Times& times = v.times;
    if (at == At::done) {
      if (unit == npu::kSequencerUnit) {
        const npu::Opcode op = v.s.code[idx].op;
        if (op == npu::Opcode::matrix_acquire) {
          // Waited for another thread's matrix.release, then took lock_cycles.
          const Cycle lock = std::min<Cycle>(hw.core.matrix.lock_cycles, rec.done - rec.start);
          accounted += cause(Tally::matrix_lock, lock);
          const npu::UnitPrev* released = v.timeline.unit_prev(static_cast<std::uint32_t>(idx));
          if (released && rec.done - lock > rec.start) {
            th = released->thread;
            idx = released->prev;
            edge(Tally::lock_edge);
            continue;
          }
          accounted += cause(Tally::matrix_lock, rec.done - rec.start - lock);
          at = At::dispatch;
          continue;
        }
        // A barrier, signal or matrix.release ended when the last drained instruction completed.
        const bool wait = op == npu::Opcode::wait;
        const std::uint32_t from = !wait && rec.done > rec.start ? v.drained_by(idx) : kNone;
        if (from != kNone) {
          idx = from;
          edge(Tally::barrier_edge);
          continue;
        }
        accounted += cause(wait ? Tally::sync : op == npu::Opcode::matrix_release ? Tally::matrix_lock : Tally::barrier,
                           rec.done - rec.start);
        at = At::dispatch;
        continue;
      }
      if (rec.done > rec.end) {
        // A vec.layout's latency (with handoff.sync_cycles) is the hand-off's, like its busy time.
        const bool layout = unit != npu::kSequencerUnit && v.s.code[idx].op == npu::Opcode::vec_layout;
        (layout ? t.by_cause[Tally::handoff] : t.by_unit[unit]).add(rec.done - rec.end);
      }
      accounted += rec.done - rec.end;
      at = At::end;  // the same instruction: on to its end without another turn of the loop
    }
    if (at == At::end) {
      const Cycle busy = rec.end - rec.start;
      Cycle handoff = v.timeline.handoff_cycles(static_cast<std::uint32_t>(idx));
      Cycle bank = 0, dram = 0;
      const Cycle contention = rec.contention_cycles > 0 ? static_cast<Cycle>(rec.contention_cycles) : 0;
      (unit >= npu::kFirstDmaUnit ? dram : bank) = contention;
      handoff = std::min(handoff, busy);
      bank = std::min(bank, busy - handoff);
      dram = std::min(dram, busy - handoff - bank);
      if (handoff) t.by_cause[Tally::handoff].add(handoff);
      if (bank) t.by_cause[Tally::bank_conflict].add(bank);
      if (dram) t.by_cause[Tally::dram_bandwidth].add(dram);
      if (busy - handoff - bank - dram) t.by_unit[unit].add(busy - handoff - bank - dram);
      accounted += busy;
      at = At::start;
    }
    if (at == At::start) {
      Cycle dep_ready = 0;
      std::uint32_t dep = kNone;
      for (const std::uint32_t d : timeline.deps(static_cast<std::uint32_t>(idx))) {
        const Cycle done = times.done(d);
        if (dep == kNone || done > dep_ready) {
          dep_ready = done;
          dep = d;
        }
      }
      // The instruction the unit ran before this one: another thread's, or this thread's own.
      const npu::UnitPrev* other = v.timeline.unit_prev(static_cast<std::uint32_t>(idx));
      const std::uint32_t prev_thread = other ? other->thread : th;
      const std::uint32_t prev = other ? other->prev : v.prev_on_unit(idx, unit);
      const Cycle unit_ready = prev != kNone ? views[prev_thread].times.end(prev) : 0;
      if (dep != kNone && dep_ready == rec.start && dep_ready >= unit_ready) {
        idx = dep;
        at = At::done;
        edge(Tally::dependency);
        continue;
      }
      if (prev != kNone && unit_ready == rec.start && unit_ready > rec.dispatch) {
        th = prev_thread;
        idx = prev;
        at = At::end;
        edge(Tally::unit);
        continue;
      }
      at = At::dispatch;
    }
    // At::dispatch: the sequencer dispatched idx at rec.dispatch.
    if (idx == 0) {
      accounted += cause(Tally::issue, rec.dispatch);
      break;
    }
    const std::size_t prev = idx - 1;
    const bool prev_seq = v.unit(prev) == npu::kSequencerUnit;
    const Cycle base = prev_seq ? times.done(static_cast<std::uint32_t>(prev)) : times.dispatch(static_cast<std::uint32_t>(prev));
    if (rec.dispatch <= base + issue || unit == npu::kSequencerUnit) {
      accounted += cause(Tally::issue, rec.dispatch - base);
      idx = prev;
      at = prev_seq ? At::done : At::dispatch;
      edge(Tally::issue_edge);
      continue;
    }
    // Blocked on a full queue until an earlier instruction of the same unit started, or, the
    // thread's first vector instruction, on a vector context.
    std::uint32_t freed = kNone;
    for (std::uint32_t q = v.prev_on_unit(idx, unit); q != kNone; q = v.prev_on_unit(q, unit)) {
      if (times.start(q) == rec.dispatch) {
        freed = q;
        break;
      }
    }
    if (freed == kNone) {
      // The thread's first vector instruction: the chain above ended without one.
      const bool first_vector = unit == npu::kVectorUnit && v.prev_on_unit(idx, unit) == kNone;
      accounted += cause(first_vector ? Tally::vector_context : Tally::queue_full, rec.dispatch - base);
      idx = prev;
      at = At::dispatch;
      continue;
    }
    idx = freed;
    at = At::start;
    edge(Tally::queue_full_edge);
  }
  if (to_count != kCounted) visit(views[th].unit(idx), to_count);  // the walk stopped at the guard
  path.cycles = accounted;
  for (std::uint32_t u = 0; u < unit_count; ++u) {
    if (t.by_unit[u].present) path.by_unit[names[u]] = t.by_unit[u].value;
    if (t.count_by_unit[u].present) path.instructions_by_unit[names[u]] = t.count_by_unit[u].value;
  }
  for (int k = 0; k < Tally::kCauses; ++k) {
    if (t.by_cause[k].present) path.by_cause[Tally::kCauseNames[k]] = t.by_cause[k].value;
  }
  for (int k = 0; k < Tally::kEdges; ++k) {
    if (t.edges[k].present) path.edges[Tally::kEdgeNames[k]] = t.edges[k].value;
  }
  return path;
}

BoundsStats bounds_stats(const Bounds& b, Cycle cycles) {
  return {b.matrix,  b.vector,         b.memory,
          b.issue,   b.dependency,     b.binding,
          b.binding_cycles, cycles ? double(b.binding_cycles) / double(cycles) : 0.0};
}

CriticalPathStats critical_path_stats(const CriticalPath& c) {
  auto counts = [](const auto& m) {
    Counts out;
    for (const auto& [k, v] : m) out.emplace_back(k, v);
    return out;
  };
  return {c.cycles, c.instructions, counts(c.by_unit), counts(c.by_cause), counts(c.instructions_by_unit),
          counts(c.edges), c.longest_run_unit, c.longest_run};
}

void add_analysis(RunStats& stats, const npu::NpuConfig& hw, const npu::Program& p, const npu::RunResult& r) {
  stats.bounds = bounds_stats(compute_bounds(hw, p, r), r.cycles);
  stats.critical_path = critical_path_stats(critical_path(hw, p, r));
  stats.explanation = explain_run("", stats);
}

void add_analysis(json::object& stats, const npu::NpuConfig& hw, const npu::Program& p, const npu::RunResult& r) {
  RunStats s = stats_from_json(stats);
  add_analysis(s, hw, p, r);
  const json::object analysed = stats_json(s);
  for (const char* key : {"bounds", "critical_path", "explanation"}) stats[key] = analysed.at(key);
}

namespace {

/// The unit (or cause) holding the largest share of the critical path.
std::pair<std::string, std::uint64_t> top_share(const CriticalPathStats& cp) {
  std::pair<std::string, std::uint64_t> best{"", 0};
  for (const Counts* c : {&cp.by_unit, &cp.by_cause}) {
    for (const auto& [k, v] : *c) {
      if (v > best.second) best = {k, v};
    }
  }
  return best;
}

std::string describe_share(const std::string& what, const CriticalPathStats& cp) {
  if (what == "issue") return "the sequencer issuing instructions";
  if (what == "handoff") return "matrix/vector layout hand-offs";
  if (what == "bank_conflict") return "scratchpad bank conflicts";
  if (what == "dram_bandwidth") return "DRAM bandwidth shared between transfers";
  if (what == "barrier" || what == "sync") return "waiting at " + what + "s";
  const std::uint64_t n = count_of(cp.instructions_by_unit, what);
  std::string s = fmt::format("{} {} instruction{}", n, what, n == 1 ? "" : "s");
  if (cp.longest_run_unit == what && cp.longest_run > 1) {
    s += fmt::format(", a chain of {} dependent ones", cp.longest_run);
  }
  return s;
}

/// The facts an explanation is made of.
struct Facts {
  std::string name;
  double cycles = 0;
  std::string top;  ///< unit or cause with the largest share of the critical path
  double top_share = 0;
  std::uint64_t run = 0;  ///< longest dependent run on the path, if on that unit
  double matrix_busy = 0, vector_busy = 0, mac = 0;  ///< utilizations
  Cycle vector_busy_cycles = 0;                       ///< summed over cores
  std::uint64_t matrix_instr = 0, vector_instr = 0, handoffs = 0, handoff_cycles = 0;
  std::string binding;
  double binding_fraction = 0;
};

Facts facts_of(const std::string& name, const RunStats& s) {
  NPUSIM_ASSERT(s.critical_path && s.bounds, "explanations come after the analysis");
  Facts f;
  f.name = name;
  f.cycles = double(s.cycles);
  const CriticalPathStats& cp = *s.critical_path;
  const auto [what, amount] = top_share(cp);
  f.top = what;
  f.top_share = f.cycles > 0 ? double(amount) / f.cycles : 0;
  if (cp.longest_run_unit == what) f.run = cp.longest_run;
  const UnitStats& m = s.unit("matrix");
  const UnitStats& v = s.unit("vector");
  f.matrix_busy = m.utilization;
  f.vector_busy = v.utilization;
  f.vector_busy_cycles = v.busy_cycles;
  f.mac = m.mac_utilization.value_or(0);
  f.matrix_instr = m.instructions;
  f.vector_instr = v.instructions;
  f.handoffs = m.handoffs.value_or(0) + v.handoffs.value_or(0);
  f.handoff_cycles = m.handoff_cycles.value_or(0) + v.handoff_cycles.value_or(0);
  f.binding = s.bounds->binding;
  f.binding_fraction = s.bounds->binding_fraction;
  return f;
}

std::string sentence(const Facts& f, const CriticalPathStats& cp) {
  std::string out = f.name.empty() ? "" : f.name + ": ";
  out += fmt::format("{:.0f}% of the critical path is {}", 100 * f.top_share, describe_share(f.top, cp));
  out += fmt::format("; matrix unit busy {:.0f}% over {} matmul{} (MAC utilization {:.1f}%), vector unit busy {:.0f}% "
                     "over {} instruction{}",
                     100 * f.matrix_busy, f.matrix_instr, f.matrix_instr == 1 ? "" : "s", 100 * f.mac,
                     100 * f.vector_busy, f.vector_instr, f.vector_instr == 1 ? "" : "s");
  if (f.handoffs) {
    out += fmt::format("; {} matrix/vector hand-off{} cost {} cycles", f.handoffs, f.handoffs == 1 ? "" : "s",
                       f.handoff_cycles);
  }
  out += fmt::format("; tightest lower bound: {} ({:.0f}% of the run)", f.binding, 100 * f.binding_fraction);
  return out;
}

}  // namespace

std::string explain_run(const std::string& name, const RunStats& s) {
  return sentence(facts_of(name, s), *s.critical_path);
}

std::string explain_comparison(const std::vector<std::string>& names, const std::vector<const RunStats*>& stats) {
  if (names.size() < 2) return names.empty() ? "" : explain_run(names[0], *stats[0]);
  std::size_t fast = 0, slow = 0;
  for (std::size_t i = 1; i < stats.size(); ++i) {
    if (stats[i]->cycles < stats[fast]->cycles) fast = i;
    if (stats[i]->cycles > stats[slow]->cycles) slow = i;
  }
  const Facts a = facts_of(names[slow], *stats[slow]), b = facts_of(names[fast], *stats[fast]);
  std::string out = fmt::format("{} is {:.2f}x faster than {}.", b.name, a.cycles / b.cycles, a.name);
  // The contrasts that carry the difference, largest first. Busy cycles are summed over cores,
  // as the unit stats give them (a utilization times the run's cycles is a per-core average).
  std::vector<std::string> why;
  if (a.vector_instr > b.vector_instr && a.vector_busy_cycles > b.vector_busy_cycles) {
    why.push_back(fmt::format("{} keeps the vector unit busy {:.1f}x longer ({} vs {} cycles, {} vs {} instructions)",
                              a.name, double(a.vector_busy_cycles) / std::max<double>(1.0, double(b.vector_busy_cycles)),
                              a.vector_busy_cycles, b.vector_busy_cycles, a.vector_instr, b.vector_instr));
  }
  if (b.mac > a.mac) {
    why.push_back(fmt::format("{} runs its work as {} matmuls at {:.1f}% MAC utilization, {} as {} at {:.1f}%", b.name,
                              b.matrix_instr, 100 * b.mac, a.name, a.matrix_instr, 100 * a.mac));
  }
  if (a.handoff_cycles > b.handoff_cycles) {
    why.push_back(fmt::format("{} pays {} cycles of matrix/vector hand-offs ({} instructions), {} pays {}", a.name,
                              a.handoff_cycles, a.handoffs, b.name, b.handoff_cycles));
  }
  if (a.run > 1) {
    why.push_back(fmt::format("{}'s critical path holds a chain of {} dependent {} instructions", a.name, a.run, a.top));
  }
  for (std::size_t i = 0; i < why.size(); ++i) out += (i == 0 ? " " : "; ") + why[i];
  if (!why.empty()) out += ".";
  out += " " + sentence(a, *stats[slow]->critical_path) + ". " + sentence(b, *stats[fast]->critical_path) + ".";
  return out;
}

}  // namespace npusim::sim
