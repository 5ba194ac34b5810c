#include "npu/isa/program.hpp"

#include <cstring>

namespace npusim::npu {

namespace {

/// The entry of a row of Program::operand_hints (one row per operand position) for `o`: a
/// multiplicative hash of the operand's first word (its kind, space and tensor or buffer id).
/// Operands sharing an entry only make the hint miss.
std::size_t operand_hint_slot(const Operand& o) {
  std::uint64_t head;
  std::memcpy(&head, &o, sizeof head);
  constexpr int kBits = 8;
  static_assert(Program::kHintsPerPosition == std::size_t{1} << kBits);
  return (head * 0x9e3779b97f4a7c15ULL) >> (64 - kBits);
}

}  // namespace

std::uint64_t DramTensor::elements() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

const DramTensor* Program::find_tensor(std::string_view name) const {
  for (const auto& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const Buffer* Program::find_buffer(std::string_view name) const {
  for (const auto& b : buffers) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

const Stream* Program::find_stream(std::uint32_t core, std::uint32_t thread) const {
  for (const auto& s : streams) {
    if (s.core == core && s.thread == thread) return &s;
  }
  return nullptr;
}

int Program::find_flag(std::string_view name) const {
  for (std::size_t i = 0; i < flags.size(); ++i) {
    if (flags[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::size_t Program::instruction_count() const {
  std::size_t n = 0;
  for (const auto& s : streams) n += s.code.size();
  return n;
}

const std::string& Program::name_of(const Operand& o) const {
  if (o.kind == Operand::Kind::flag) return flags[o.id];
  return o.space == Space::dram ? tensors[o.id].name : buffers[o.id].name;
}

std::vector<std::uint32_t> Program::dims_of(const Operand& o) const {
  if (o.space == Space::dram) return tensors[o.id].shape;
  return {buffers[o.id].rows, buffers[o.id].cols};
}

Instruction Program::make_instruction(Opcode op, std::initializer_list<const Operand*> operands, const Attrs& attrs) {
  NPUSIM_ASSERT(operands.size() <= kMaxOperands, "too many operands");
  Instruction in;
  in.op = op;
  // Counted in a local: every store to the byte in.noperands may alias the tables' pointers,
  // which the loop would then load again for each operand.
  std::uint8_t n = 0;
  std::uint32_t* hints = operand_hints.data();  // position n's row
  for (const Operand* o : operands) {
    if (o->kind == Operand::Kind::none) break;
    in.operand_ids[n++] = operand_table.intern(*o, hints[operand_hint_slot(*o)]);
    hints += kHintsPerPosition;
  }
  in.noperands = n;
  // [0] holds the defaults; kNoAttrs itself (the builder's default argument) needs no compare.
  if (&attrs != &kNoAttrs && !(attrs == kNoAttrs)) in.attrs_id = attrs_table.intern(attrs, attrs_hint);
  return in;
}

std::uint32_t add_note(Program& p, Notes n) {
  if (n.leading.empty() && n.trailing.empty()) return 0;
  p.notes.push_back(std::move(n));
  return static_cast<std::uint32_t>(p.notes.size() - 1);
}

}  // namespace npusim::npu
