#pragma once
/// A kernel program: DRAM tensors, scratchpad buffers, flags and one instruction stream per core.
/// Produced by the text parser (asm.hpp) or by ProgramBuilder (builder.hpp); both go through
/// check_program() before a model runs them.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "npu/common/huge_pages.hpp"
#include "npu/isa/instruction.hpp"

namespace npusim::npu {

/// Comment lines kept with a statement so that printing preserves them.
struct Notes {
  std::vector<std::string> leading;  ///< whole lines before the statement ("" is a blank line)
  std::string trailing;              ///< "# ..." after the statement, or empty
};

/// How a DRAM tensor is filled before the run.
struct TensorInit {
  enum class Kind : std::uint8_t { zeros, random, identity, band, file };
  Kind kind = Kind::zeros;
  std::uint64_t seed = 0;   ///< random
  double lo = -1.0;         ///< random: uniform in [lo, hi) (integers: [lo, hi])
  double hi = 1.0;
  std::int32_t band_lo = 0;  ///< band: `value` where band_lo <= row - col <= band_hi, else 0
  std::int32_t band_hi = 0;
  double value = 1.0;
  std::string path;         ///< file: a .npy path, relative to the program file

  static TensorInit random(std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
    TensorInit t;
    t.kind = Kind::random;
    t.seed = seed;
    t.lo = lo;
    t.hi = hi;
    return t;
  }
  static TensorInit band(std::int32_t lo, std::int32_t hi, double value = 1.0) {
    TensorInit t;
    t.kind = Kind::band;
    t.band_lo = lo;
    t.band_hi = hi;
    t.value = value;
    return t;
  }
};

/// The largest DRAM tensor (and the largest DRAM footprint) a program may declare: 256 TiB.
/// Larger sizes are refused rather than wrapped (four dimensions of 2^16 are 2^64 elements).
inline constexpr std::uint64_t kMaxDramBytes = std::uint64_t{1} << 48;

struct DramTensor {
  std::string name;
  DType dtype = DType::fp32;
  std::vector<std::uint32_t> shape;  ///< 1 to 4 dimensions
  TensorInit init;
  bool output = false;      ///< written to the output directory after the run
  std::uint64_t address = 0;  ///< assigned by check_program()
  std::uint32_t line = 0;
  std::uint32_t note = 0;

  std::uint64_t elements() const;
  std::uint64_t size_bytes() const { return elements() * dtype_bytes(dtype); }
  std::uint32_t rows() const { return shape.size() >= 2 ? shape[shape.size() - 2] : 1; }
  std::uint32_t cols() const { return shape.back(); }
};

struct Buffer {
  std::string name;
  DType dtype = DType::fp32;
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::optional<std::uint64_t> fixed_address;  ///< `@ADDR` in the text form
  std::optional<std::uint32_t> alias_of;       ///< `@NAME`: the same bytes as an earlier buffer
  std::uint64_t address = 0;                   ///< assigned by check_program()
  std::uint32_t line = 0;
  std::uint32_t note = 0;

  std::uint64_t size_bytes() const { return std::uint64_t{rows} * cols * dtype_bytes(dtype); }
};

/// The instructions of one hardware thread of one core, in program order (thread 0 unless the
/// core runs several: sequencer.threads).
struct Stream {
  std::uint32_t core = 0;
  std::uint32_t thread = 0;
  bool declared = false;  ///< written as `.core N [thread=T]` (core 0 thread 0 may be implicit)
  std::uint32_t line = 0;
  std::uint32_t note = 0;
  HugeVector<Instruction> code;  ///< in huge pages once large (npu/common/huge_pages.hpp)
};

struct Program {
  std::string source;  ///< file name for messages ("<builder>" for built programs)
  std::vector<DramTensor> tensors;
  std::vector<Buffer> buffers;
  std::vector<std::string> flags;
  std::vector<Stream> streams;
  std::vector<Notes> notes{Notes{}};  ///< notes[0] is the empty note
  std::vector<std::string> trailing_lines;  ///< comment lines after the last statement
  /// Every distinct operand and attribute set of the instructions ([0]: `none`, the defaults).
  InternTable<Operand> operand_table;
  InternTable<Attrs> attrs_table;
  /// The byte region of each operand_table entry (an empty Region for non-tensors), worked out
  /// once check_program() has assigned addresses (place_operands(), access.hpp); empty before.
  std::vector<Region> operand_regions;
  /// The extent of each operand_region (empty for non-tensors), filled with them.
  std::vector<Extent> operand_extents;
  /// make_instruction()'s memo, tried before hashing: for each operand position and each
  /// tensor, buffer or kind of operand (a few share an entry: operand_hint_slot() in
  /// program.cpp), the operand it interned last there; and the last attributes other than the
  /// defaults. Kept by tensor as well as by position: a position that alternates between
  /// tensors (a tiled GEMM's loads from A and from B) meets, for each tensor, the same window
  /// again or the one interned after it (InternTable::intern()'s hint). Each entry holds an
  /// index of operand_table (0 at first).
  static constexpr std::size_t kHintsPerPosition = 256;
  std::array<std::uint32_t, kMaxOperands * kHintsPerPosition> operand_hints{};
  std::uint32_t attrs_hint = 0;

  /// Operand `i` of `in`, destination first (the `none` operand from in.noperands on).
  const Operand& operand(const Instruction& in, int i) const { return operand_table[in.operand_ids[i]]; }
  const Operand& dst(const Instruction& in) const { return operand(in, 0); }
  const Attrs& attrs(const Instruction& in) const { return attrs_table[in.attrs_id]; }
  /// An instruction of this program: `op` with `operands` (up to the first `none`) and `attrs`.
  /// Pointers, so that building millions of instructions copies no operand.
  Instruction make_instruction(Opcode op, std::initializer_list<const Operand*> operands,
                               const Attrs& attrs = kNoAttrs);

  const DramTensor* find_tensor(std::string_view name) const;
  const Buffer* find_buffer(std::string_view name) const;
  /// The stream of instructions of thread `thread` of core `core` (nullptr: it has none).
  const Stream* find_stream(std::uint32_t core, std::uint32_t thread = 0) const;
  int find_flag(std::string_view name) const;
  std::size_t instruction_count() const;

  /// Element type and name of a tensor operand.
  DType dtype_of(const Operand& o) const {
    return o.space == Space::dram ? tensors[o.id].dtype : buffers[o.id].dtype;
  }
  const std::string& name_of(const Operand& o) const;
  /// Shape of the tensor or buffer a tensor operand indexes (buffers are 2-D).
  std::vector<std::uint32_t> dims_of(const Operand& o) const;
  /// The number of columns of the tensor an operand indexes (its row stride in elements).
  std::uint32_t stride_of(const Operand& o) const {
    return o.space == Space::dram ? tensors[o.id].cols() : buffers[o.id].cols;
  }
  /// A tensor operand's rows are adjacent in memory (or it has one row).
  bool contiguous(const Operand& o) const { return o.view.rows <= 1 || o.view.cols == stride_of(o); }
  /// Byte address of element (0, 0) of an operand's view, in its space.
  std::uint64_t address_of(const Operand& o) const {
    const std::uint64_t base = o.space == Space::dram ? tensors[o.id].address : buffers[o.id].address;
    return base + o.view.offset * dtype_bytes(dtype_of(o));
  }
};

/// Adds a note and returns its index (0 if `n` is empty).
std::uint32_t add_note(Program& p, Notes n);

}  // namespace npusim::npu
