#pragma once
/// What every inverse kernel shares: the DRAM tensors, constants loaded once per core, buffers
/// per chunk slot, chunks spread over cores, and software pipelining. A kernel says which
/// buffers one chunk needs (declare_slot) and what to compute for a group of chunks, in one or
/// more phases (emit). Chunks go in groups of `interleave`; the kernel interleaves the steps of
/// the chunks of a group to hide unit latencies. The sequencer issues in order, so the order of
/// emission is the schedule. With P phases and P + 1 buffer sets, the scaffold emits per core:
///   constants; loads(0); for t = 0, 1, ...:
///     loads(t + 1); phase P-1 of group t-P+1; ...; phase 0 of group t; stores(t - P + 1)
/// so the loads of the next group, the stores of an earlier one and the phases of P groups (on
/// different units, ideally) overlap. With fewer sets it falls back to prefetching the next
/// group's loads only (2 sets) or to one group at a time (1 set). With several hardware threads
/// per core (sequencer.threads), chunks go round-robin to every thread of every core, each
/// thread runs this schedule on its own slots, thread 0 loads the core's constants for all, and
/// each run of matmuls holds the core's matrix unit (matrix.acquire ... matrix.release). When
/// no variant fits every thread's slots, fewer threads are used.
#include <memory>
#include <string>
#include <vector>

#include "kernels/inverse/inverse.hpp"
#include "npu/isa/builder.hpp"

namespace npusim::kernels {

/// One chunk being computed: its index in the batch and its slot's input and output buffers.
struct ChunkSlot {
  std::uint32_t chunk = 0;
  std::size_t slot = 0;
  npu::BufferRef a;  ///< A of the chunk (input dtype)
  npu::BufferRef t;  ///< T of the chunk (output dtype)
};

class InverseScaffold {
 public:
  InverseScaffold(const npu::NpuConfig& hw, const InverseParams& params, std::string name);
  virtual ~InverseScaffold() = default;

  /// Builds the program, reducing the chunks in flight until the buffers fit the scratchpad.
  InverseProgram build();

 protected:
  /// Declares the kernel's buffers for slot `slot` with buffer() (slot 0 comes first on every
  /// attempt, so a kernel resets its slot list there) and its constants with constant().
  virtual void declare_slot(std::size_t slot) = 0;
  /// Emits one-off work on each core after its constants are loaded (building a constant on
  /// chip), on thread 0 before the core's other threads start. Default: nothing.
  virtual void prepare_core();
  /// Emits one-off work on each thread for its `slots` (zeroing). Default: nothing.
  virtual void prepare(const std::vector<std::size_t>& slots);
  /// Pipeline stages per group; phase p of a group is emitted after its phase p - 1.
  virtual std::uint32_t phases() const { return 1; }
  /// Emits phase `phase` of a group of chunks (their A is loaded; T is complete after the last).
  virtual void emit(const std::vector<ChunkSlot>& group, std::uint32_t phase) = 0;
  /// Fills in summary and resolved parameters.
  virtual void describe(InverseProgram& out) const = 0;
  /// Whether the kernel has a smaller, slower variant (m_compact) to try when nothing fits.
  virtual bool has_compact_variant() const { return false; }

  /// A constant matrix in DRAM, loaded into a buffer of the same name once per core.
  npu::BufferRef constant(const std::string& name, npu::DType dtype, std::uint32_t rows, std::uint32_t cols,
                          const npu::TensorInit& init);
  /// A slot buffer: `name` + suffix.
  npu::BufferRef buffer(const std::string& name, npu::DType dtype, std::uint32_t rows, std::uint32_t cols);

  bool is_int() const { return npu::is_int(m_params.dtype); }
  /// The integer scales as matmul write-back shifts: all zero for float dtypes.
  IntScales shifts() const { return is_int() ? m_params.scales : IntScales{0, 0, 0, 0}; }
  /// Accumulator dtype of matmuls on `dtype` operands: int32, or the output dtype for floats.
  npu::DType acc_dtype() const { return is_int() ? npu::DType::int32 : m_params.dtype; }

  const npu::NpuConfig& m_hw;
  InverseParams m_params;
  const std::uint32_t C;
  const npu::DType dt;
  std::unique_ptr<npu::ProgramBuilder> m_b;
  npu::ProgramBuilder& b() { return *m_b; }
  bool m_compact = false;  ///< the last resort when the buffers do not fit
  std::size_t slots() const { return m_slot_a.size(); }
  npu::BufferRef slot_output(std::size_t s) const { return m_slot_t[s]; }

 private:
  void attempt(std::uint32_t interleave, std::uint32_t sets, std::uint32_t threads);
  std::string m_name;
  std::string m_suffix;  ///< appended to slot buffer names during declare_slot
  std::vector<std::pair<npu::BufferRef, npu::TensorRef>> m_constants;
  std::vector<npu::BufferRef> m_slot_a, m_slot_t;
};

/// `code` with each run of consecutive matmuls between matrix.acquire and matrix.release: how
/// threads of one core share its matrix unit (Hexagon kernels take a lock around HMX use).
std::vector<npu::Instruction> with_matrix_locks(const std::vector<npu::Instruction>& code);

/// Shorthand attribute sets for vector instructions.
npu::Attrs axis0();
npu::Attrs band(std::int32_t lo, std::int32_t hi);
npu::Attrs requant(int shift);

}  // namespace npusim::kernels
