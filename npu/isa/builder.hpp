#pragma once
/// C++ construction of programs, used by kernels/. A built program is the same Program the
/// parser produces: print_program() gives its `.npuasm` text, and check_program() validates it.
#include <string>
#include <vector>

#include "npu/isa/program.hpp"

namespace npusim::npu {

/// A scratchpad buffer declared in a builder; hands out operands that window it.
class BufferRef {
 public:
  BufferRef() = default;
  BufferRef(std::uint32_t id, std::uint32_t rows, std::uint32_t cols) : m_id(id), m_rows(rows), m_cols(cols) {}

  /// The whole buffer.
  Operand all() const { return view(0, m_rows, 0, m_cols); }
  /// `rows` x `cols` elements starting at (row0, col0).
  Operand view(std::uint32_t row0, std::uint32_t rows, std::uint32_t col0, std::uint32_t cols) const {
    Operand o;
    o.kind = Operand::Kind::tensor;
    o.space = Space::scratchpad;
    o.id = m_id;
    o.view = View{std::uint64_t{row0} * m_cols + col0, rows, cols};
    return o;
  }
  /// Rows [row0, row0 + rows), all columns.
  Operand rows(std::uint32_t row0, std::uint32_t rows) const { return view(row0, rows, 0, m_cols); }
  /// One element, as a 1x1 operand (broadcasts like a scalar).
  Operand at(std::uint32_t row, std::uint32_t col) const { return view(row, 1, col, 1); }

  std::uint32_t id() const { return m_id; }
  std::uint32_t row_count() const { return m_rows; }
  std::uint32_t col_count() const { return m_cols; }

 private:
  std::uint32_t m_id = 0, m_rows = 0, m_cols = 0;
};

/// A DRAM tensor declared in a builder. Its trailing two dimensions are the matrix; leading
/// dimensions (a batch, heads) are addressed by a flat matrix index.
class TensorRef {
 public:
  TensorRef() = default;
  TensorRef(std::uint32_t id, std::uint32_t rows, std::uint32_t cols) : m_id(id), m_rows(rows), m_cols(cols) {}

  /// The whole tensor (2-D tensors only, or the first matrix of a batch).
  Operand all() const { return view(0, 0, m_rows, 0, m_cols); }
  /// Matrix number `matrix` (flat index over the leading dimensions), whole.
  Operand matrix(std::uint64_t matrix) const { return view(matrix, 0, m_rows, 0, m_cols); }
  /// A window of matrix number `matrix`.
  Operand view(std::uint64_t matrix, std::uint32_t row0, std::uint32_t rows, std::uint32_t col0,
               std::uint32_t cols) const {
    Operand o;
    o.kind = Operand::Kind::tensor;
    o.space = Space::dram;
    o.id = m_id;
    o.view = View{(matrix * m_rows + row0) * m_cols + col0, rows, cols};
    return o;
  }

  std::uint32_t id() const { return m_id; }

 private:
  std::uint32_t m_id = 0, m_rows = 0, m_cols = 0;
};

class ProgramBuilder {
 public:
  explicit ProgramBuilder(std::string source = "<builder>");

  TensorRef dram(const std::string& name, DType dtype, std::vector<std::uint32_t> shape, TensorInit init = {},
                 bool output = false);
  BufferRef buffer(const std::string& name, DType dtype, std::uint32_t rows, std::uint32_t cols,
                   std::optional<std::uint64_t> address = std::nullopt);
  /// Another view of `of`'s bytes, with its own dtype and shape (it must fit in `of`).
  BufferRef alias(const std::string& name, DType dtype, std::uint32_t rows, std::uint32_t cols, const BufferRef& of);

  /// Following instructions go to thread `thread` of core `n`.
  void core(std::uint32_t n, std::uint32_t thread = 0);
  /// A comment line placed before the next statement.
  void comment(const std::string& text);

  void dma_load(const Operand& dst, const Operand& src, std::uint8_t queue = 0);
  void dma_store(const Operand& dst, const Operand& src, std::uint8_t queue = 0);
  void matmul(const Operand& c, const Operand& a, const Operand& b, bool acc = false, bool ta = false,
              bool tb = false, int shift = 0);
  /// Any vector instruction; operands after the destination in ISA order.
  void vec(Opcode op, const Operand& dst, const Operand& a = kNoOperand, const Operand& b = kNoOperand,
           const Operand& c = kNoOperand, const Attrs& attrs = kNoAttrs);
  void barrier();
  void signal(const std::string& flag);
  void wait(const std::string& flag);
  void matrix_acquire();
  void matrix_release();

  static Operand imm(double v);

  /// Holds back the instructions emitted from now on (for a scheduler to reorder).
  void begin_capture();
  /// Returns the instructions held back since begin_capture().
  std::vector<Instruction> end_capture();
  /// Appends instructions to the current stream.
  void append(const std::vector<Instruction>& code);

  /// Room for `instructions` more in the current stream (saves copies when the count is known).
  void reserve(std::size_t instructions);

  /// Instructions emitted so far.
  std::size_t size() const { return m_program.instruction_count(); }
  /// The program as built so far.
  const Program& program() const { return m_program; }

  /// Finishes the program: numbers its lines as print_program() would.
  Program finish();

 private:
  Instruction& emit(Opcode op, std::initializer_list<const Operand*> operands, const Attrs& attrs = kNoAttrs);
  /// The comments given since the last statement, as a note for the next one (0: none).
  std::uint32_t pending_note();
  Operand flag(const std::string& name);
  Stream& stream();

  Program m_program;
  std::size_t m_current = 0;
  bool m_capturing = false;
  std::vector<Instruction> m_captured;
  std::vector<std::string> m_pending_comments;
};

}  // namespace npusim::npu
