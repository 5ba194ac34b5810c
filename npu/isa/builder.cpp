#include "npu/isa/builder.hpp"

#include <utility>

#include "npu/common/error.hpp"
#include "npu/isa/asm.hpp"

namespace npusim::npu {

ProgramBuilder::ProgramBuilder(std::string source) { m_program.source = std::move(source); }

TensorRef ProgramBuilder::dram(const std::string& name, DType dtype, std::vector<std::uint32_t> shape,
                               TensorInit init, bool output) {
  NPUSIM_ASSERT(!shape.empty() && shape.size() <= 4, "DRAM tensors have 1 to 4 dimensions");
  DramTensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.init = std::move(init);
  t.output = output;
  t.note = pending_note();
  m_program.tensors.push_back(std::move(t));
  const DramTensor& d = m_program.tensors.back();
  return TensorRef(static_cast<std::uint32_t>(m_program.tensors.size() - 1), d.rows(), d.cols());
}

BufferRef ProgramBuilder::buffer(const std::string& name, DType dtype, std::uint32_t rows, std::uint32_t cols,
                                 std::optional<std::uint64_t> address) {
  Buffer b;
  b.name = name;
  b.dtype = dtype;
  b.rows = rows;
  b.cols = cols;
  b.fixed_address = address;
  b.note = pending_note();
  m_program.buffers.push_back(std::move(b));
  return BufferRef(static_cast<std::uint32_t>(m_program.buffers.size() - 1), rows, cols);
}

BufferRef ProgramBuilder::alias(const std::string& name, DType dtype, std::uint32_t rows, std::uint32_t cols,
                                const BufferRef& of) {
  const BufferRef ref = buffer(name, dtype, rows, cols);
  m_program.buffers.back().alias_of = of.id();
  return ref;
}

void ProgramBuilder::core(std::uint32_t n, std::uint32_t thread) {
  for (std::size_t i = 0; i < m_program.streams.size(); ++i) {
    if (m_program.streams[i].core == n && m_program.streams[i].thread == thread) {
      m_current = i;
      return;
    }
  }
  Stream s;
  s.core = n;
  s.thread = thread;
  s.declared = true;
  s.note = pending_note();
  m_program.streams.push_back(std::move(s));
  m_current = m_program.streams.size() - 1;
}

void ProgramBuilder::comment(const std::string& text) { m_pending_comments.push_back("# " + text); }

Stream& ProgramBuilder::stream() {
  if (m_program.streams.empty()) {
    m_program.streams.emplace_back();
    m_current = 0;
  }
  return m_program.streams[m_current];
}

void ProgramBuilder::reserve(std::size_t instructions) { stream().code.reserve(stream().code.size() + instructions); }

std::uint32_t ProgramBuilder::pending_note() {
  return add_note(m_program, Notes{std::exchange(m_pending_comments, {}), {}});
}

Instruction& ProgramBuilder::emit(Opcode op, std::initializer_list<const Operand*> operands, const Attrs& attrs) {
  Instruction in = m_program.make_instruction(op, operands, attrs);
  if (!m_pending_comments.empty()) in.note = pending_note();  // out of line: emit() is hot
  return m_capturing ? m_captured.emplace_back(in) : stream().code.emplace_back(in);
}

void ProgramBuilder::dma_load(const Operand& dst, const Operand& src, std::uint8_t queue) {
  emit(Opcode::dma_load, {&dst, &src}).queue = queue;
}

void ProgramBuilder::dma_store(const Operand& dst, const Operand& src, std::uint8_t queue) {
  emit(Opcode::dma_store, {&dst, &src}).queue = queue;
}

void ProgramBuilder::matmul(const Operand& c, const Operand& a, const Operand& b, bool acc, bool ta, bool tb,
                            int shift) {
  Attrs attrs;
  attrs.acc = acc;
  attrs.ta = ta;
  attrs.tb = tb;
  attrs.shift = shift;
  emit(Opcode::matmul, {&c, &a, &b}, attrs);
}

void ProgramBuilder::vec(Opcode op, const Operand& dst, const Operand& a, const Operand& b, const Operand& c,
                         const Attrs& attrs) {
  NPUSIM_ASSERT(op_info(op).unit == UnitKind::vector, "vec() emits vector instructions only");
  emit(op, {&dst, &a, &b, &c}, attrs);
}

void ProgramBuilder::barrier() { emit(Opcode::barrier, {}); }

Operand ProgramBuilder::flag(const std::string& name) {
  Operand o;
  o.kind = Operand::Kind::flag;
  int id = m_program.find_flag(name);
  if (id < 0) {
    m_program.flags.push_back(name);
    id = static_cast<int>(m_program.flags.size() - 1);
  }
  o.id = static_cast<std::uint32_t>(id);
  return o;
}

void ProgramBuilder::signal(const std::string& name) {
  const Operand f = flag(name);
  emit(Opcode::signal, {&f});
}

void ProgramBuilder::wait(const std::string& name) {
  const Operand f = flag(name);
  emit(Opcode::wait, {&f});
}

void ProgramBuilder::matrix_acquire() { emit(Opcode::matrix_acquire, {}); }
void ProgramBuilder::matrix_release() { emit(Opcode::matrix_release, {}); }

Operand ProgramBuilder::imm(double v) {
  Operand o;
  o.kind = Operand::Kind::imm;
  o.imm = v;
  return o;
}

void ProgramBuilder::begin_capture() {
  NPUSIM_ASSERT(!m_capturing, "captures do not nest");
  m_capturing = true;
}

std::vector<Instruction> ProgramBuilder::end_capture() {
  m_capturing = false;
  return std::exchange(m_captured, {});
}

void ProgramBuilder::append(const std::vector<Instruction>& code) {
  auto& s = stream().code;
  s.insert(s.end(), code.begin(), code.end());
}

Program ProgramBuilder::finish() {
  m_program.trailing_lines = std::exchange(m_pending_comments, {});
  assign_canonical_lines(m_program);
  for (Stream& s : m_program.streams) release_unused_capacity(s.code);  // streams built by parts grew by doubling
  return std::move(m_program);
}

}  // namespace npusim::npu
