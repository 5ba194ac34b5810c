#include "kernels/inverse/scaffold.hpp"

#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "kernels/inverse/schedule.hpp"
#include "npu/isa/check.hpp"

namespace npusim::kernels {
using namespace npu;

Attrs axis0() {
  Attrs a;
  a.axis = 0;
  return a;
}

Attrs band(std::int32_t lo, std::int32_t hi) {
  Attrs a;
  a.lo = lo;
  a.hi = hi;
  return a;
}

Attrs requant(int shift) {
  Attrs a;
  a.shift = shift;
  return a;
}

InverseScaffold::InverseScaffold(const NpuConfig& hw, const InverseParams& params, std::string name)
    : m_hw(hw), m_params(params), C(params.chunk), dt(params.dtype), m_name(std::move(name)) {}

void InverseScaffold::prepare_core() {}
void InverseScaffold::prepare(const std::vector<std::size_t>&) {}

std::vector<Instruction> with_matrix_locks(const std::vector<Instruction>& code) {
  std::vector<Instruction> out;
  out.reserve(code.size() + 2);
  auto lock = [&](Opcode op) {
    Instruction in;
    in.op = op;
    out.push_back(in);
  };
  bool held = false;
  for (const Instruction& in : code) {
    const bool matmul = in.op == Opcode::matmul;
    if (matmul && !held) lock(Opcode::matrix_acquire);
    if (!matmul && held) lock(Opcode::matrix_release);
    held = matmul;
    out.push_back(in);
  }
  if (held) lock(Opcode::matrix_release);
  return out;
}

BufferRef InverseScaffold::constant(const std::string& name, DType dtype, std::uint32_t rows, std::uint32_t cols,
                                    const TensorInit& init) {
  for (const auto& [buf, tensor] : m_constants) {
    if (b().program().buffers[buf.id()].name == name) return buf;
  }
  const TensorRef t = b().dram(name + "_const", dtype, {rows, cols}, init);
  const BufferRef buf = b().buffer(name, dtype, rows, cols);
  m_constants.emplace_back(buf, t);
  return buf;
}

BufferRef InverseScaffold::buffer(const std::string& name, DType dtype, std::uint32_t rows, std::uint32_t cols) {
  return b().buffer(name + m_suffix, dtype, rows, cols);
}

void InverseScaffold::attempt(std::uint32_t interleave, std::uint32_t sets, std::uint32_t threads) {
  m_b = std::make_unique<ProgramBuilder>(m_name);
  m_constants.clear();
  m_slot_a.clear();
  m_slot_t.clear();
  const std::uint32_t batch = m_params.batch;
  b().comment(fmt::format("{}: T = (I + A)^-1 for {} chunk{} of {}x{}, {}", m_name, batch, batch == 1 ? "" : "s", C, C,
                          dtype_name(dt)));
  const TensorRef A = b().dram("A", dt, {batch, C, C});
  const TensorRef T = b().dram("T", dt, {batch, C, C}, {}, true);
  // Every thread of a core has its own slots in the core's scratchpad.
  const std::uint32_t cores = m_hw.cores;
  const std::size_t per_thread = std::size_t{interleave} * sets;
  for (std::uint32_t th = 0; th < threads; ++th) {
    for (std::size_t s = 0; s < per_thread; ++s) {
      m_suffix = threads > 1 ? fmt::format("_t{}_s{}", th, s) : fmt::format("_s{}", s);
      m_slot_a.push_back(buffer("a", dt, C, C));
      m_slot_t.push_back(buffer("t", dt, C, C));
      declare_slot(th * per_thread + s);
    }
  }
  m_suffix.clear();

  const std::uint8_t load_q = 0;
  const std::uint8_t store_q = static_cast<std::uint8_t>(m_hw.core.dma.queues > 1 ? 1 : 0);
  // Chunks go round-robin to the workers (every thread of every core); worker w is thread
  // w / cores of core w % cores, so with one thread per core this is one stream per core.
  const std::uint32_t workers = cores * threads;
  for (std::uint32_t w = 0; w < workers && w < batch; ++w) {
    const std::uint32_t core = w % cores, thread = w / cores;
    if (workers > 1) b().core(core, thread);
    // Thread 0 loads the core's constants; the core's other working threads wait for them.
    const std::string loaded = fmt::format("constants_c{}", core);
    if (thread == 0) {
      for (const auto& [buf, tensor] : m_constants) b().dma_load(buf.all(), tensor.all(), load_q);
      prepare_core();
      for (std::uint32_t other = core + cores; other < workers && other < batch; other += cores) b().signal(loaded);
    } else {
      b().wait(loaded);
    }
    std::vector<std::size_t> mine(per_thread);
    for (std::size_t s = 0; s < per_thread; ++s) mine[s] = thread * per_thread + s;
    prepare(mine);
    std::vector<std::vector<ChunkSlot>> groups;
    for (std::uint32_t chunk = w, n = 0; chunk < batch; chunk += workers, ++n) {
      const std::size_t g = n / interleave;
      if (groups.size() <= g) groups.emplace_back();
      const std::size_t slot = mine[(g % sets) * interleave + groups[g].size()];
      groups[g].push_back({chunk, slot, m_slot_a[slot], m_slot_t[slot]});
    }
    auto loads = [&](std::size_t g) {
      for (const ChunkSlot& c : groups[g]) b().dma_load(c.a.all(), A.matrix(c.chunk), load_q);
    };
    auto stores = [&](std::size_t g) {
      for (const ChunkSlot& c : groups[g]) b().dma_store(T.matrix(c.chunk), c.t.all(), store_q);
    };
    auto compute = [&](std::size_t g, std::uint32_t phase) {
      if (phase == 0) {
        std::string chunks;
        for (const ChunkSlot& c : groups[g]) chunks += (chunks.empty() ? "" : ", ") + std::to_string(c.chunk);
        b().comment(fmt::format("chunk{} {}", groups[g].size() == 1 ? "" : "s", chunks));
      }
      emit(groups[g], phase);
    };
    // With several threads the matrix unit is shared: each run of matmuls holds it.
    auto locked = [&](const std::vector<Instruction>& code) {
      b().append(threads > 1 ? with_matrix_locks(code) : code);
    };
    const std::uint32_t P = phases();
    const std::size_t G = groups.size();
    if (sets == 1) {  // one group at a time: its loads must wait until the previous group is done
      for (std::size_t g = 0; g < G; ++g) {
        loads(g);
        b().begin_capture();
        for (std::uint32_t p = 0; p < P; ++p) compute(g, p);
        locked(b().end_capture());
        stores(g);
      }
      continue;
    }
    // Set g % sets holds group g from its loads to its stores. With P + 1 sets, P groups are in
    // different phases at once; with fewer, only the next group's loads run ahead.
    const std::uint32_t depth = sets > P ? P : 1;
    loads(0);
    for (std::size_t t = 0; t + 1 < G + depth; ++t) {
      if (t + 1 < G) loads(t + 1);
      if (depth == P && P > 1) {
        // The groups in flight run different phases, usually on different units: interleave.
        std::vector<std::vector<Instruction>> phases_now;
        for (std::uint32_t k = depth; k-- > 0;) {  // the oldest group in flight first
          if (t < k || t - k >= G) continue;
          b().begin_capture();
          compute(t - k, k);
          phases_now.push_back(b().end_capture());
        }
        locked(merge_by_estimated_start(b().program(), m_hw, phases_now));
      } else {
        b().begin_capture();
        for (std::uint32_t p = 0; p < P; ++p) compute(t, p);
        locked(b().end_capture());
      }
      if (t + 1 >= depth) stores(t + 1 - depth);
    }
  }
}

InverseProgram InverseScaffold::build() {
  if (m_params.batch == 0) throw InputError("the batch must hold at least one chunk");
  const std::uint64_t capacity = m_hw.core.scratchpad.size_bytes;
  std::uint64_t need = 0;
  std::vector<std::uint32_t> set_choices;
  if (phases() > 1) set_choices.push_back(phases() + 1);
  set_choices.push_back(2);
  set_choices.push_back(1);
  // Every thread of each core first; fewer threads only when no variant fits for all of them.
  for (std::uint32_t threads = std::max<std::uint32_t>(1, m_hw.core.sequencer.threads); threads >= 1; --threads) {
    for (bool compact : {false, true}) {
      if (compact && !has_compact_variant()) break;
      m_compact = compact;
      for (std::uint32_t interleave = std::max<std::uint32_t>(1, m_params.interleave); interleave >= 1; --interleave) {
        for (std::uint32_t sets : set_choices) {
          attempt(interleave, sets, threads);
          need = scratchpad_footprint(b().program(), m_hw.core.scratchpad);
          if (need <= capacity) {
            InverseProgram out;
            out.interleave = interleave;
            describe(out);
            out.program = b().finish();
            return out;
          }
        }
      }
    }
  }
  throw InputError(fmt::format("{}: one chunk of {}x{} {} needs {} of scratchpad, but {} has {}", m_name, C, C,
                               dtype_name(dt), human_bytes(double(need)), m_hw.name, human_bytes(double(capacity))));
}

}  // namespace npusim::kernels
