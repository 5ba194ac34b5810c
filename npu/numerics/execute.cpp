#include "npu/numerics/execute.hpp"

#include <cmath>
#include <cstring>
#include <vector>

#include "npu/common/error.hpp"
#include "npu/isa/access.hpp"
#include "npu/numerics/float_formats.hpp"
#include "npu/numerics/integer.hpp"

namespace npusim::npu {
namespace {

float load_f(const std::uint8_t* p, DType t) {
  switch (t) {
    case DType::fp32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case DType::fp16: {
      std::uint16_t h;
      std::memcpy(&h, p, 2);
      return fp16_to_fp32(h);
    }
    case DType::bf16: {
      std::uint16_t h;
      std::memcpy(&h, p, 2);
      return bf16_to_fp32(h);
    }
    case DType::int8: return static_cast<float>(static_cast<std::int8_t>(*p));
    case DType::int16: {
      std::int16_t v;
      std::memcpy(&v, p, 2);
      return static_cast<float>(v);
    }
    case DType::int32: {
      std::int32_t v;
      std::memcpy(&v, p, 4);
      return static_cast<float>(v);
    }
  }
  return 0.0f;
}

std::int64_t load_i(const std::uint8_t* p, DType t) {
  switch (t) {
    case DType::int8: return static_cast<std::int8_t>(*p);
    case DType::int16: {
      std::int16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case DType::int32: {
      std::int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    default: return static_cast<std::int64_t>(load_f(p, t));
  }
}

void store_f(std::uint8_t* p, DType t, float v, NumericsCounters& n) {
  switch (t) {
    case DType::fp32: std::memcpy(p, &v, 4); break;
    case DType::fp16: {
      const std::uint16_t h = fp32_to_fp16(v);
      std::memcpy(p, &h, 2);
      v = fp16_to_fp32(h);
      break;
    }
    case DType::bf16: {
      const std::uint16_t h = fp32_to_bf16(v);
      std::memcpy(p, &h, 2);
      v = bf16_to_fp32(h);
      break;
    }
    default: NPUSIM_ASSERT(false, "store_f on an integer dtype");
  }
  if (!std::isfinite(v)) ++n.nonfinite;
}

void store_i(std::uint8_t* p, DType t, std::int64_t v, NumericsCounters& n) {
  v = saturate(v, t, n.saturations);
  switch (t) {
    case DType::int8: *p = static_cast<std::uint8_t>(static_cast<std::int8_t>(v)); break;
    case DType::int16: {
      const auto x = static_cast<std::int16_t>(v);
      std::memcpy(p, &x, 2);
      break;
    }
    case DType::int32: {
      const auto x = static_cast<std::int32_t>(v);
      std::memcpy(p, &x, 4);
      break;
    }
    default: NPUSIM_ASSERT(false, "store_i on a float dtype");
  }
}

/// Rounds a float to an integer with the given rounding; NaN gives nullopt.
std::optional<std::int64_t> float_to_int(float v, Rounding r) {
  if (std::isnan(v)) return std::nullopt;
  const double d = v;
  double q = 0;
  switch (r) {
    case Rounding::rne: q = std::nearbyint(d); break;
    case Rounding::half_up: q = std::floor(d + 0.5); break;
    case Rounding::floor: q = std::floor(d); break;
  }
  if (q >= 9.2e18) return INT64_MAX;
  if (q <= -9.2e18) return INT64_MIN;
  return static_cast<std::int64_t>(q);
}

/// A 2-D operand in memory (or an immediate), read with numpy-style broadcasting.
struct Operand2D {
  std::uint8_t* base = nullptr;
  DType dtype = DType::fp32;
  std::uint32_t rows = 1, cols = 1;
  std::uint64_t stride_bytes = 0;
  std::uint32_t elem = 4;
  bool is_imm = false;
  float imm_f = 0;
  std::int64_t imm_i = 0;

  std::uint8_t* at(std::uint32_t i, std::uint32_t j) const {
    return base + (rows == 1 ? 0 : i) * stride_bytes + (cols == 1 ? 0 : j) * std::uint64_t{elem};
  }
  float f(std::uint32_t i, std::uint32_t j) const { return is_imm ? imm_f : load_f(at(i, j), dtype); }
  std::int64_t n(std::uint32_t i, std::uint32_t j) const { return is_imm ? imm_i : load_i(at(i, j), dtype); }
};

/// `cols` 16-bit floats `step` bytes apart from `p`, widened into `row`.
template <typename Widen>
void load_halves(const std::uint8_t* p, std::uint64_t step, std::uint32_t cols, float* row, Widen widen) {
  for (std::uint32_t k = 0; k < cols; ++k, p += step) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    row[k] = widen(h);
  }
}

/// `rows` x `cols` floats of `o` into `dst`, row after row; `transposed`: element (r, c) is the
/// operand's (c, r).
void load_matrix(const Operand2D& o, bool transposed, std::uint32_t rows, std::uint32_t cols, float* dst) {
  const std::uint64_t step = transposed ? o.stride_bytes : o.elem;  // from one column to the next
  for (std::uint32_t r = 0; r < rows; ++r) {
    const std::uint8_t* p = transposed ? o.at(0, r) : o.at(r, 0);
    float* row = dst + std::size_t{r} * cols;
    switch (o.dtype) {
      case DType::fp16: load_halves(p, step, cols, row, [](std::uint16_t h) { return fp16_to_fp32(h); }); break;
      case DType::bf16: load_halves(p, step, cols, row, [](std::uint16_t h) { return bf16_to_fp32(h); }); break;
      default:
        for (std::uint32_t k = 0; k < cols; ++k, p += step) row[k] = load_f(p, o.dtype);
        break;
    }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define NPUSIM_AVX2_CLONE __attribute__((target_clones("avx2", "default")))
#else
#define NPUSIM_AVX2_CLONE
#endif
/// out[i][j] = out[i][j] + a[i][k] * b[k][j] for k = 0, 1, ... in order: one rounding per multiply
/// and per add, the same in every instruction set (the build keeps multiplies and adds apart),
/// so the AVX2 version the host may run gives the same bits as the baseline one. Columns go in
/// tiles of 32 held in registers across k; each element still sees the same steps in order.
NPUSIM_AVX2_CLONE void accumulate_fp32(float* __restrict out, const float* __restrict a, const float* __restrict b,
                                       std::uint32_t M, std::uint32_t K, std::uint32_t N) {
  constexpr std::uint32_t kTile = 32;  // columns kept in registers over the whole k loop
  for (std::uint32_t i = 0; i < M; ++i) {
    float* acc = out + std::size_t{i} * N;
    const float* arow = a + std::size_t{i} * K;
    std::uint32_t j0 = 0;
    for (; j0 + kTile <= N; j0 += kTile) {
      float t[kTile];
      for (std::uint32_t j = 0; j < kTile; ++j) t[j] = acc[j0 + j];
      for (std::uint32_t k = 0; k < K; ++k) {
        const float aik = arow[k];
        const float* brow = b + std::size_t{k} * N + j0;
        for (std::uint32_t j = 0; j < kTile; ++j) t[j] = t[j] + aik * brow[j];
      }
      for (std::uint32_t j = 0; j < kTile; ++j) acc[j0 + j] = t[j];
    }
    for (std::uint32_t k = 0; k < K && j0 < N; ++k) {
      const float aik = arow[k];
      const float* brow = b + std::size_t{k} * N;
      for (std::uint32_t j = j0; j < N; ++j) acc[j] = acc[j] + aik * brow[j];
    }
  }
}

class Executor {
 public:
  Executor(const Program& p, const Instruction& in, const CoreConfig& cfg, Memories mem, NumericsCounters& n)
      : m_p(p), m_in(in), m_at(p.attrs(in)), m_cfg(cfg), m_mem(mem), m_n(n) {}

  void run() {
    switch (m_in.op) {
      case Opcode::dma_load: case Opcode::dma_store: dma(); break;
      case Opcode::matmul: matmul(); break;
      case Opcode::vec_add: case Opcode::vec_sub: case Opcode::vec_mul: case Opcode::vec_max: case Opcode::vec_min:
      case Opcode::vec_fma: case Opcode::vec_exp: case Opcode::vec_recip: case Opcode::vec_log:
      case Opcode::vec_select:
        elementwise();
        break;
      case Opcode::vec_reduce_sum: case Opcode::vec_reduce_max: reduce(); break;
      case Opcode::vec_cast: cast(); break;
      case Opcode::vec_requant: requant(); break;
      case Opcode::vec_band: case Opcode::vec_copy: case Opcode::vec_transpose: move(); break;
      case Opcode::vec_identity: case Opcode::vec_fill: fill(); break;
      case Opcode::vec_layout: break;  // moves elements between layouts: their values do not change
      case Opcode::barrier: case Opcode::signal: case Opcode::wait: case Opcode::matrix_acquire:
      case Opcode::matrix_release:
        break;
    }
  }

 private:
  // The destination dtype decides how immediates are read: rounded to a float dtype, or exact
  // integers (the checker made sure they fit).
  Operand2D operand(int i) const {
    const Operand& o = m_p.operand(m_in, i);
    Operand2D a;
    const DType dst = m_p.dtype_of(m_p.dst(m_in));
    if (o.is_imm()) {
      a.is_imm = true;
      a.dtype = dst;
      a.imm_f = round_to_float_dtype(static_cast<float>(o.imm), is_float(dst) ? dst : DType::fp32);
      a.imm_i = static_cast<std::int64_t>(o.imm);
      return a;
    }
    const Region r = region_of(m_p, o);
    auto& bytes = *(o.space == Space::dram ? m_mem.dram : m_mem.scratchpad);
    NPUSIM_ASSERT(r.end() <= bytes.size(), "operand outside memory after check_program()");
    a.base = bytes.data() + r.address;
    a.dtype = m_p.dtype_of(o);
    a.rows = o.view.rows;
    a.cols = o.view.cols;
    a.stride_bytes = r.stride_bytes;
    a.elem = static_cast<std::uint32_t>(dtype_bytes(a.dtype));
    return a;
  }

  void dma() {
    const Operand2D dst = operand(0), src = operand(1);
    for (std::uint32_t i = 0; i < dst.rows; ++i) std::memmove(dst.at(i, 0), src.at(i, 0), std::size_t{dst.cols} * dst.elem);
  }

  // Operands are first copied into contiguous rows; each output row then accumulates over k in
  // ascending order (i-k-j loops), so every element sees the same sequence of roundings as a
  // plain dot product, while the inner loop runs over contiguous memory (and vectorizes).
  void matmul() {
    const Operand2D c = operand(0), a = operand(1), b = operand(2);
    const bool ta = m_at.ta, tb = m_at.tb;
    const std::uint32_t M = c.rows, N = c.cols, K = ta ? a.rows : a.cols;
    auto A = [&](std::uint32_t i, std::uint32_t k) { return ta ? a.at(k, i) : a.at(i, k); };
    auto B = [&](std::uint32_t k, std::uint32_t j) { return tb ? b.at(j, k) : b.at(k, j); };
    if (is_float(a.dtype)) {
      // Scratch rows kept between calls: matmuls come by the thousand.
      thread_local std::vector<float> av, bv, out;
      av.resize(std::size_t{M} * K);
      bv.resize(std::size_t{K} * N);
      out.resize(std::size_t{M} * N);
      load_matrix(a, ta, M, K, av.data());
      load_matrix(b, tb, K, N, bv.data());
      const DType acc_t = m_cfg.matrix.float_accumulator;
      for (std::uint32_t i = 0; i < M; ++i) {
        float* acc = &out[std::size_t{i} * N];
        for (std::uint32_t j = 0; j < N; ++j) {
          acc[j] = m_at.acc ? round_to_float_dtype(load_f(c.at(i, j), c.dtype), acc_t) : 0.0f;
        }
      }
      if (acc_t == DType::fp32) {
        accumulate_fp32(out.data(), av.data(), bv.data(), M, K, N);
      } else {
        for (std::uint32_t i = 0; i < M; ++i) {
          float* acc = &out[std::size_t{i} * N];
          for (std::uint32_t k = 0; k < K; ++k) {
            const float aik = av[std::size_t{i} * K + k];
            const float* brow = &bv[std::size_t{k} * N];
            for (std::uint32_t j = 0; j < N; ++j) acc[j] = round_to_float_dtype(acc[j] + aik * brow[j], acc_t);
          }
        }
      }
      for (std::uint32_t i = 0; i < M; ++i)
        for (std::uint32_t j = 0; j < N; ++j) store_f(c.at(i, j), c.dtype, out[std::size_t{i} * N + j], m_n);
      return;
    }
    // Exact accumulation; the old value enters at the accumulator's scale (C * 2^shift), and the
    // write-back rounds (to nearest even) by 2^shift and saturates to the destination dtype.
    const int shift = m_at.shift;
    std::vector<std::int64_t> av(std::size_t{M} * K), bv(std::size_t{K} * N), out(std::size_t{M} * N);
    for (std::uint32_t i = 0; i < M; ++i)
      for (std::uint32_t k = 0; k < K; ++k) av[std::size_t{i} * K + k] = load_i(A(i, k), a.dtype);
    for (std::uint32_t k = 0; k < K; ++k)
      for (std::uint32_t j = 0; j < N; ++j) bv[std::size_t{k} * N + j] = load_i(B(k, j), b.dtype);
    for (std::uint32_t i = 0; i < M; ++i) {
      std::int64_t* acc = &out[std::size_t{i} * N];
      for (std::uint32_t j = 0; j < N; ++j) {
        acc[j] = m_at.acc ? load_i(c.at(i, j), c.dtype) * (INT64_C(1) << shift) : 0;
      }
      for (std::uint32_t k = 0; k < K; ++k) {
        const std::int64_t aik = av[std::size_t{i} * K + k];
        const std::int64_t* brow = &bv[std::size_t{k} * N];
        for (std::uint32_t j = 0; j < N; ++j) acc[j] += aik * brow[j];
      }
    }
    for (std::uint32_t i = 0; i < M; ++i)
      for (std::uint32_t j = 0; j < N; ++j)
        store_i(c.at(i, j), c.dtype, rounding_shift(out[std::size_t{i} * N + j], shift, Rounding::rne), m_n);
  }

  void elementwise() {
    const Operand2D d = operand(0);
    Operand2D s[3];
    for (int i = 1; i < m_in.noperands; ++i) s[i - 1] = operand(i);
    const Opcode op = m_in.op;
    for (std::uint32_t i = 0; i < d.rows; ++i) {
      for (std::uint32_t j = 0; j < d.cols; ++j) {
        if (op == Opcode::vec_select) {
          const bool take_a = s[0].is_imm ? s[0].imm_f != 0.0f
                                          : (is_float(s[0].dtype) ? s[0].f(i, j) != 0.0f : s[0].n(i, j) != 0);
          const Operand2D& pick = take_a ? s[1] : s[2];
          if (is_float(d.dtype)) {
            store_f(d.at(i, j), d.dtype, pick.f(i, j), m_n);
          } else {
            store_i(d.at(i, j), d.dtype, pick.n(i, j), m_n);
          }
          continue;
        }
        if (is_float(d.dtype)) {
          const float a = s[0].f(i, j);
          float r = 0;
          switch (op) {
            case Opcode::vec_add: r = a + s[1].f(i, j); break;
            case Opcode::vec_sub: r = a - s[1].f(i, j); break;
            case Opcode::vec_mul: r = a * s[1].f(i, j); break;
            case Opcode::vec_max: r = std::fmax(a, s[1].f(i, j)); break;
            case Opcode::vec_min: r = std::fmin(a, s[1].f(i, j)); break;
            case Opcode::vec_fma: r = std::fma(a, s[1].f(i, j), s[2].f(i, j)); break;
            case Opcode::vec_exp: r = std::exp(a); break;
            case Opcode::vec_recip: r = 1.0f / a; break;
            case Opcode::vec_log: r = std::log(a); break;
            default: break;
          }
          store_f(d.at(i, j), d.dtype, r, m_n);
        } else {
          const std::int64_t a = s[0].n(i, j);
          std::int64_t r = 0;
          switch (op) {
            case Opcode::vec_add: r = a + s[1].n(i, j); break;
            case Opcode::vec_sub: r = a - s[1].n(i, j); break;
            case Opcode::vec_mul: r = a * s[1].n(i, j); break;
            case Opcode::vec_max: r = std::max(a, s[1].n(i, j)); break;
            case Opcode::vec_min: r = std::min(a, s[1].n(i, j)); break;
            case Opcode::vec_fma: r = a * s[1].n(i, j) + s[2].n(i, j); break;
            default: break;
          }
          store_i(d.at(i, j), d.dtype, r, m_n);
        }
      }
    }
  }

  void reduce() {
    const Operand2D d = operand(0), s = operand(1);
    const bool rows = m_at.axis == 1;  // one result per row
    const bool is_max = m_in.op == Opcode::vec_reduce_max;
    const std::uint32_t outer = rows ? s.rows : s.cols, inner = rows ? s.cols : s.rows;
    for (std::uint32_t o = 0; o < outer; ++o) {
      auto src = [&](std::uint32_t k) { return rows ? s.at(o, k) : s.at(k, o); };
      std::uint8_t* out = rows ? d.at(o, 0) : d.at(0, o);
      if (is_float(s.dtype)) {
        float acc = is_max ? -INFINITY : 0.0f;
        for (std::uint32_t k = 0; k < inner; ++k) {
          const float v = load_f(src(k), s.dtype);
          acc = is_max ? std::fmax(acc, v) : acc + v;
        }
        store_f(out, d.dtype, acc, m_n);
      } else {
        std::int64_t acc = is_max ? INT64_MIN : 0;
        for (std::uint32_t k = 0; k < inner; ++k) {
          const std::int64_t v = load_i(src(k), s.dtype);
          acc = is_max ? std::max(acc, v) : acc + v;
        }
        store_i(out, d.dtype, acc, m_n);
      }
    }
  }

  void cast() {
    const Operand2D d = operand(0), s = operand(1);
    for (std::uint32_t i = 0; i < d.rows; ++i) {
      for (std::uint32_t j = 0; j < d.cols; ++j) {
        if (is_float(d.dtype)) {
          const float v = is_float(s.dtype) ? s.f(i, j) : static_cast<float>(s.n(i, j));
          store_f(d.at(i, j), d.dtype, v, m_n);
        } else if (is_float(s.dtype)) {
          const auto q = float_to_int(s.f(i, j), m_at.round);
          if (!q) ++m_n.saturations;
          store_i(d.at(i, j), d.dtype, q.value_or(0), m_n);
        } else {
          store_i(d.at(i, j), d.dtype, s.n(i, j), m_n);
        }
      }
    }
  }

  void requant() {
    const Operand2D d = operand(0), s = operand(1);
    const Attrs& a = m_at;
    for (std::uint32_t i = 0; i < d.rows; ++i)
      for (std::uint32_t j = 0; j < d.cols; ++j)
        store_i(d.at(i, j), d.dtype, rounding_shift(s.n(i, j) * a.mult, a.shift, a.round), m_n);
  }

  // band, copy and transpose move elements unchanged (same dtype), so they copy bytes.
  void move() {
    const Operand2D d = operand(0), s = operand(1);
    const bool transpose = m_in.op == Opcode::vec_transpose;
    const bool band = m_in.op == Opcode::vec_band;
    const std::int64_t lo = m_at.lo;
    const std::int64_t hi = m_at.hi.value_or(INT32_MAX);
    std::vector<std::uint8_t> tmp(std::size_t{d.rows} * d.cols * d.elem);  // src and dst may alias
    for (std::uint32_t i = 0; i < d.rows; ++i) {
      for (std::uint32_t j = 0; j < d.cols; ++j) {
        std::uint8_t* t = &tmp[(std::size_t{i} * d.cols + j) * d.elem];
        const std::int64_t diag = std::int64_t{i} - j;
        if (band && (diag < lo || diag > hi)) continue;  // zero bytes are 0 in every dtype
        std::memcpy(t, transpose ? s.at(j, i) : s.at(i, j), d.elem);
      }
    }
    for (std::uint32_t i = 0; i < d.rows; ++i)
      std::memcpy(d.at(i, 0), &tmp[std::size_t{i} * d.cols * d.elem], std::size_t{d.cols} * d.elem);
  }

  void fill() {
    const Operand2D d = operand(0);
    const bool identity = m_in.op == Opcode::vec_identity;
    const Operand2D v = identity ? Operand2D{} : operand(1);
    for (std::uint32_t i = 0; i < d.rows; ++i) {
      for (std::uint32_t j = 0; j < d.cols; ++j) {
        if (is_float(d.dtype)) {
          store_f(d.at(i, j), d.dtype, identity ? (i == j ? 1.0f : 0.0f) : v.imm_f, m_n);
        } else {
          store_i(d.at(i, j), d.dtype, identity ? (i == j ? 1 : 0) : v.imm_i, m_n);
        }
      }
    }
  }

  const Program& m_p;
  const Instruction& m_in;
  const Attrs& m_at;
  const CoreConfig& m_cfg;
  Memories m_mem;
  NumericsCounters& m_n;
};

}  // namespace

void execute(const Program& p, const Instruction& in, const CoreConfig& cfg, Memories mem, NumericsCounters& n) {
  Executor(p, in, cfg, mem, n).run();
}

double load_element(const std::uint8_t* base, DType t, std::uint64_t index) {
  const std::uint8_t* p = base + index * dtype_bytes(t);
  return is_float(t) ? static_cast<double>(load_f(p, t)) : static_cast<double>(load_i(p, t));
}

bool store_element(std::uint8_t* base, DType t, std::uint64_t index, double v) {
  std::uint8_t* p = base + index * dtype_bytes(t);
  NumericsCounters n;
  if (is_float(t)) {
    // fp32 via round-to-odd keeps the final rounding to fp16/bf16 correct (no double rounding).
    store_f(p, t, t == DType::fp32 ? static_cast<float>(v) : double_to_float_round_odd(v), n);
    return false;
  }
  if (std::isnan(v)) {
    store_i(p, t, 0, n);
    return true;
  }
  const double r = std::nearbyint(v);
  const std::int64_t q = r >= 9.2e18 ? INT64_MAX : r <= -9.2e18 ? INT64_MIN : static_cast<std::int64_t>(r);
  store_i(p, t, q, n);
  return n.saturations > 0;
}

}  // namespace npusim::npu
