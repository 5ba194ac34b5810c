#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fmt/format.h>
#include <limits>
#include <unordered_map>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "npu/isa/asm.hpp"

namespace npusim::npu {
namespace {

/// A problem on the current line; caught per line so that every line is checked.
struct LineError {
  int col;
  std::string message;
};

struct Token {
  enum class Kind { ident, number, string, punct, end };
  Kind kind = Kind::end;
  std::string_view text;
  int col = 0;  // 1-based

  bool is(char c) const { return kind == Kind::punct && text.size() == 1 && text[0] == c; }
  std::string shown() const { return kind == Kind::end ? "end of line" : fmt::format("'{}'", text); }
};

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

/// Splits the code part of one line (comment already removed) into tokens.
std::vector<Token> tokenize(std::string_view code) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < code.size()) {
    const char c = code[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    const std::size_t start = i;
    Token t;
    t.col = static_cast<int>(start) + 1;
    const bool signed_number = (c == '-' || c == '+') && i + 1 < code.size() &&
                               (digit(code[i + 1]) || code[i + 1] == '.');
    const bool dot_number = c == '.' && i + 1 < code.size() && digit(code[i + 1]);
    if (digit(c) || signed_number || dot_number) {
      t.kind = Token::Kind::number;
      ++i;
      while (i < code.size()) {
        const char d = code[i];
        const bool exponent_sign = (d == '-' || d == '+') && (code[i - 1] == 'e' || code[i - 1] == 'E') &&
                                   code.substr(start, 2) != "0x";
        if (!(ident_char(d) || exponent_sign)) break;
        ++i;
      }
    } else if (ident_start(c)) {
      t.kind = Token::Kind::ident;
      while (i < code.size() && ident_char(code[i])) ++i;
    } else if (c == '"') {
      t.kind = Token::Kind::string;
      const std::size_t close = code.find('"', i + 1);
      if (close == std::string_view::npos) throw LineError{t.col, "unterminated string"};
      i = close + 1;
    } else if (std::string_view(",[]:=()@").find(c) != std::string_view::npos) {
      t.kind = Token::Kind::punct;
      ++i;
    } else {
      throw LineError{t.col, fmt::format("unexpected character '{}'", c)};
    }
    t.text = code.substr(start, i - start);
    out.push_back(t);
  }
  Token end;
  end.col = static_cast<int>(code.size()) + 1;
  out.push_back(end);
  return out;
}

/// Finds the '#' that starts a comment (outside string literals), or npos.
std::size_t comment_start(std::string_view line) {
  bool in_string = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"') in_string = !in_string;
    if (line[i] == '#' && !in_string) return i;
  }
  return std::string_view::npos;
}

std::string_view rtrim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
std::string_view ltrim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

bool valid_name(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

class Parser {
 public:
  Parser(std::string_view text, std::string source) : m_text(text) { m_program.source = std::move(source); }

  Program run() {
    std::size_t pos = m_text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;  // a UTF-8 byte order mark, as editors write it
    std::uint32_t line_no = 0;
    while (pos < m_text.size()) {
      std::size_t eol = m_text.find('\n', pos);
      if (eol == std::string_view::npos) eol = m_text.size();
      parse_line(m_text.substr(pos, eol - pos), ++line_no);
      pos = eol + 1;
    }
    m_program.trailing_lines = std::move(m_pending);
    if (!m_errors.empty()) throw_input_errors(std::move(m_errors), m_program.source);
    return std::move(m_program);
  }

 private:
  void parse_line(std::string_view raw, std::uint32_t line_no) {
    m_line = line_no;
    const std::size_t hash = comment_start(raw);
    const std::string_view code = rtrim(raw.substr(0, hash));
    const std::string comment(hash == std::string_view::npos ? std::string_view() : rtrim(raw.substr(hash)));
    if (ltrim(code).empty()) {
      m_pending.push_back(comment);
      return;
    }
    Notes notes{std::move(m_pending), comment};
    m_pending.clear();
    try {
      m_tokens = tokenize(code);
      m_pos = 0;
      const Token first = peek();
      if (first.kind != Token::Kind::ident) throw LineError{first.col, "expected an instruction or a directive"};
      if (first.text[0] == '.') {
        parse_directive(std::move(notes));
      } else {
        parse_instruction(std::move(notes));
      }
    } catch (const LineError& e) {
      m_errors.push_back(fmt::format("{}:{}:{}: {}", m_program.source, m_line, e.col, e.message));
    }
  }

  // Token access ------------------------------------------------------------------------------
  const Token& peek() const { return m_tokens[m_pos]; }
  Token take() {
    Token t = m_tokens[m_pos];
    if (t.kind != Token::Kind::end) ++m_pos;
    return t;
  }
  void expect(char c, std::string_view what) {
    const Token t = take();
    if (!t.is(c)) throw LineError{t.col, fmt::format("expected '{}' {}, found {}", c, what, t.shown())};
  }
  void expect_end() {
    const Token t = peek();
    if (t.kind != Token::Kind::end) throw LineError{t.col, fmt::format("unexpected {}", t.shown())};
  }

  std::int64_t parse_int(const Token& t, std::int64_t lo, std::int64_t hi, std::string_view what) {
    if (t.kind != Token::Kind::number) {
      throw LineError{t.col, fmt::format("expected {} (an integer), found {}", what, t.shown())};
    }
    const std::string s(t.text);
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 0);
    if (*end != '\0' || errno == ERANGE) {
      throw LineError{t.col, fmt::format("expected {} (an integer), found '{}'", what, t.text)};
    }
    if (v < lo || v > hi) {
      throw LineError{t.col, fmt::format("{} must be in [{}, {}], got {}", what, lo, hi, v)};
    }
    return v;
  }

  double parse_double(const Token& t, std::string_view what) {
    const std::string s(t.text);
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (t.kind != Token::Kind::number || *end != '\0') {
      throw LineError{t.col, fmt::format("expected {} (a number), found {}", what, t.shown())};
    }
    return v;
  }

  std::vector<std::uint32_t> parse_shape(std::size_t min_rank, std::size_t max_rank) {
    const Token open = peek();
    expect('[', "to start the shape");
    std::vector<std::uint32_t> shape;
    for (;;) {
      shape.push_back(static_cast<std::uint32_t>(parse_int(take(), 1, 1 << 30, "a dimension")));
      const Token t = take();
      if (t.is(']')) break;
      if (!t.is(',')) throw LineError{t.col, fmt::format("expected ',' or ']' in the shape, found {}", t.shown())};
    }
    if (shape.size() < min_rank || shape.size() > max_rank) {
      throw LineError{open.col, min_rank == max_rank
                                    ? fmt::format("expected {} dimensions, got {}", min_rank, shape.size())
                                    : fmt::format("expected {} to {} dimensions, got {}", min_rank, max_rank,
                                                  shape.size())};
    }
    return shape;
  }

  // Directives --------------------------------------------------------------------------------
  void parse_directive(Notes notes) {
    const Token d = take();
    if (d.text == ".dram") return parse_dram(std::move(notes));
    if (d.text == ".buffer") return parse_buffer(std::move(notes));
    if (d.text == ".core") return parse_core(std::move(notes));
    throw LineError{d.col, fmt::format("unknown directive '{}' (expected .dram, .buffer or .core)", d.text)};
  }

  std::string parse_new_name() {
    const Token t = take();
    if (t.kind != Token::Kind::ident || !valid_name(t.text)) {
      throw LineError{t.col, fmt::format("expected a name (letters, digits, '_'), found {}", t.shown())};
    }
    const std::uint32_t line = declared_line(t.text);
    if (line) throw LineError{t.col, fmt::format("'{}' is already declared at line {}", t.text, line)};
    return std::string(t.text);
  }

  std::uint32_t declared_line(std::string_view name) const {
    if (const auto* t = tensor_named(name)) return t->line;
    if (const auto* b = buffer_named(name)) return b->line;
    return 0;
  }

  DType parse_dtype_token() {
    const Token t = take();
    const auto dt = parse_dtype(t.text);
    if (t.kind != Token::Kind::ident || !dt) {
      throw LineError{t.col, fmt::format("expected a dtype ({}), found {}", dtype_choices(), t.shown())};
    }
    return *dt;
  }

  void parse_dram(Notes notes) {
    DramTensor t;
    t.line = m_line;
    t.name = parse_new_name();
    t.dtype = parse_dtype_token();
    const Token shape_at = peek();
    t.shape = parse_shape(1, 4);
    std::uint64_t bytes = dtype_bytes(t.dtype);
    for (const std::uint32_t d : t.shape) {
      if (__builtin_mul_overflow(bytes, std::uint64_t{d}, &bytes) || bytes > kMaxDramBytes) {
        throw LineError{shape_at.col, fmt::format("tensor '{}' holds more than {} (the largest DRAM tensor npusim "
                                                  "takes)",
                                                  t.name, human_bytes(double(kMaxDramBytes)))};
      }
    }
    while (peek().kind != Token::Kind::end) {
      const Token a = take();
      if (a.kind == Token::Kind::ident && a.text == "output") {
        t.output = true;
      } else if (a.kind == Token::Kind::ident && a.text == "init") {
        expect('=', "after init");
        t.init = parse_init();
      } else {
        throw LineError{a.col, fmt::format("expected 'init=...' or 'output', found {}", a.shown())};
      }
    }
    t.note = add_note(m_program, std::move(notes));
    m_tensor_ids.emplace(t.name, static_cast<std::uint32_t>(m_program.tensors.size()));
    m_program.tensors.push_back(std::move(t));
  }

  TensorInit parse_init() {
    const Token k = take();
    TensorInit init;
    if (k.text == "zeros") return init;
    if (k.text == "identity") {
      init.kind = TensorInit::Kind::identity;
      return init;
    }
    if (k.text == "band") {
      init.kind = TensorInit::Kind::band;
      expect('(', "after band");
      constexpr std::int64_t lim = std::numeric_limits<std::int32_t>::max();
      init.band_lo = static_cast<std::int32_t>(parse_int(take(), -lim, lim, "the lower diagonal offset"));
      expect(',', "between the diagonal offsets");
      init.band_hi = static_cast<std::int32_t>(parse_int(take(), -lim, lim, "the upper diagonal offset"));
      if (peek().is(',')) {
        take();
        init.value = parse_double(take(), "the value");
      }
      expect(')', "to close band(...)");
      if (init.band_lo > init.band_hi) throw LineError{k.col, "band(LO, HI) needs LO <= HI"};
      return init;
    }
    if (k.text == "random") {
      init.kind = TensorInit::Kind::random;
      expect('(', "after random");
      init.seed = static_cast<std::uint64_t>(parse_int(take(), 0, std::numeric_limits<std::int64_t>::max(), "the seed"));
      if (peek().is(',')) {
        take();
        init.lo = parse_double(take(), "the lower bound");
        expect(',', "between the bounds");
        init.hi = parse_double(take(), "the upper bound");
        if (!(init.lo < init.hi)) throw LineError{k.col, "random(seed, lo, hi) needs lo < hi"};
      }
      expect(')', "to close random(...)");
      return init;
    }
    if (k.text == "file") {
      init.kind = TensorInit::Kind::file;
      expect('(', "after file");
      const Token s = take();
      if (s.kind != Token::Kind::string) throw LineError{s.col, fmt::format("expected a quoted path, found {}", s.shown())};
      init.path = std::string(s.text.substr(1, s.text.size() - 2));
      expect(')', "to close file(...)");
      return init;
    }
    throw LineError{k.col, fmt::format("expected zeros, identity, band(LO, HI[, VALUE]), random(SEED[, LO, HI]) or "
                                       "file(\"PATH.npy\"), found {}",
                                       k.shown())};
  }

  void parse_buffer(Notes notes) {
    Buffer b;
    b.line = m_line;
    b.name = parse_new_name();
    b.dtype = parse_dtype_token();
    const auto shape = parse_shape(2, 2);
    b.rows = shape[0];
    b.cols = shape[1];
    if (peek().is('@')) {
      take();
      const Token at = take();
      if (at.kind == Token::Kind::end) throw LineError{at.col, "expected an address or a buffer name after '@'"};
      if (at.kind == Token::Kind::ident) {
        const Buffer* target = buffer_named(at.text);
        if (!target) {
          throw LineError{at.col, fmt::format("'@{}': no buffer '{}' is declared before this line", at.text, at.text)};
        }
        b.alias_of = static_cast<std::uint32_t>(target - m_program.buffers.data());
      } else {
        b.fixed_address = static_cast<std::uint64_t>(
            parse_int(at, 0, std::numeric_limits<std::int64_t>::max(), "the scratchpad address or a buffer name"));
      }
    }
    expect_end();
    b.note = add_note(m_program, std::move(notes));
    m_buffer_ids.emplace(b.name, static_cast<std::uint32_t>(m_program.buffers.size()));
    m_program.buffers.push_back(std::move(b));
  }

  void parse_core(Notes notes) {
    const Token n = take();
    const auto core = static_cast<std::uint32_t>(parse_int(n, 0, 1023, "the core index"));
    std::uint32_t thread = 0;
    if (peek().kind != Token::Kind::end) {
      const Token t = take();
      if (t.text != "thread") throw LineError{t.col, fmt::format("expected thread=T or the end of the line, found {}", t.shown())};
      expect('=', "after 'thread'");
      thread = static_cast<std::uint32_t>(parse_int(take(), 0, 63, "the thread index"));
    }
    expect_end();
    const std::string name = thread ? fmt::format(".core {} thread={}", core, thread) : fmt::format(".core {}", core);
    for (const Stream& s : m_program.streams) {
      if (s.core == core && s.thread == thread) {
        throw LineError{n.col, s.declared ? fmt::format("'{}' appears twice (first at line {})", name, s.line)
                                          : fmt::format("'{}' comes after instructions that already went to "
                                                        "core {}; put '{}' before them",
                                                        name, core, name)};
      }
    }
    Stream s;
    s.core = core;
    s.thread = thread;
    s.declared = true;
    s.line = m_line;
    s.note = add_note(m_program, std::move(notes));
    m_program.streams.push_back(std::move(s));
    m_current = m_program.streams.size() - 1;
  }

  // Instructions ------------------------------------------------------------------------------
  void parse_instruction(Notes notes) {
    const Token m = take();
    const OpInfo* info = find_op(m.text);
    if (!info) {
      const auto near = closest_mnemonic(m.text);
      throw LineError{m.col, near.empty() ? fmt::format("unknown instruction '{}'", m.text)
                                          : fmt::format("unknown instruction '{}'; did you mean '{}'?", m.text, near)};
    }
    Instruction in;
    in.op = info->op;
    in.line = m_line;
    const bool flag_operands = info->op == Opcode::signal || info->op == Opcode::wait;
    int count = 0;
    if (peek().kind != Token::Kind::end && !(peek().kind == Token::Kind::ident && is_attribute_start())) {
      for (;;) {
        const Operand o = flag_operands ? parse_flag() : parse_operand();
        if (count < kMaxOperands) in.operand_ids[count] = m_program.operand_table.intern(o);
        ++count;
        if (!peek().is(',')) break;
        take();
      }
    }
    if (count != info->operands) {
      throw LineError{m.col, fmt::format("{} takes {} operand{}, got {} (usage: {})", info->mnemonic, info->operands,
                                         info->operands == 1 ? "" : "s", count, info->syntax)};
    }
    in.noperands = static_cast<std::uint8_t>(count);
    Attrs attrs;
    while (peek().kind != Token::Kind::end) parse_attribute(*info, in, attrs);
    in.attrs_id = m_program.attrs_table.intern(attrs);
    in.note = add_note(m_program, std::move(notes));
    current_stream().code.push_back(in);
  }

  // An identifier followed by '=' or a known flag word begins the attribute list, except that an
  // operand may be a tensor named like a flag: tensors win.
  bool is_attribute_start() const {
    const Token& t = peek();
    if (m_tokens[m_pos + 1].is('=')) return true;
    const bool flag_word = t.text == "acc" || t.text == "ta" || t.text == "tb";
    return flag_word && !tensor_named(t.text) && !buffer_named(t.text);
  }

  Stream& current_stream() {
    if (m_program.streams.empty()) {
      Stream s;
      s.core = 0;
      m_program.streams.push_back(s);
      m_current = 0;
    }
    return m_program.streams[m_current];
  }

  Operand parse_flag() {
    const Token t = take();
    if (t.kind != Token::Kind::ident || !valid_name(t.text)) {
      throw LineError{t.col, fmt::format("expected a flag name, found {}", t.shown())};
    }
    Operand o;
    o.kind = Operand::Kind::flag;
    const auto [it, added] = m_flag_ids.emplace(std::string(t.text), static_cast<std::uint32_t>(m_program.flags.size()));
    if (added) m_program.flags.emplace_back(t.text);
    o.id = it->second;
    return o;
  }

  Operand parse_operand() {
    const Token t = take();
    Operand o;
    if (t.kind == Token::Kind::number) {
      o.kind = Operand::Kind::imm;
      o.imm = parse_double(t, "an immediate");
      return o;
    }
    if (t.kind != Token::Kind::ident) {
      throw LineError{t.col, fmt::format("expected an operand (a tensor, a buffer or a number), found {}", t.shown())};
    }
    o.kind = Operand::Kind::tensor;
    if (const DramTensor* dt = tensor_named(t.text)) {
      o.space = Space::dram;
      o.id = static_cast<std::uint32_t>(dt - m_program.tensors.data());
    } else if (const Buffer* b = buffer_named(t.text)) {
      o.space = Space::scratchpad;
      o.id = static_cast<std::uint32_t>(b - m_program.buffers.data());
    } else {
      std::vector<std::string_view> names;
      for (const auto& x : m_program.tensors) names.push_back(x.name);
      for (const auto& x : m_program.buffers) names.push_back(x.name);
      const auto near = closest_match(t.text, names);
      throw LineError{t.col, near.empty()
                                 ? fmt::format("unknown tensor or buffer '{}' (declare it with .dram or .buffer first)", t.text)
                                 : fmt::format("unknown tensor or buffer '{}'; did you mean '{}'?", t.text, near)};
    }
    const auto dims = m_program.dims_of(o);
    const std::size_t rank = dims.size();
    std::vector<std::uint64_t> first(rank, 0), extent(dims.begin(), dims.end());
    if (peek().is('[')) {
      take();
      std::size_t d = 0;
      for (;;) {
        const Token at = peek();
        if (d >= rank) throw LineError{at.col, fmt::format("'{}' has {} dimension{}", t.text, rank, rank == 1 ? "" : "s")};
        parse_index(dims[d], d, t.text, first[d], extent[d]);
        ++d;
        const Token sep = take();
        if (sep.is(']')) break;
        if (!sep.is(',')) throw LineError{sep.col, fmt::format("expected ',' or ']' in the index, found {}", sep.shown())};
      }
    }
    for (std::size_t d = 0; d + 2 < rank; ++d) {
      if (extent[d] != 1) {
        throw LineError{t.col, fmt::format("'{}' has {} dimensions; give a single index for each of the first {} "
                                           "(only the last two can span a range)",
                                           t.text, rank, rank - 2)};
      }
    }
    std::uint64_t offset = 0;
    for (std::size_t d = 0; d < rank; ++d) offset = offset * dims[d] + first[d];
    o.view.offset = offset;
    o.view.cols = static_cast<std::uint32_t>(extent[rank - 1]);
    o.view.rows = rank >= 2 ? static_cast<std::uint32_t>(extent[rank - 2]) : 1;
    return o;
  }

  // One index: `i`, `a:b`, `:b`, `a:` or `:`. Sets first/extent for dimension d of size `size`.
  void parse_index(std::uint32_t size, std::size_t d, std::string_view name, std::uint64_t& first,
                   std::uint64_t& extent) {
    const Token t = peek();
    std::int64_t begin = 0, end = size;
    bool range = false;
    if (t.kind == Token::Kind::number) {
      begin = parse_int(take(), std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max(),
                        "an index");
      end = begin + 1;
    }
    if (peek().is(':')) {
      take();
      range = true;
      end = size;
      if (peek().kind == Token::Kind::number) {
        end = parse_int(take(), std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max(),
                        "an index");
      }
    } else if (t.kind != Token::Kind::number) {
      throw LineError{t.col, fmt::format("expected an index or a range, found {}", t.shown())};
    }
    if (begin < 0 || end > size || begin >= end) {
      throw LineError{t.col, range ? fmt::format("range {}:{} is out of bounds for dimension {} of '{}' (size {})",
                                                 begin, end, d, name, size)
                                   : fmt::format("index {} is out of bounds for dimension {} of '{}' (size {})", begin,
                                                 d, name, size)};
    }
    first = static_cast<std::uint64_t>(begin);
    extent = static_cast<std::uint64_t>(end - begin);
  }

  // One attribute of `in`: the queue is the instruction's, the others go to `a`.
  void parse_attribute(const OpInfo& info, Instruction& in, Attrs& a) {
    static const std::vector<std::pair<std::string_view, std::uint16_t>> kNames = {
        {"acc", kAttrAcc}, {"ta", kAttrTa},       {"tb", kAttrTb},     {"q", kAttrQueue},   {"axis", kAttrAxis},
        {"lo", kAttrLo},   {"hi", kAttrHi},       {"shift", kAttrShift}, {"mult", kAttrMult}, {"round", kAttrRound},
        {"to", kAttrTo}};
    const Token t = take();
    if (t.kind != Token::Kind::ident) {
      throw LineError{t.col, fmt::format("expected ',' or an attribute, found {}", t.shown())};
    }
    std::uint16_t bit = 0;
    std::vector<std::string_view> allowed;
    for (const auto& [name, b] : kNames) {
      if (name == t.text) bit = b;
      if (info.attrs & b) allowed.push_back(name);
    }
    if (!(info.attrs & bit)) {
      std::string msg = bit ? fmt::format("attribute '{}' does not apply to {}", t.text, info.mnemonic)
                            : fmt::format("unknown attribute '{}'", t.text);
      const auto near = closest_match(t.text, allowed);
      if (!bit && !near.empty()) msg += fmt::format("; did you mean '{}'?", near);
      msg += fmt::format(" (usage: {})", info.syntax);
      throw LineError{t.col, msg};
    }
    const bool flag = bit == kAttrAcc || bit == kAttrTa || bit == kAttrTb;
    if (flag) {
      (bit == kAttrAcc ? a.acc : bit == kAttrTa ? a.ta : a.tb) = true;
      return;
    }
    expect('=', fmt::format("after '{}'", t.text));
    const Token v = take();
    constexpr std::int64_t i32min = std::numeric_limits<std::int32_t>::min();
    constexpr std::int64_t i32max = std::numeric_limits<std::int32_t>::max();
    switch (bit) {
      case kAttrQueue: in.queue = static_cast<std::uint8_t>(parse_int(v, 0, 63, "q")); break;
      case kAttrAxis: a.axis = static_cast<std::uint8_t>(parse_int(v, 0, 1, "axis")); break;
      case kAttrLo: a.lo = static_cast<std::int32_t>(parse_int(v, i32min, i32max, "lo")); break;
      case kAttrHi: a.hi = static_cast<std::int32_t>(parse_int(v, i32min, i32max, "hi")); break;
      case kAttrShift: a.shift = static_cast<std::int32_t>(parse_int(v, -31, 62, "shift")); break;
      case kAttrMult: a.mult = static_cast<std::int32_t>(parse_int(v, i32min, i32max, "mult")); break;
      case kAttrRound: {
        const auto r = parse_rounding(v.text);
        if (!r) throw LineError{v.col, fmt::format("expected round=rne, half_up or floor, found {}", v.shown())};
        a.round = *r;
        break;
      }
      case kAttrTo:
        if (v.text != "matrix" && v.text != "vector") {
          throw LineError{v.col, fmt::format("expected to=matrix or to=vector, found {}", v.shown())};
        }
        a.to_matrix = v.text == "matrix";
        break;
      default: break;
    }
  }

  // Names looked up through maps rather than Program::find_*: a file declaring 10^5 buffers is
  // parsed in linear time, not in minutes.
  const DramTensor* tensor_named(std::string_view name) const {
    const auto it = m_tensor_ids.find(std::string(name));
    return it == m_tensor_ids.end() ? nullptr : &m_program.tensors[it->second];
  }
  const Buffer* buffer_named(std::string_view name) const {
    const auto it = m_buffer_ids.find(std::string(name));
    return it == m_buffer_ids.end() ? nullptr : &m_program.buffers[it->second];
  }

  std::string_view m_text;
  Program m_program;
  std::unordered_map<std::string, std::uint32_t> m_tensor_ids, m_buffer_ids, m_flag_ids;
  std::vector<std::string> m_errors;
  std::vector<std::string> m_pending;
  std::vector<Token> m_tokens;
  std::size_t m_pos = 0;
  std::size_t m_current = 0;
  std::uint32_t m_line = 0;
};

}  // namespace

Program parse_program(std::string_view text, std::string source) { return Parser(text, std::move(source)).run(); }

}  // namespace npusim::npu
