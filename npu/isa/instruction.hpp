#pragma once
/// The tile-level ISA: opcodes, operands and instructions. Operands name a whole DRAM tensor or
/// scratchpad buffer, or a 2-D window of one, so every operand is a 2-D strided region.
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "npu/common/region.hpp"
#include "npu/config.hpp"
#include "npu/isa/intern.hpp"
#include "npu/numerics/integer.hpp"

namespace npusim::npu {

enum class Opcode : std::uint8_t {
  dma_load, dma_store,
  matmul,
  vec_add, vec_sub, vec_mul, vec_fma, vec_max, vec_min, vec_exp, vec_recip, vec_log,
  vec_reduce_sum, vec_reduce_max, vec_cast, vec_requant, vec_select, vec_band,
  vec_identity, vec_fill, vec_copy, vec_transpose, vec_layout,
  barrier, signal, wait, matrix_acquire, matrix_release,
};
inline constexpr int kOpcodeCount = 28;

/// The unit an instruction executes on. Sequencer instructions (barrier, signal, wait) never
/// leave the sequencer.
enum class UnitKind : std::uint8_t { sequencer, matrix, vector, dma };

/// Attributes an opcode accepts (bit mask in OpInfo::attrs).
enum AttrBit : std::uint16_t {
  kAttrAcc = 1 << 0, kAttrTa = 1 << 1, kAttrTb = 1 << 2, kAttrQueue = 1 << 3, kAttrAxis = 1 << 4,
  kAttrLo = 1 << 5, kAttrHi = 1 << 6, kAttrShift = 1 << 7, kAttrMult = 1 << 8, kAttrRound = 1 << 9,
  kAttrTo = 1 << 10,
};

/// Static description of an opcode: spelling, unit, operand count, timing class, attributes.
struct OpInfo {
  Opcode op;
  std::string_view mnemonic;
  UnitKind unit;
  std::uint8_t operands;      ///< exact operand count, destination first
  VectorOpClass vclass;       ///< latency-table row (vector unit only)
  std::uint16_t attrs;        ///< accepted AttrBit mask
  std::string_view syntax;    ///< usage line for error messages
};

namespace detail {
extern const OpInfo kOpInfo[kOpcodeCount];  ///< one row per opcode, in Opcode order (opcodes.cpp)
}
inline const OpInfo& op_info(Opcode op) { return detail::kOpInfo[static_cast<int>(op)]; }
/// Looks an opcode up by mnemonic; nullptr if there is none.
const OpInfo* find_op(std::string_view mnemonic);
/// The mnemonic closest to `word` (for "did you mean"), or empty.
std::string_view closest_mnemonic(std::string_view word);

/// The 2-D window an operand selects: `rows` x `cols` elements starting `offset` elements into
/// its tensor. Rows are the tensor's row length apart (Program::stride_of()).
struct View {
  std::uint64_t offset = 0;
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;

  std::uint64_t elements() const { return std::uint64_t{rows} * cols; }
  friend bool operator==(const View& a, const View& b) {
    return a.offset == b.offset && a.rows == b.rows && a.cols == b.cols;
  }
};

/// What an instruction reads or writes: a window of a DRAM tensor or scratchpad buffer, an
/// immediate, or a flag. Programs keep each distinct operand once (Program::operand_table).
struct Operand {
  enum class Kind : std::uint8_t { none, tensor, imm, flag };
  Kind kind = Kind::none;
  Space space = Space::scratchpad;
  std::uint16_t zero = 0;  ///< the padding, kept zero: operands compare and hash as four words
  std::uint32_t id = 0;    ///< DRAM tensor index, scratchpad buffer index or flag index
  View view;               ///< tensor operands
  double imm = 0.0;        ///< immediate operands

  bool is_tensor() const { return kind == Kind::tensor; }
  bool is_imm() const { return kind == Kind::imm; }
  /// Equal in every field; immediates bit for bit (0 and -0 print differently).
  friend bool operator==(const Operand& a, const Operand& b) { return std::memcmp(&a, &b, sizeof(Operand)) == 0; }
  friend std::uint64_t hash_value(const Operand& o) {
    std::uint64_t w[4];
    std::memcpy(w, &o, sizeof w);
    return hash_words(w[0], w[1], w[2], w[3]);
  }
};
static_assert(sizeof(Operand) == 32, "an operand is four words with no padding (operator==, hash_value)");
/// The `none` operand, for defaults: make_instruction() stops at it.
inline constexpr Operand kNoOperand{};

/// Instruction attributes; fields not accepted by an opcode keep their defaults. Programs keep
/// each distinct set once (Program::attrs_table). The DMA queue is no attribute here: it is
/// Instruction::queue.
struct Attrs {
  bool acc = false;  ///< matmul: accumulate into the destination
  bool ta = false;   ///< matmul: A is stored K x M and used transposed
  bool tb = false;   ///< matmul: B is stored N x K and used transposed
  std::uint8_t axis = 1;   ///< reduce: 1 reduces each row, 0 each column
  std::int32_t lo = 0;     ///< band: keep lo <= i - j <= hi
  std::optional<std::int32_t> hi;
  std::int32_t shift = 0;  ///< requant: out = round(in * mult / 2^shift); integer matmul: write-back shift
  std::int32_t mult = 1;
  Rounding round = Rounding::rne;  ///< requant, float-to-int cast
  bool to_matrix = false;  ///< vec.layout: convert into the matrix unit's layout (else the vector unit's)

  friend bool operator==(const Attrs& a, const Attrs& b) {
    return a.acc == b.acc && a.ta == b.ta && a.tb == b.tb && a.axis == b.axis && a.lo == b.lo && a.hi == b.hi &&
           a.shift == b.shift && a.mult == b.mult && a.round == b.round && a.to_matrix == b.to_matrix;
  }
  friend std::uint64_t hash_value(const Attrs& a) {
    const std::uint64_t flags = std::uint64_t{a.acc} | std::uint64_t{a.ta} << 1 | std::uint64_t{a.tb} << 2 |
                                std::uint64_t{a.to_matrix} << 3 | std::uint64_t{a.axis} << 8 |
                                std::uint64_t{static_cast<std::uint8_t>(a.round)} << 16 | std::uint64_t{a.hi.has_value()} << 24;
    const auto u32 = [](std::int32_t v) { return std::uint64_t{static_cast<std::uint32_t>(v)}; };
    return hash_words(flags, u32(a.lo) << 32 | u32(a.hi.value_or(0)), u32(a.shift) << 32 | u32(a.mult));
  }
};
/// The default attributes, for defaults: make_instruction() knows them by address.
inline constexpr Attrs kNoAttrs{};

inline constexpr int kMaxOperands = 4;

/// One instruction of a stream. Its operands and attributes are indices into its Program's
/// tables: read them with Program::operand() and Program::attrs(), make instructions with
/// Program::make_instruction() (or intern into the tables directly).
struct Instruction {
  Opcode op = Opcode::barrier;
  std::uint8_t noperands = 0;
  std::uint8_t queue = 0;     ///< DMA queue (kept here: it picks the unit the instruction runs on)
  std::uint32_t attrs_id = 0;  ///< index into Program::attrs_table (0: the defaults)
  /// Indices into Program::operand_table, destination first; 0 (the `none` operand) past noperands.
  std::array<std::uint32_t, kMaxOperands> operand_ids{};
  std::uint32_t line = 0;  ///< source line (or the line in the printed program for built ones)
  std::uint32_t note = 0;  ///< index into Program::notes (0: no comments attached)

  const OpInfo& info() const { return op_info(op); }
  UnitKind unit() const { return op_info(op).unit; }
};
static_assert(sizeof(Instruction) <= 32, "instructions stay small: streams run to millions of them");

}  // namespace npusim::npu
