#pragma once
/// State one core's units share during a run: each hardware thread's instruction records (when
/// each instruction was dispatched, started, freed its unit and completed) and dependencies, and
/// what the threads share: counters, memories, the matrix unit's lock and the vector contexts.
#include <exception>
#include <functional>
#include <systemc>
#include <unordered_map>
#include <vector>

#include "npu/common/error.hpp"
#include "npu/common/huge_pages.hpp"

#include "npu/core/units.hpp"
#include "npu/isa/access.hpp"
#include "npu/numerics/execute.hpp"
#include "npu/scratchpad/layout_map.hpp"

namespace npusim::npu {

inline constexpr std::uint32_t kNoInstruction = UINT32_MAX;
inline constexpr std::uint32_t kNoThread = UINT32_MAX;

/// Timeline of one instruction, as a thread's Timeline gives it. Times are cycles;
/// kUnknownCycle until they are known.
struct InstrRecord {
  Cycle dispatch = kUnknownCycle;  ///< entered its unit's queue (sequencer instructions: issued)
  Cycle start = kUnknownCycle;     ///< left the queue and began on its unit
  Cycle end = kUnknownCycle;       ///< unit free again
  Cycle done = kUnknownCycle;      ///< result visible to dependants
  std::uint32_t binding_dep = kNoInstruction;  ///< the producer whose completion it waited for last
  /// Cycles sharing added to the instruction's own cost: scratchpad bank conflicts (matrix,
  /// vector), or DRAM bandwidth shared with other transfers (DMA: [start, end) minus setup and
  /// the unshared transfer; a cycle below 0 when rounding favours the shared transfer).
  std::int64_t contention_cycles = 0;
};

/// How a Timeline stores an InstrRecord: runs keep one per instruction, so 32 bytes (asserted).
/// Times are the dispatch and 32-bit steps from it; a step or a contention that does not fit
/// is kWide here and kept whole in the Timeline's side table (never a wrapped number).
struct PackedRecord {
  static constexpr std::uint32_t kUnset = UINT32_MAX;     ///< not known yet
  static constexpr std::uint32_t kWide = UINT32_MAX - 1;  ///< in the side table
  static constexpr std::int32_t kWideContention = INT32_MIN;

  Cycle dispatch = kUnknownCycle;
  std::uint32_t wait = kUnset;  ///< start - dispatch
  std::uint32_t busy = kUnset;  ///< end - start
  /// done - end. In flight (dispatched, busy not known): the earliest completion - dispatch.
  std::uint32_t latency = kUnset;
  std::uint32_t deps_end = 0;   ///< its producers end here in dep_pool (Timeline::deps())
  std::uint32_t binding_dep = kNoInstruction;
  std::int32_t contention = 0;

  // Its times when none of its steps is kWide (Timeline::narrow_records()): sums of the packed
  // steps, kUnknownCycle while not known.
  Cycle narrow_start() const { return wait == kUnset ? kUnknownCycle : dispatch + wait; }
  Cycle narrow_end() const { return busy == kUnset ? kUnknownCycle : dispatch + wait + busy; }
  Cycle narrow_done() const { return busy == kUnset ? kUnknownCycle : dispatch + wait + busy + latency; }
};
static_assert(sizeof(PackedRecord) <= 32, "one per instruction: keep rare fields in Timeline's side tables");

/// A unit ran another thread's instruction just before instruction `idx` (threads share units):
/// that one's thread and index. For a matrix.acquire that waited for another thread: the
/// matrix.release it waited for.
struct UnitPrev {
  std::uint32_t idx = 0;
  std::uint32_t thread = kNoThread;
  std::uint32_t prev = kNoInstruction;
};

/// The layout hand-off included in instruction `idx`'s [start, end).
struct HandoffCycles {
  std::uint32_t idx = 0;
  Cycle cycles = 0;
};

/// The producers of one instruction: a range of its thread's dep_pool.
struct DepRange {
  const std::uint32_t* first = nullptr;
  const std::uint32_t* last = nullptr;
  const std::uint32_t* begin() const { return first; }
  const std::uint32_t* end() const { return last; }
  std::size_t size() const { return static_cast<std::size_t>(last - first); }
  std::uint32_t operator[](std::size_t k) const { return first[k]; }
};

/// One hardware thread's instruction timelines (one PackedRecord each), their producers, and
/// the side tables of what only some instructions have (sorted by instruction index once the
/// run is over: sort()). The model sets each time once, in order: dispatch (with the earliest
/// completion), start, then end and done.
class Timeline {
 public:
  std::size_t size() const { return m_records.size(); }
  /// Instruction `idx`'s timeline, whole.
  InstrRecord record(std::uint32_t idx) const;
  Cycle dispatch(std::uint32_t idx) const { return m_records[idx].dispatch; }
  Cycle start(std::uint32_t idx) const {
    const PackedRecord& r = m_records[idx];
    return r.wait == PackedRecord::kUnset ? kUnknownCycle : r.dispatch + step(idx, r.wait, &Wide::wait);
  }
  Cycle end(std::uint32_t idx) const {
    const PackedRecord& r = m_records[idx];
    if (r.busy == PackedRecord::kUnset) return kUnknownCycle;
    return r.dispatch + step(idx, r.wait, &Wide::wait) + step(idx, r.busy, &Wide::busy);
  }
  Cycle done(std::uint32_t idx) const {
    const PackedRecord& r = m_records[idx];
    if (r.busy == PackedRecord::kUnset) return kUnknownCycle;
    return r.dispatch + step(idx, r.wait, &Wide::wait) + step(idx, r.busy, &Wide::busy) +
           step(idx, r.latency, &Wide::latency);
  }
  /// In flight: no completion can be earlier (dispatch plus the unloaded cost). Threads sharing
  /// a unit use it to rule out that an instruction still waiting could start first.
  Cycle earliest_done(std::uint32_t idx) const {
    return m_records[idx].dispatch + step(idx, m_records[idx].latency, &Wide::latency);
  }
  std::uint32_t binding_dep(std::uint32_t idx) const { return m_records[idx].binding_dep; }
  /// The packed records, one per instruction, when no step or contention is wide (nearly every
  /// run), else nullptr. Walks over every record (the analysis) then read a time as the plain
  /// sum of packed steps, without testing each step for kWide as start(), end() and done() do.
  const PackedRecord* narrow_records() const { return m_wide.empty() ? m_records.data() : nullptr; }
  /// f(done), `done` giving done(idx): when no step is wide (nearly every run), as the plain sum
  /// of the packed steps, without testing each for kWide. For the passes over every record.
  template <typename F>
  decltype(auto) with_done(F f) const {
    if (m_wide.empty()) return f([this](std::uint32_t idx) { return m_records[idx].narrow_done(); });
    return f([this](std::uint32_t idx) { return done(idx); });
  }
  /// How many instructions have ended (set_end()): no completion becomes known in between.
  std::uint64_t ends() const { return m_ends; }
  /// The producers of instruction `idx` (issued): dep_pool[the previous one's deps_end, its deps_end).
  DepRange deps(std::uint32_t idx) const {
    const std::uint32_t* pool = dep_pool.data();
    return {pool + (idx ? m_records[idx - 1].deps_end : 0), pool + m_records[idx].deps_end};
  }
  /// The other thread's instruction the unit ran just before `idx`, or nullptr (see UnitPrev).
  /// Most threads share no unit: their table is empty and this answers without a search.
  const UnitPrev* unit_prev(std::uint32_t idx) const { return unit_prevs.empty() ? nullptr : find_unit_prev(idx); }
  /// The hand-off cycles included in `idx`'s [start, end) (0: none; most threads have none).
  Cycle handoff_cycles(std::uint32_t idx) const { return handoffs.empty() ? 0 : find_handoff_cycles(idx); }

  /// Room for `n` instructions, none of them dispatched, and for their producers: two each
  /// before the pool grows (a growing vector holds its old and new storage at once; capacity
  /// never written costs address space, not memory).
  void resize(std::size_t n) {
    m_records.resize(n);
    dep_pool.reserve(2 * n);
  }
  // What the model learns, in this order per instruction.
  void set_dispatch(std::uint32_t idx, Cycle at) { m_records[idx].dispatch = at; }
  void set_earliest_done(std::uint32_t idx, Cycle at) { put(idx, m_records[idx].latency, &Wide::latency, at - dispatch(idx)); }
  void set_start(std::uint32_t idx, Cycle at) { put(idx, m_records[idx].wait, &Wide::wait, at - dispatch(idx)); }
  void set_end(std::uint32_t idx, Cycle end, Cycle done) {
    const Cycle started = start(idx);
    PackedRecord& r = m_records[idx];
    put(idx, r.busy, &Wide::busy, end - started);
    put(idx, r.latency, &Wide::latency, done - end);
    ++m_ends;
  }
  /// Ends its producers in dep_pool (all of dep_pool so far).
  void set_deps_end(std::uint32_t idx) {
    if (dep_pool.size() > UINT32_MAX) throw_too_many_deps();
    m_records[idx].deps_end = static_cast<std::uint32_t>(dep_pool.size());
  }
  void set_binding_dep(std::uint32_t idx, std::uint32_t dep) { m_records[idx].binding_dep = dep; }
  void set_contention(std::uint32_t idx, std::int64_t cycles) {
    if (cycles > INT32_MIN && cycles <= INT32_MAX) {
      m_records[idx].contention = static_cast<std::int32_t>(cycles);
    } else {
      put_wide_contention(idx, cycles);
    }
  }
  /// Sorts the side tables by instruction index (units fill them in the order they run).
  void sort();
  /// Keeps the producers an instruction really waited for: those still in flight when it was
  /// dispatched (the scoreboard also lists producers whose completion was not known yet at the
  /// time and turned out to be no later than the dispatch).
  void drop_completed_producers();
  /// The latest completion of the instructions (0 if none).
  Cycle last_completion() const;

  /// Producers, instruction after instruction in program order (see deps()).
  HugeVector<std::uint32_t> dep_pool;
  std::vector<UnitPrev> unit_prevs;
  std::vector<HandoffCycles> handoffs;

 private:
  /// What does not fit a PackedRecord.
  struct Wide {
    Cycle wait = 0, busy = 0, latency = 0;
    std::int64_t contention = 0;
  };
  Cycle step(std::uint32_t idx, std::uint32_t packed, Cycle Wide::*field) const {
    return packed == PackedRecord::kWide ? m_wide.at(idx).*field : packed;
  }
  // Inline: every instruction sets four steps; only the rare wide values go out of line.
  void put(std::uint32_t idx, std::uint32_t& packed, Cycle Wide::*field, Cycle value) {
    if (value < PackedRecord::kWide) {
      packed = static_cast<std::uint32_t>(value);
    } else {
      put_wide(idx, packed, field, value);
    }
  }
  const UnitPrev* find_unit_prev(std::uint32_t idx) const;
  Cycle find_handoff_cycles(std::uint32_t idx) const;
  void put_wide(std::uint32_t idx, std::uint32_t& packed, Cycle Wide::*field, Cycle value);
  void put_wide_contention(std::uint32_t idx, std::int64_t cycles);
  [[noreturn]] static void throw_too_many_deps();

  HugeVector<PackedRecord> m_records;  ///< per instruction of the thread's stream
  std::uint64_t m_ends = 0;
  std::unordered_map<std::uint32_t, Wide> m_wide;
};

/// Remembers when a thread's test failed only for want of a completion (a producer's, or the
/// start of a queue's oldest entry): at Timeline::ends() of that moment. No completion becomes
/// known before another instruction of the thread ends, so until then the test fails again and
/// need not be run: units and the sequencer are polled far more often than instructions end.
class UntilNextEnd {
 public:
  void mark(const Timeline& t) { m_ends = t.ends(); }
  bool holds(const Timeline& t) const { return m_ends == t.ends(); }
  void clear() { m_ends = kClear; }

 private:
  static constexpr std::uint64_t kClear = UINT64_MAX;
  std::uint64_t m_ends = kClear;
};

// Inline: the analysis reads every record, some several times.
inline InstrRecord Timeline::record(std::uint32_t idx) const {
  const PackedRecord& p = m_records[idx];
  InstrRecord r;
  r.dispatch = p.dispatch;
  if (p.wait != PackedRecord::kUnset) r.start = r.dispatch + step(idx, p.wait, &Wide::wait);
  if (p.busy != PackedRecord::kUnset) {
    r.end = r.start + step(idx, p.busy, &Wide::busy);
    r.done = r.end + step(idx, p.latency, &Wide::latency);
  }
  r.binding_dep = p.binding_dep;
  const std::int32_t c = p.contention;
  r.contention_cycles = c == PackedRecord::kWideContention ? m_wide.at(idx).contention : c;
  return r;
}

class SignalTrace;

/// The run passed kMaxCycles, the longest npusim represents (see worst_case_cycles()).
class RunTooLong : public SimError {
 public:
  RunTooLong() : SimError("the run could take more than 2^53 cycles, more than npusim represents") {}
};

/// What the cores of one run share besides the DRAM and the flags. SystemC processes must not
/// throw: a core keeps its error here and stops the simulation.
struct SharedRun {
  std::function<void(double)> report;  ///< progress: the fraction of instructions issued
  std::uint64_t total = 1;
  std::uint64_t issued = 0;
  /// The sum of worst_case_cycles() over the instructions dispatched so far: no run is longer.
  Cycle bound = 0;
  std::exception_ptr failure;

  void tick() {
    if ((++issued & 0xffff) == 0 && report) report(double(issued) / double(total));
  }
  /// Adds an instruction's worst case; throws RunTooLong past kMaxCycles.
  void add_bound(Cycle cycles) {
    bound = sat_add(bound, cycles);
    if (bound > kMaxCycles) throw RunTooLong();
  }
};

/// One hardware thread: its stream, its instructions' timeline, and what it holds.
struct ThreadState : Timeline {
  ThreadState(const Stream& s, std::uint32_t index_) : stream(s), index(index_) { resize(s.code.size()); }

  const Stream& stream;
  const std::uint32_t index;
  std::uint64_t unfinished = 0;  ///< dispatched instructions whose completion is not known yet
  Cycle latest_done = 0;         ///< latest completion of the instructions dispatched so far
  std::uint64_t matrix_unfinished = 0;  ///< the same for its matmuls (matrix.release drains them)
  Cycle matrix_latest_done = 0;
  std::uint64_t vector_unfinished = 0;  ///< the same for its vector instructions (its context)
  Cycle vector_latest_done = 0;
  bool holds_context = false;  ///< it holds a vector context

  const Instruction& instruction(std::uint32_t idx) const { return stream.code[idx]; }
};

struct CoreState {
  /// `streams` holds one stream per hardware thread (empty ones for threads without work).
  CoreState(const Program& p, const std::vector<const Stream*>& streams, const NpuConfig& hw, std::uint32_t core,
            bool numerics, std::vector<std::uint8_t>* dram, SharedRun& shared);

  const Program& program;
  const NpuConfig& hw;
  const std::uint32_t core;
  const bool numerics;
  SharedRun& shared;

  std::vector<ThreadState> threads;
  std::vector<UnitCounters> counters;  ///< per unit index, all threads
  NumericsCounters numerics_counters;
  LayoutMap layout;
  std::vector<std::uint8_t> scratchpad;  ///< allocated only when computing numerics
  Memories memories;
  SignalTrace* trace = nullptr;  ///< VCD tracing only

  /// The matrix unit's lock (matrix.acquire / matrix.release): the thread holding it, the cycle
  /// it was last released and the matrix.release that did (thread, index).
  std::uint32_t matrix_holder = kNoThread;
  Cycle matrix_free_at = 0;
  std::uint32_t matrix_released_by_thread = kNoThread;
  std::uint32_t matrix_released_by = kNoInstruction;
  /// Vector contexts: the cycle each one is free from (kUnknownCycle while a thread holds it).
  std::vector<Cycle> contexts;

  const Instruction& instruction(std::uint32_t thread, std::uint32_t idx) const {
    return threads[thread].stream.code[idx];
  }
  /// Every thread's instructions issued and completed.
  bool unfinished() const;
  /// The threads with instructions, in order (only they contend for the units, the lock and the
  /// contexts; the others never issue).
  std::vector<std::uint32_t> working;
};

/// Current simulation time in cycles (one cycle is one SystemC nanosecond).
Cycle now_cycles();
/// sc_time for a number of cycles.
sc_core::sc_time cycles_to_time(Cycle c);

}  // namespace npusim::npu
