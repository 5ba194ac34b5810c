#pragma once
/// What every per-chunk stage of the GDN layer shares (kernels/gdn/stages.cpp): work cut into
/// units, each unit a few items computed together (value heads of one chunk, or one block of
/// rows), buffers per unit in two sets so that the next unit's loads overlap this unit's compute
/// and the previous unit's stores, units spread over the cores, and the items of a unit
/// interleaved instruction by instruction (merge_by_estimated_start) to hide unit latencies.
/// The sequencer issues in program order, so the order of emission is the schedule:
///   constants; prepare; loads(u0); for each unit u_i:
///     loads(u_{i+1}); shared(u_i); items of u_i, interleaved; stores(u_i)
/// Buffers that live across units (a head's recurrent state) are declared once per lane.
/// With several hardware threads per core (sequencer.threads), the units go round-robin to every
/// thread of every core (worker w is thread w / cores of core w % cores), each thread runs this
/// schedule on buffer sets of its own (the threads share the core's scratchpad), thread 0 loads
/// the core's constants and runs prepare() and then releases each other working thread with a
/// flag, and when more than one thread of a core issues matmuls each run of them holds the
/// matrix unit (with_matrix_locks). build() tries the most items per unit first and falls back
/// to fewer, then to one set, then to fewer threads, until the buffers fit the scratchpad.
#include <memory>
#include <string>
#include <vector>

#include "npu/config.hpp"
#include "npu/isa/builder.hpp"

namespace npusim::kernels {

/// The hardware threads per core a layer stage spreads its work over: every thread that can
/// hold a vector context (a thread keeps its context to the end of its stream, so more threads
/// than contexts would only queue for one).
std::uint32_t stage_threads(const npu::NpuConfig& hw);

/// One unit of work in flight: which unit, which buffer set (among every thread's sets), the
/// thread computing it (whose per-thread buffers it uses) and its items (lane i computes item
/// items[i]).
struct UnitRef {
  std::uint32_t unit = 0;
  std::size_t set = 0;
  std::uint32_t thread = 0;
  std::vector<std::uint32_t> items;
};

class StageScaffold {
 public:
  StageScaffold(const npu::NpuConfig& hw, std::string name, std::uint32_t max_lanes);
  virtual ~StageScaffold() = default;

  /// Builds the program, with fewer items per unit until the buffers fit.
  npu::Program build();
  /// Items per unit after fitting (valid after build()).
  std::uint32_t lanes() const { return m_lanes; }
  /// Hardware threads per core the work is spread over after fitting (valid after build()).
  std::uint32_t threads() const { return m_threads; }

 protected:
  /// Declares the buffers of buffer set `set` for `lanes` items per unit (names must carry the
  /// set: use buffer()). Sets are numbered over every thread: thread t's are t x sets + s.
  virtual void declare_set(std::size_t set, std::uint32_t lanes) = 0;
  /// Declares the stage's tensors and what the threads of a core share: constants and buffers
  /// prepare() builds, read-only afterwards (default: none).
  virtual void declare_persistent(std::uint32_t lanes);
  /// Declares the buffers thread `thread` keeps across its units (a head's recurrent state,
  /// scratch of shared()), after declare_persistent (default: none).
  virtual void declare_thread(std::uint32_t thread, std::uint32_t lanes);
  /// The units each worker (thread w / cores of core w % cores) computes, in order, each with
  /// its items. `lanes` is the most items a unit may have.
  virtual std::vector<std::vector<std::vector<std::uint32_t>>> plan(std::uint32_t lanes, std::uint32_t workers) = 0;
  /// One-off work on each core after the constants are loaded (building a constant on chip),
  /// on thread 0 before the core's other threads start.
  virtual void prepare();
  virtual void loads(const UnitRef& u) = 0;
  /// Work shared by the unit's items, before them (default: none).
  virtual void shared(const UnitRef& u);
  /// The work of lane `lane` (item u.items[lane]); captured and interleaved with the other lanes.
  virtual void item(const UnitRef& u, std::uint32_t lane) = 0;
  virtual void stores(const UnitRef& u) = 0;

  /// A constant (or parameter) in DRAM tensor `name`, loaded into buffer `name`_sp once per core.
  npu::BufferRef constant(const std::string& name, npu::DType dtype, std::uint32_t rows, std::uint32_t cols,
                          const npu::TensorInit& init);
  /// A buffer named `name` plus the suffix of the set (or thread) being declared.
  npu::BufferRef buffer(const std::string& name, npu::DType dtype, std::uint32_t rows, std::uint32_t cols);
  /// Another view of `of` (same suffix rule).
  npu::BufferRef alias(const std::string& name, npu::DType dtype, std::uint32_t rows, std::uint32_t cols,
                       const npu::BufferRef& of);

  npu::ProgramBuilder& b() { return *m_b; }
  std::uint8_t load_queue() const { return 0; }
  std::uint8_t store_queue() const { return static_cast<std::uint8_t>(m_hw.core.dma.queues > 1 ? 1 : 0); }

  const npu::NpuConfig& m_hw;

 private:
  /// Declares the buffers of a candidate fit (all that the scratchpad footprint depends on).
  void declare(std::uint32_t lanes, std::uint32_t sets, std::uint32_t threads);
  /// Emits the program for the fit last declared.
  void emit(std::uint32_t lanes, std::uint32_t sets, std::uint32_t threads);
  /// The schedule of one worker's units on its sets, as instructions.
  std::vector<npu::Instruction> worker_code(const std::vector<std::vector<std::uint32_t>>& units, std::uint32_t sets,
                                            std::uint32_t thread);
  std::string m_name;
  std::uint32_t m_max_lanes;
  std::uint32_t m_lanes = 0, m_threads = 1;
  std::string m_suffix;
  std::unique_ptr<npu::ProgramBuilder> m_b;
  std::vector<std::pair<npu::BufferRef, npu::TensorRef>> m_constants;
};

}  // namespace npusim::kernels
