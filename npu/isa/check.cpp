#include "npu/isa/check.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "npu/isa/asm.hpp"
#include "npu/scratchpad/handoff.hpp"

namespace npusim::npu {
namespace {

/// Automatic buffer placement aligns every buffer to the bank width (at least 4 bytes).
std::uint64_t buffer_alignment(const ScratchpadConfig& sp) { return std::max<std::uint64_t>(sp.bank_width_bytes, 4); }

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

/// What an operand position accepts.
enum class Role { sp_dst, sp_src, dram_dst, dram_src, src_or_imm, imm, flag };

/// The roles of an opcode's operands, in order.
struct Roles {
  std::array<Role, kMaxOperands> role{};
  std::uint8_t count = 0;
  Roles() = default;
  Roles(std::initializer_list<Role> r) : count(static_cast<std::uint8_t>(r.size())) {
    std::copy(r.begin(), r.end(), role.begin());
  }
};

Roles roles_for(Opcode op) {
  using R = Role;
  switch (op) {
    case Opcode::dma_load: return {R::sp_dst, R::dram_src};
    case Opcode::dma_store: return {R::dram_dst, R::sp_src};
    case Opcode::matmul: return {R::sp_dst, R::sp_src, R::sp_src};
    case Opcode::vec_add: case Opcode::vec_sub: case Opcode::vec_mul: case Opcode::vec_max: case Opcode::vec_min:
      return {R::sp_dst, R::src_or_imm, R::src_or_imm};
    case Opcode::vec_fma: case Opcode::vec_select:
      return {R::sp_dst, R::src_or_imm, R::src_or_imm, R::src_or_imm};
    case Opcode::vec_exp: case Opcode::vec_recip: case Opcode::vec_log: case Opcode::vec_reduce_sum: case Opcode::vec_reduce_max:
    case Opcode::vec_cast: case Opcode::vec_requant: case Opcode::vec_band: case Opcode::vec_copy:
    case Opcode::vec_transpose:
      return {R::sp_dst, R::sp_src};
    case Opcode::vec_identity: case Opcode::vec_layout: return {R::sp_dst};
    case Opcode::vec_fill: return {R::sp_dst, R::imm};
    case Opcode::barrier: case Opcode::matrix_acquire: case Opcode::matrix_release: return {};
    case Opcode::signal: case Opcode::wait: return {R::flag};
  }
  return {};
}

/// Every opcode's roles, worked out once.
const Roles& roles_of(Opcode op) {
  static const std::array<Roles, kOpcodeCount> table = [] {
    std::array<Roles, kOpcodeCount> t{};
    for (int i = 0; i < kOpcodeCount; ++i) t[i] = roles_for(static_cast<Opcode>(i));
    return t;
  }();
  return table[static_cast<int>(op)];
}

std::string supported_list(const std::array<bool, kDTypeCount>& ok) {
  std::string s;
  for (DType t : kAllDTypes) {
    if (ok[static_cast<int>(t)]) s += (s.empty() ? "" : ", ") + std::string(dtype_name(t));
  }
  return s;
}

/// What the checks of an instruction see, as three words (one compare each): its opcode, operand
/// count, queue and attributes, and the class (Checker::m_class) of each of its four operand
/// ids. Two instructions with equal keys pass or fail together. The default is a barrier.
struct CheckKey {
  std::uint64_t head = static_cast<std::uint8_t>(Opcode::barrier);  ///< op, noperands, queue, attrs_id
  std::uint64_t classes01 = 0, classes23 = 0;                       ///< operand classes, two per word

  friend bool operator==(const CheckKey& a, const CheckKey& b) {
    return a.head == b.head && a.classes01 == b.classes01 && a.classes23 == b.classes23;
  }
  friend std::uint64_t hash_value(const CheckKey& k) { return hash_words(k.head, k.classes01, k.classes23); }
};

/// A key no instruction has (bit 24 of the head is never set): the memo's initial value.
constexpr CheckKey kNoKey{std::uint64_t{1} << 24, 0, 0};

template <class T>
std::array<T, kOpcodeCount> make_filled(const T& v) {
  std::array<T, kOpcodeCount> a;
  a.fill(v);
  return a;
}

class Checker {
 public:
  Checker(Program& p, const NpuConfig& hw) : m_p(p), m_hw(hw) {}

  void run() {
    classify_operands();
    m_signals.assign(m_p.flags.size(), 0);
    m_waits.assign(m_p.flags.size(), 0);
    m_last_wait.assign(m_p.flags.size(), 0);
    for (const Stream& s : m_p.streams) {
      if (s.core >= m_hw.cores) {
        error(s.line, m_hw.cores == 1 ? fmt::format(".core {}: the hardware has 1 core (core 0)", s.core)
                                      : fmt::format(".core {}: the hardware has {} cores (0 to {})", s.core,
                                                    m_hw.cores, m_hw.cores - 1));
      }
      if (s.thread >= m_hw.core.sequencer.threads) {
        const std::uint32_t t = m_hw.core.sequencer.threads;
        error(s.line, t == 1 ? fmt::format(".core {} thread={}: the hardware has 1 thread per core (sequencer.threads)",
                                           s.core, s.thread)
                             : fmt::format(".core {} thread={}: the hardware has {} threads per core (0 to {})", s.core,
                                           s.thread, t, t - 1));
      }
      // One pass over the stream for the per-instruction checks and what the program-wide ones
      // need (signals and waits by flag); the matrix lock's pass only where there is a lock to check.
      bool lock_ops = false, acquires = false;
      for (const Instruction& in : s.code) {
        check_once(in);
        switch (in.op) {
          case Opcode::matmul: lock_ops = true; break;
          case Opcode::matrix_acquire: case Opcode::matrix_release: lock_ops = acquires = true; break;
          case Opcode::signal: case Opcode::wait: count_flag(in); break;
          default: break;
        }
      }
      if (lock_ops) check_matrix_lock(s, acquires);
    }
    check_flags();
    check_tensors();
    layout_scratchpad();
    layout_dram();
    if (!m_errors.empty()) throw_input_errors(std::move(m_errors), m_p.source, m_not_kept);
  }

 private:
  // Past the shown messages only counted: a file of 10^5 clashing buffers takes no more memory.
  void error(std::uint32_t line, const std::string& msg) {
    if (m_errors.size() < kMaxShownErrors) {
      m_errors.push_back(fmt::format("{}:{}: {}", m_p.source, line, msg));
    } else {
      ++m_not_kept;
    }
  }

  void fail(const Instruction& in, const std::string& msg) {
    error(in.line, fmt::format("{}: {}", in.info().mnemonic, msg));
  }

  std::string describe(const Operand& o) const {
    if (o.kind == Operand::Kind::imm) return fmt::format("the immediate {}", o.imm);
    const std::string what = o.space == Space::dram ? "DRAM tensor" : "buffer";
    return fmt::format("{} '{}'", what, format_operand(m_p, o));
  }

  static std::string shape(const View& v) { return fmt::format("{}x{}", v.rows, v.cols); }

  bool check_roles(const Instruction& in) {
    const Roles& roles = roles_of(in.op);
    if (in.noperands != roles.count) {
      fail(in, fmt::format("takes {} operands, got {} (usage: {})", roles.count, in.noperands, in.info().syntax));
      return false;
    }
    bool ok = true;
    for (std::size_t i = 0; i < roles.count; ++i) {
      const Operand& o = m_p.operand(in, i);
      auto need = [&](const char* what) {
        const std::string pos = i == 0 ? "the destination" : fmt::format("operand {}", i + 1);
        fail(in, fmt::format("{} must be {}, got {}", pos, what, describe(o)));
        ok = false;
      };
      switch (roles.role[i]) {
        case Role::sp_dst: case Role::sp_src:
          if (!o.is_tensor() || o.space != Space::scratchpad) need("a scratchpad buffer");
          break;
        case Role::dram_dst: case Role::dram_src:
          if (!o.is_tensor() || o.space != Space::dram) need("a DRAM tensor");
          break;
        case Role::src_or_imm:
          if (o.is_tensor() && o.space != Space::scratchpad) need("a scratchpad buffer or a number");
          break;
        case Role::imm:
          if (!o.is_imm()) need("a number");
          break;
        case Role::flag: break;
      }
      if (o.is_tensor()) check_view(in, o);
    }
    return ok;
  }

  /// A tensor operand's window lies inside its tensor or buffer (its matrix: the last two
  /// dimensions; buffers are 2-D).
  bool view_fits(const Operand& o) const {
    std::uint64_t total = 1;
    std::uint32_t cols = 0, rows = 1;
    if (o.space == Space::dram) {
      const auto& dims = m_p.tensors[o.id].shape;
      for (auto d : dims) total *= d;
      cols = dims.back();
      if (dims.size() >= 2) rows = dims[dims.size() - 2];
    } else {
      const Buffer& b = m_p.buffers[o.id];
      rows = b.rows;
      cols = b.cols;
      total = std::uint64_t{rows} * cols;
    }
    const View& v = o.view;
    const std::uint64_t col0 = v.offset % cols;
    const std::uint64_t row0 = (v.offset / cols) % rows;
    return v.rows != 0 && v.cols != 0 && col0 + v.cols <= cols && row0 + v.rows <= rows && v.offset < total;
  }

  void check_view(const Instruction& in, const Operand& o) {
    if (!view_fits(o)) {
      const View& v = o.view;
      fail(in, fmt::format("the window {}x{} at element {} does not fit in '{}'", v.rows, v.cols, v.offset,
                           m_p.name_of(o)));
    }
  }

  /// Fills m_class. An operand's class is what the checks read of it: its kind and space, its
  /// window's shape, its dtype (tensors) and its value (immediates), but not which tensor,
  /// buffer or flag it names nor where its window starts; a tensor operand whose window does
  /// not fit (or whose tensor has an empty matrix) has the class kFailsAlone instead, which no
  /// instruction that passed has. So operands of one class are interchangeable in the checks
  /// of an instruction: a stream of distinct windows of the same shape is checked once.
  void classify_operands() {
    const std::size_t n = m_p.operand_table.size();
    m_class.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      const Operand& o = m_p.operand_table[i];
      Operand c = o;
      c.view.offset = 0;
      c.id = 0;
      if (o.is_tensor()) {
        const bool empty = o.space == Space::dram
                               ? m_p.tensors[o.id].shape.empty() || m_p.tensors[o.id].cols() == 0 ||
                                     m_p.tensors[o.id].rows() == 0
                               : m_p.buffers[o.id].rows == 0 || m_p.buffers[o.id].cols == 0;
        if (empty || !view_fits(o)) {
          m_class[i] = kFailsAlone;
          continue;
        }
        c.id = static_cast<std::uint32_t>(m_p.dtype_of(o));
      }
      m_class[i] = m_classes.intern(c);
    }
  }

  void check_imm_fits(const Instruction& in, const Operand& o, DType t) {
    if (!o.is_imm() || is_float(t)) return;
    if (o.imm != std::floor(o.imm) || o.imm < double(int_min(t)) || o.imm > double(int_max(t))) {
      fail(in, fmt::format("the immediate {} is not representable in {}", o.imm, dtype_name(t)));
    }
  }

  // An instruction whose key (CheckKey) equals one that passed passes too: streams of millions
  // of instructions repeat a few keys (a tiled GEMM's loads all move tiles of one shape). The
  // last two keys that passed for each opcode (a GEMM alternates loads of A and of B, on two
  // queues) are tried before the table.
  void check_once(const Instruction& in) {
    const auto& ids = in.operand_ids;
    CheckKey key;
    key.head = std::uint64_t{static_cast<std::uint8_t>(in.op)} | std::uint64_t{in.noperands} << 8 |
               std::uint64_t{in.queue} << 16 | std::uint64_t{in.attrs_id} << 32;
    key.classes01 = m_class[ids[0]] | std::uint64_t{m_class[ids[1]]} << 32;
    key.classes23 = m_class[ids[2]] | std::uint64_t{m_class[ids[3]]} << 32;
    std::array<CheckKey, 2>& last = m_last_passed[static_cast<std::uint8_t>(in.op)];
    if (key == last[0] || key == last[1]) return;
    if (!m_passed.contains(key)) {
      const std::size_t errors = m_errors.size() + m_not_kept;
      check_instruction(in);
      if (m_errors.size() + m_not_kept != errors) return;
      m_passed.intern(key);
    }
    last[1] = last[0];
    last[0] = key;
  }

  void check_instruction(const Instruction& in) {
    if (!check_roles(in)) return;
    const auto op = [&](int i) -> const Operand& { return m_p.operand(in, i); };
    switch (in.info().unit) {
      case UnitKind::dma: check_dma(in, op(0), op(1)); break;
      case UnitKind::matrix: check_matmul(in, op(0), op(1), op(2)); break;
      case UnitKind::vector: check_vector(in); break;
      case UnitKind::sequencer: break;
    }
  }

  void check_dma(const Instruction& in, const Operand& dst, const Operand& src) {
    if (dst.view.rows != src.view.rows || dst.view.cols != src.view.cols) {
      fail(in, fmt::format("shapes differ: {} is {} but {} is {}", describe(dst), shape(dst.view), describe(src),
                           shape(src.view)));
    }
    if (m_p.dtype_of(dst) != m_p.dtype_of(src)) {
      fail(in, fmt::format("DMA copies bytes without conversion: {} is {} but {} is {}", describe(dst),
                           dtype_name(m_p.dtype_of(dst)), describe(src), dtype_name(m_p.dtype_of(src))));
    }
    if (in.queue >= m_hw.core.dma.queues) {
      const std::uint32_t n = m_hw.core.dma.queues;
      fail(in, n == 1 ? fmt::format("q={} does not exist: the hardware has 1 DMA queue (q=0)", in.queue)
                      : fmt::format("q={} does not exist: the hardware has {} DMA queues (q=0 to q={})", in.queue,
                                    n, n - 1));
    }
  }

  void check_matmul(const Instruction& in, const Operand& c, const Operand& a, const Operand& b) {
    const Attrs& at = m_p.attrs(in);
    const std::uint32_t m = at.ta ? a.view.cols : a.view.rows;
    const std::uint32_t ka = at.ta ? a.view.rows : a.view.cols;
    const std::uint32_t kb = at.tb ? b.view.cols : b.view.rows;
    const std::uint32_t n = at.tb ? b.view.rows : b.view.cols;
    if (ka != kb) {
      fail(in, fmt::format("inner dimensions differ: A gives K = {} but B gives K = {} (A {}{}, B {}{})", ka, kb,
                           shape(a.view), at.ta ? " transposed" : "", shape(b.view),
                           at.tb ? " transposed" : ""));
    }
    if (c.view.rows != m || c.view.cols != n) {
      fail(in, fmt::format("the destination is {} but A x B is {}x{}", shape(c.view), m, n));
    }
    const DType ta = m_p.dtype_of(a), tb = m_p.dtype_of(b), tc = m_p.dtype_of(c);
    if (ta != tb) {
      fail(in, fmt::format("A and B must have the same dtype, got {} and {}", dtype_name(ta), dtype_name(tb)));
    }
    if (is_float(ta) && !is_float(tc)) {
      fail(in, fmt::format("float operands need a float destination, got {}", dtype_name(tc)));
    }
    if (is_int(ta) && !is_int(tc)) {
      fail(in, fmt::format("integer operands need an integer destination, got {}", dtype_name(tc)));
    }
    if (at.shift != 0 && !is_int(ta)) {
      fail(in, "shift= requantizes integer results; these operands are floats");
    }
    if (at.shift < 0 || at.shift > 31) {
      fail(in, fmt::format("shift={} must be in [0, 31] for a matmul", at.shift));
    }
    if (!m_hw.core.matrix.rate(ta)) {
      std::array<bool, kDTypeCount> ok{};
      for (DType t : kAllDTypes) ok[static_cast<int>(t)] = m_hw.core.matrix.rate(t).has_value();
      fail(in, fmt::format("the matrix unit does not take {} operands (it takes {})", dtype_name(ta),
                           supported_list(ok)));
    }
  }

  /// "operand 2 (buffer 'x[0:4]')", or "the immediate 1.5" for numbers.
  std::string which(const Instruction& in, int i) const {
    const Operand& o = m_p.operand(in, i);
    if (o.is_imm()) return describe(o);
    return fmt::format("operand {} ({})", i + 1, describe(o));
  }

  void check_vector(const Instruction& in) {
    const Attrs& at = m_p.attrs(in);
    const Operand& dst = m_p.operand(in, 0);
    const DType td = m_p.dtype_of(dst);
    const View& d = dst.view;
    auto same_dtype = [&](int i) {
      const Operand& o = m_p.operand(in, i);
      if (o.is_tensor() && m_p.dtype_of(o) != td) {
        fail(in, fmt::format("{} is {} but the destination is {}", which(in, i), dtype_name(m_p.dtype_of(o)),
                             dtype_name(td)));
      }
      check_imm_fits(in, o, td);
    };
    auto same_shape = [&](int i) {
      const Operand& o = m_p.operand(in, i);
      if (o.view.rows != d.rows || o.view.cols != d.cols) {
        fail(in, fmt::format("{} is {} but the destination is {}", which(in, i), shape(o.view), shape(d)));
      }
    };
    auto broadcastable = [&](int i) {
      const Operand& o = m_p.operand(in, i);
      if (!o.is_tensor()) return;
      const bool rows_ok = o.view.rows == d.rows || o.view.rows == 1;
      const bool cols_ok = o.view.cols == d.cols || o.view.cols == 1;
      if (!rows_ok || !cols_ok) {
        fail(in, fmt::format("{} is {}, which does not broadcast to the destination shape {}", which(in, i),
                             shape(o.view), shape(d)));
      }
    };
    const Operand& s = m_p.operand(in, 1);
    switch (in.op) {
      case Opcode::vec_add: case Opcode::vec_sub: case Opcode::vec_mul: case Opcode::vec_max: case Opcode::vec_min:
      case Opcode::vec_fma:
        for (int i = 1; i < in.noperands; ++i) {
          broadcastable(i);
          same_dtype(i);
        }
        break;
      case Opcode::vec_select:
        broadcastable(1);
        for (int i = 2; i < 4; ++i) {
          broadcastable(i);
          same_dtype(i);
        }
        break;
      case Opcode::vec_exp: case Opcode::vec_recip: case Opcode::vec_log:
        same_shape(1);
        same_dtype(1);
        if (!is_float(td)) fail(in, fmt::format("needs a float dtype, got {}", dtype_name(td)));
        break;
      case Opcode::vec_reduce_sum: case Opcode::vec_reduce_max: {
        same_dtype(1);
        const bool ok = at.axis == 1 ? (d.rows == s.view.rows && d.cols == 1)
                                           : (d.cols == s.view.cols && d.rows == 1);
        if (!ok) {
          fail(in, fmt::format("reducing {} along axis {} gives {}, but the destination is {}", shape(s.view),
                               at.axis, at.axis == 1 ? fmt::format("{}x1", s.view.rows)
                                                                 : fmt::format("1x{}", s.view.cols),
                               shape(d)));
        }
        break;
      }
      case Opcode::vec_cast:
        same_shape(1);
        break;
      case Opcode::vec_requant:
        same_shape(1);
        if (!is_int(m_p.dtype_of(s)) || !is_int(td)) {
          fail(in, fmt::format("requantizes integers to integers, got {} to {} (use vec.cast for floats)",
                               dtype_name(m_p.dtype_of(s)), dtype_name(td)));
        }
        break;
      case Opcode::vec_band: case Opcode::vec_copy:
        same_shape(1);
        same_dtype(1);
        break;
      case Opcode::vec_transpose:
        same_dtype(1);
        if (s.view.rows != d.cols || s.view.cols != d.rows) {
          fail(in, fmt::format("transposing {} gives {}x{}, but the destination is {}", shape(s.view), s.view.cols,
                               s.view.rows, shape(d)));
        }
        break;
      case Opcode::vec_fill:
        check_imm_fits(in, s, td);
        break;
      default: break;
    }
    // Every dtype the instruction computes in must be supported by the vector unit.
    for (int i = 0; i < in.noperands; ++i) {
      const Operand& o = m_p.operand(in, i);
      if (!o.is_tensor()) continue;
      const DType t = m_p.dtype_of(o);
      if (in.op == Opcode::vec_select && i == 1) continue;  // the mask is only tested against zero
      if (!m_hw.core.vector.supports(t)) {
        fail(in, fmt::format("the vector unit does not compute in {} (it supports {})", dtype_name(t),
                             supported_list(m_hw.core.vector.dtypes)));
        break;
      }
    }
  }

  void check_tensors() {
    for (const DramTensor& t : m_p.tensors) {
      if (t.init.kind == TensorInit::Kind::random && is_int(t.dtype) && std::ceil(t.init.lo) > std::floor(t.init.hi)) {
        error(t.line, fmt::format("tensor '{}': random({}, {}, {}) contains no {} value", t.name, t.init.seed,
                                  t.init.lo, t.init.hi, dtype_name(t.dtype)));
      }
    }
  }

  // The thread of `s`'s core, other than s's, that also issues matmuls, if any.
  std::optional<std::uint32_t> other_matmul_thread(const Stream& s) const {
    auto has_matmul = [](const Stream& t) {
      return std::any_of(t.code.begin(), t.code.end(), [](const Instruction& in) { return in.op == Opcode::matmul; });
    };
    for (const Stream& t : m_p.streams) {
      if (&t != &s && t.core == s.core && t.thread != s.thread && has_matmul(t)) return t.thread;
    }
    return std::nullopt;
  }

  // matrix.acquire and matrix.release pair up within a stream; when two threads of a core issue
  // matmuls, each matmul must run between them (the unit is the holder's alone).
  // `acquires`: the stream has a matrix.acquire or matrix.release.
  void check_matrix_lock(const Stream& s, bool acquires) {
    // Without matrix.acquire or matrix.release, only matmuls on a core where another thread
    // issues them too can break these rules.
    if (!acquires && !other_matmul_thread(s)) return;
    const Instruction* held = nullptr;
    std::optional<std::optional<std::uint32_t>> other;  // computed on the first unheld matmul
    for (const Instruction& in : s.code) {
      if (in.op == Opcode::matrix_acquire) {
        if (held) fail(in, fmt::format("this thread already holds the matrix unit (matrix.acquire at line {})", held->line));
        held = &in;
      } else if (in.op == Opcode::matrix_release) {
        if (!held) fail(in, "this thread does not hold the matrix unit (no matrix.acquire before it)");
        held = nullptr;
      } else if (in.op == Opcode::matmul && !held) {
        if (!other) other = other_matmul_thread(s);
        if (*other) {
          fail(in, fmt::format("threads {} and {} of core {} both use the matrix unit: put matmuls between "
                               "matrix.acquire and matrix.release",
                               std::min(s.thread, **other), std::max(s.thread, **other), s.core));
        }
      }
    }
    if (held) error(held->line, "matrix.acquire: the stream ends holding the matrix unit; add matrix.release");
  }

  // Counts a signal or wait (operand 0: its flag) for check_flags().
  void count_flag(const Instruction& in) {
    const std::uint32_t f = m_p.operand(in, 0).id;
    if (f >= m_signals.size()) return;  // no such flag (parsed and built programs name declared ones)
    if (in.op == Opcode::signal) {
      ++m_signals[f];
    } else {
      ++m_waits[f];
      m_last_wait[f] = in.line;
    }
  }

  // A wait on a flag that fewer signals than waits can ever satisfy would deadlock: refuse it.
  void check_flags() {
    for (std::size_t f = 0; f < m_p.flags.size(); ++f) {
      if (m_waits[f] > m_signals[f]) {
        error(m_last_wait[f], fmt::format("wait: flag '{}' is waited for {} time{} but signalled only {} time{}; the "
                                          "program could never finish",
                                          m_p.flags[f], m_waits[f], m_waits[f] == 1 ? "" : "s", m_signals[f],
                                          m_signals[f] == 1 ? "" : "s"));
      }
    }
  }

  void layout_scratchpad() {
    const ScratchpadConfig& sp = m_hw.core.scratchpad;
    struct Span {
      std::uint64_t begin, end;
      std::size_t buffer;
    };
    std::vector<Span> fixed;
    for (std::size_t i = 0; i < m_p.buffers.size(); ++i) {
      const Buffer& b = m_p.buffers[i];
      if (b.fixed_address) fixed.push_back({*b.fixed_address, *b.fixed_address + b.size_bytes(), i});
    }
    // Overlaps in one pass over the spans sorted by address, each against the one reaching
    // furthest so far; reported at the later-declared buffer of a pair.
    std::stable_sort(fixed.begin(), fixed.end(), [](const Span& x, const Span& y) { return x.begin < y.begin; });
    std::vector<std::vector<std::size_t>> overlaps(m_p.buffers.size());  // buffer -> earlier buffers it overlaps
    const Span* furthest = nullptr;
    for (const Span& f : fixed) {
      if (furthest && f.begin < furthest->end) {
        overlaps[std::max(f.buffer, furthest->buffer)].push_back(std::min(f.buffer, furthest->buffer));
      }
      if (!furthest || f.end > furthest->end) furthest = &f;
    }
    for (const Span& f : fixed) {
      Buffer& b = m_p.buffers[f.buffer];
      const std::uint64_t begin = f.begin, end = f.end;
      if (begin % dtype_bytes(b.dtype) != 0) {
        error(b.line, fmt::format("buffer '{}': address 0x{:x} is not aligned to its {}-byte elements", b.name, begin,
                                  dtype_bytes(b.dtype)));
      }
      if (end > sp.size_bytes) {
        error(b.line, fmt::format("buffer '{}' ({}) at 0x{:x} ends at 0x{:x}, past the end of the {} scratchpad",
                                  b.name, human_bytes(double(b.size_bytes())), begin, end,
                                  human_bytes(double(sp.size_bytes))));
      }
      for (const std::size_t other : overlaps[f.buffer]) {
        error(b.line, fmt::format("buffer '{}' at 0x{:x} overlaps buffer '{}' (declared at line {})", b.name, begin,
                                  m_p.buffers[other].name, m_p.buffers[other].line));
      }
      b.address = begin;
    }
    const std::uint64_t align = buffer_alignment(sp);
    std::uint64_t cursor = 0;
    std::size_t passed = 0;  // fixed spans ending at or before the cursor: no later buffer reaches them
    for (Buffer& b : m_p.buffers) {
      if (b.fixed_address) continue;
      if (b.alias_of) {  // declared after its target, so the target already has its address
        const Buffer& target = m_p.buffers[*b.alias_of];
        b.address = target.address;
        if (b.size_bytes() > target.size_bytes()) {
          error(b.line, fmt::format("buffer '{}' ({}) is larger than buffer '{}' ({}) it aliases", b.name,
                                    human_bytes(double(b.size_bytes())), target.name,
                                    human_bytes(double(target.size_bytes()))));
        }
        if (b.address % dtype_bytes(b.dtype) != 0) {
          error(b.line, fmt::format("buffer '{}': address 0x{:x} of '{}' is not aligned to its {}-byte elements",
                                    b.name, b.address, target.name, dtype_bytes(b.dtype)));
        }
        continue;
      }
      std::uint64_t addr = align_up(cursor, align);
      while (passed < fixed.size() && fixed[passed].end <= addr) ++passed;
      // sorted by address: one pass moves past every fixed buffer in the way
      for (std::size_t i = passed; i < fixed.size() && fixed[i].begin < addr + b.size_bytes(); ++i) {
        if (addr < fixed[i].end) addr = align_up(fixed[i].end, align);
      }
      b.address = addr;
      cursor = addr + b.size_bytes();
      if (cursor > sp.size_bytes) {
        error(b.line, fmt::format("buffer '{}' ({}) does not fit: the buffers up to it need {}, {} more than the {} "
                                  "scratchpad holds",
                                  b.name, human_bytes(double(b.size_bytes())), human_bytes(double(cursor)),
                                  human_bytes(double(cursor - sp.size_bytes)), human_bytes(double(sp.size_bytes))));
      }
    }
  }

  void layout_dram() {
    std::uint64_t cursor = 0;
    for (DramTensor& t : m_p.tensors) {
      t.address = cursor;
      cursor += align_up(t.size_bytes(), kDramAlignment);  // each below kMaxDramBytes: cannot wrap
      if (cursor > kMaxDramBytes) {
        error(t.line, fmt::format("tensor '{}': the DRAM tensors up to it need more than {} (the most npusim takes)",
                                  t.name, human_bytes(double(kMaxDramBytes))));
        return;
      }
    }
  }

  Program& m_p;
  const NpuConfig& m_hw;
  std::vector<std::string> m_errors;
  std::size_t m_not_kept = 0;
  std::vector<std::uint64_t> m_signals, m_waits;  ///< by flag (count_flag())
  std::vector<std::uint32_t> m_last_wait;        ///< the line of each flag's last wait
  /// Operand classes (classify_operands()): [0] that of the `none` operand.
  InternTable<Operand> m_classes;
  static constexpr std::uint32_t kFailsAlone = UINT32_MAX;  ///< the class of a window that does not fit
  std::vector<std::uint32_t> m_class;  ///< by operand_table index: an index of m_classes, or kFailsAlone
  InternTable<CheckKey> m_passed;  ///< keys of instructions that passed; [0] a barrier's
  /// By opcode: the last two keys that passed (m_passed holds them too), newest first.
  std::array<std::array<CheckKey, 2>, kOpcodeCount> m_last_passed = make_filled(std::array<CheckKey, 2>{kNoKey, kNoKey});
};

}  // namespace

void check_program(Program& p, const NpuConfig& hw) {
  p.operand_regions.clear();  // addresses are about to change
  Checker(p, hw).run();
  place_operands(p);
  lower_handoffs(p, hw);
}

std::uint64_t scratchpad_footprint(const Program& p, const ScratchpadConfig& sp) {
  std::uint64_t total = 0;
  for (const Buffer& b : p.buffers) {
    if (!b.alias_of) total = align_up(total, buffer_alignment(sp)) + b.size_bytes();
  }
  return total;
}

std::uint64_t dram_footprint(const Program& p) {
  if (p.tensors.empty()) return 0;
  const DramTensor& last = p.tensors.back();
  return last.address + last.size_bytes();
}

}  // namespace npusim::npu
