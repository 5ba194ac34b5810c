#include <fmt/format.h>

#include "npu/isa/asm.hpp"

namespace npusim::npu {
namespace {

std::string format_init(const TensorInit& init) {
  switch (init.kind) {
    case TensorInit::Kind::zeros: return "";
    case TensorInit::Kind::identity: return " init=identity";
    case TensorInit::Kind::band:
      if (init.value == 1.0) return fmt::format(" init=band({}, {})", init.band_lo, init.band_hi);
      return fmt::format(" init=band({}, {}, {})", init.band_lo, init.band_hi, init.value);
    case TensorInit::Kind::file: return fmt::format(" init=file(\"{}\")", init.path);
    case TensorInit::Kind::random:
      if (init.lo == -1.0 && init.hi == 1.0) return fmt::format(" init=random({})", init.seed);
      return fmt::format(" init=random({}, {}, {})", init.seed, init.lo, init.hi);
  }
  return "";
}

std::string join_shape(const std::vector<std::uint32_t>& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s;
}

// Walks the program in canonical order. Appends text to `out` when given, and stores each
// statement's line number into `assign` when given (the same program, made mutable).
void emit(const Program& p, std::string* out, Program* assign) {
  std::uint32_t line = 0;
  auto statement = [&](std::uint32_t note, const std::string& text) -> std::uint32_t {
    const Notes& n = p.notes[note];
    line += static_cast<std::uint32_t>(n.leading.size());
    if (out) {
      for (const auto& l : n.leading) *out += l + '\n';
      *out += text;
      if (!n.trailing.empty()) *out += "  " + n.trailing;
      *out += '\n';
    }
    return ++line;
  };

  for (std::size_t i = 0; i < p.tensors.size(); ++i) {
    const DramTensor& t = p.tensors[i];
    std::string text;
    if (out) {
      text = fmt::format(".dram {} {} [{}]{}{}", t.name, dtype_name(t.dtype), join_shape(t.shape),
                         format_init(t.init), t.output ? " output" : "");
    }
    const auto l = statement(t.note, text);
    if (assign) assign->tensors[i].line = l;
  }
  for (std::size_t i = 0; i < p.buffers.size(); ++i) {
    const Buffer& b = p.buffers[i];
    std::string text;
    if (out) {
      text = fmt::format(".buffer {} {} [{}, {}]", b.name, dtype_name(b.dtype), b.rows, b.cols);
      if (b.fixed_address) text += fmt::format(" @0x{:x}", *b.fixed_address);
      if (b.alias_of) text += " @" + p.buffers[*b.alias_of].name;
    }
    const auto l = statement(b.note, text);
    if (assign) assign->buffers[i].line = l;
  }
  for (std::size_t s = 0; s < p.streams.size(); ++s) {
    const Stream& st = p.streams[s];
    if (st.declared) {
      std::string text;
      if (out) text = st.thread ? fmt::format(".core {} thread={}", st.core, st.thread) : fmt::format(".core {}", st.core);
      const auto l = statement(st.note, text);
      if (assign) assign->streams[s].line = l;
    }
    if (!out) {  // numbering lines only (assign_canonical_lines(), every built program): as statement()
      if (!assign) continue;
      for (Instruction& in : assign->streams[s].code) {  // `assign` is `p`: number in place
        if (in.note) line += static_cast<std::uint32_t>(p.notes[in.note].leading.size());  // notes[0] is empty
        in.line = ++line;
      }
      continue;
    }
    for (std::size_t i = 0; i < st.code.size(); ++i) {
      const auto l = statement(st.code[i].note, format_instruction(p, st.code[i]));
      if (assign) assign->streams[s].code[i].line = l;
    }
  }
  if (out) {
    for (const auto& l : p.trailing_lines) *out += l + '\n';
  }
}

}  // namespace

std::string format_operand(const Program& p, const Operand& o) {
  switch (o.kind) {
    case Operand::Kind::none: return "";
    case Operand::Kind::imm: return fmt::format("{}", o.imm);
    case Operand::Kind::flag: return p.flags[o.id];
    case Operand::Kind::tensor: break;
  }
  const auto dims = p.dims_of(o);
  const std::size_t rank = dims.size();
  // Decompose the view offset into one index per dimension.
  std::vector<std::uint64_t> first(rank);
  std::uint64_t rem = o.view.offset;
  for (std::size_t d = rank; d-- > 0;) {
    first[d] = rem % dims[d];
    rem /= dims[d];
  }
  std::vector<std::uint64_t> extent(rank, 1);
  extent[rank - 1] = o.view.cols;
  if (rank >= 2) extent[rank - 2] = o.view.rows;

  std::vector<std::string> specs(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    if (d + 2 < rank) {
      specs[d] = std::to_string(first[d]);
    } else if (first[d] == 0 && extent[d] == dims[d]) {
      specs[d] = ":";
    } else if (extent[d] == 1) {
      specs[d] = std::to_string(first[d]);
    } else {
      specs[d] = fmt::format("{}:{}", first[d], first[d] + extent[d]);
    }
  }
  while (!specs.empty() && specs.back() == ":") specs.pop_back();
  const std::string& name = p.name_of(o);
  if (specs.empty()) return name;
  std::string s = name + '[';
  for (std::size_t i = 0; i < specs.size(); ++i) s += (i ? ", " : "") + specs[i];
  return s + ']';
}

std::string format_instruction(const Program& p, const Instruction& in) {
  const OpInfo& info = in.info();
  std::string s(info.mnemonic);
  for (int i = 0; i < in.noperands; ++i) {
    s += i == 0 ? " " : ", ";
    s += format_operand(p, p.operand(in, i));
  }
  const Attrs& a = p.attrs(in);
  const auto allowed = [&](std::uint16_t bit) { return (info.attrs & bit) != 0; };
  if (allowed(kAttrAcc) && a.acc) s += " acc";
  if (allowed(kAttrTa) && a.ta) s += " ta";
  if (allowed(kAttrTb) && a.tb) s += " tb";
  if (allowed(kAttrQueue) && in.queue != 0) s += fmt::format(" q={}", in.queue);
  if (allowed(kAttrAxis) && a.axis != 1) s += fmt::format(" axis={}", a.axis);
  if (allowed(kAttrLo) && a.lo != 0) s += fmt::format(" lo={}", a.lo);
  if (allowed(kAttrHi) && a.hi) s += fmt::format(" hi={}", *a.hi);
  if (allowed(kAttrShift) && a.shift != 0) s += fmt::format(" shift={}", a.shift);
  if (allowed(kAttrMult) && a.mult != 1) s += fmt::format(" mult={}", a.mult);
  if (allowed(kAttrRound) && a.round != Rounding::rne) s += fmt::format(" round={}", rounding_name(a.round));
  if (allowed(kAttrTo)) s += a.to_matrix ? " to=matrix" : " to=vector";
  return s;
}

std::string print_program(const Program& p) {
  std::string out;
  emit(p, &out, nullptr);
  return out;
}

void assign_canonical_lines(Program& p) { emit(p, nullptr, &p); }

}  // namespace npusim::npu
