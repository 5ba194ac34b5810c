#include "kernels/gdn/scaffold.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <memory>

#include "kernels/inverse/scaffold.hpp"
#include "kernels/inverse/schedule.hpp"
#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "npu/isa/check.hpp"

namespace npusim::kernels {
using namespace npu;

std::uint32_t stage_threads(const NpuConfig& hw) {
  return std::max<std::uint32_t>(1, std::min(hw.core.sequencer.threads, hw.core.vector.contexts));
}

StageScaffold::StageScaffold(const NpuConfig& hw, std::string name, std::uint32_t max_lanes)
    : m_hw(hw), m_name(std::move(name)), m_max_lanes(std::max<std::uint32_t>(1, max_lanes)) {}

void StageScaffold::declare_persistent(std::uint32_t) {}
void StageScaffold::declare_thread(std::uint32_t, std::uint32_t) {}
void StageScaffold::prepare() {}
void StageScaffold::shared(const UnitRef&) {}

BufferRef StageScaffold::constant(const std::string& name, DType dtype, std::uint32_t rows, std::uint32_t cols,
                                  const TensorInit& init) {
  for (const auto& [buf, tensor] : m_constants) {
    if (b().program().buffers[buf.id()].name == name + "_sp") return buf;
  }
  const TensorRef t = b().dram(name, dtype, {rows, cols}, init);
  const BufferRef buf = b().buffer(name + "_sp", dtype, rows, cols);
  m_constants.emplace_back(buf, t);
  return buf;
}

BufferRef StageScaffold::buffer(const std::string& name, DType dtype, std::uint32_t rows, std::uint32_t cols) {
  return b().buffer(name + m_suffix, dtype, rows, cols);
}

BufferRef StageScaffold::alias(const std::string& name, DType dtype, std::uint32_t rows, std::uint32_t cols,
                               const BufferRef& of) {
  return b().alias(name + m_suffix, dtype, rows, cols, of);
}

void StageScaffold::declare(std::uint32_t lanes, std::uint32_t sets, std::uint32_t threads) {
  m_b = std::make_unique<ProgramBuilder>(m_name);
  m_constants.clear();
  m_suffix = "_p";
  declare_persistent(lanes);
  // Every thread has its own buffers in the core's scratchpad (one thread: the names as ever).
  for (std::uint32_t th = 0; th < threads; ++th) {
    m_suffix = threads > 1 ? fmt::format("_t{}_p", th) : "_p";
    declare_thread(th, lanes);
  }
  for (std::uint32_t th = 0; th < threads; ++th) {
    for (std::size_t s = 0; s < sets; ++s) {
      m_suffix = threads > 1 ? fmt::format("_t{}_s{}", th, s) : fmt::format("_s{}", s);
      declare_set(th * sets + s, lanes);
    }
  }
  m_suffix.clear();
}

std::vector<Instruction> StageScaffold::worker_code(const std::vector<std::vector<std::uint32_t>>& units,
                                                    std::uint32_t sets, std::uint32_t thread) {
  std::vector<Instruction> code;
  auto emit_into = [&](const auto& f) {
    b().begin_capture();
    f();
    const std::vector<Instruction> part = b().end_capture();
    code.insert(code.end(), part.begin(), part.end());
  };
  auto ref = [&](std::size_t i) {
    return UnitRef{static_cast<std::uint32_t>(i), thread * sets + i % sets, thread, units[i]};
  };
  if (sets > 1) emit_into([&] { loads(ref(0)); });
  for (std::size_t i = 0; i < units.size(); ++i) {
    const UnitRef u = ref(i);
    emit_into([&] {
      if (sets == 1) loads(u);
      if (sets > 1 && i + 1 < units.size()) loads(ref(i + 1));
      shared(u);
    });
    std::vector<std::vector<Instruction>> lanes_code;
    for (std::uint32_t lane = 0; lane < u.items.size(); ++lane) {
      b().begin_capture();
      item(u, lane);
      lanes_code.push_back(b().end_capture());
    }
    const auto merged = lanes_code.size() == 1 ? lanes_code[0] : merge_by_estimated_start(b().program(), m_hw, lanes_code);
    code.insert(code.end(), merged.begin(), merged.end());
    emit_into([&] { stores(u); });
  }
  return code;
}

void StageScaffold::emit(std::uint32_t lanes, std::uint32_t sets, std::uint32_t threads) {
  const std::uint32_t cores = m_hw.cores, workers = cores * threads;
  const auto per_worker = plan(lanes, workers);
  auto has_matmul = [](const std::vector<Instruction>& code) {
    return std::any_of(code.begin(), code.end(), [](const Instruction& in) { return in.op == Opcode::matmul; });
  };
  for (std::uint32_t core = 0; core < cores; ++core) {
    std::vector<std::uint32_t> busy;  // the core's threads with units
    for (std::uint32_t th = 0; th < threads; ++th) {
      const std::uint32_t w = th * cores + core;
      if (w < per_worker.size() && !per_worker[w].empty()) busy.push_back(th);
    }
    if (busy.empty()) continue;
    std::vector<std::vector<Instruction>> code(threads);
    // Thread 0 loads the core's constants and prepares; then it releases each other working
    // thread (flags count, so one signal per waiting thread).
    b().begin_capture();
    for (const auto& [buf, tensor] : m_constants) b().dma_load(buf.all(), tensor.all(), load_queue());
    prepare();
    code[0] = b().end_capture();
    const std::string ready = fmt::format("constants_c{}", core);
    const bool release = !code[0].empty();
    for (std::uint32_t th : busy) {
      if (th == 0 || !release) continue;
      b().begin_capture();
      b().signal(ready);
      const auto sig = b().end_capture();
      code[0].insert(code[0].end(), sig.begin(), sig.end());
      b().begin_capture();
      b().wait(ready);
      code[th] = b().end_capture();
    }
    for (std::uint32_t th : busy) {
      const auto mine = worker_code(per_worker[th * cores + core], sets, th);
      code[th].insert(code[th].end(), mine.begin(), mine.end());
    }
    // Threads of a core sharing the matrix unit take it for each run of matmuls.
    const bool shared_matrix = std::count_if(code.begin(), code.end(), has_matmul) > 1;
    for (std::uint32_t th = 0; th < threads; ++th) {
      if (code[th].empty()) continue;
      if (workers > 1) b().core(core, th);
      b().append(shared_matrix && has_matmul(code[th]) ? with_matrix_locks(code[th]) : code[th]);
    }
  }
}

Program StageScaffold::build() {
  const std::uint64_t capacity = m_hw.core.scratchpad.size_bytes;
  std::uint64_t need = 0;
  // Every thread first, with fewer items per unit and then one set before fewer threads: the
  // threads overlap one another's units on the shared units, which in-order streams with short
  // queues cannot do within one stream (measured: README, "Gated DeltaNet layers").
  for (std::uint32_t threads = stage_threads(m_hw); threads >= 1; --threads) {
    for (std::uint32_t lanes = m_max_lanes; lanes >= 1; lanes = lanes > 1 ? lanes / 2 : 0) {
      for (std::uint32_t sets : {2u, 1u}) {
        declare(lanes, sets, threads);
        need = scratchpad_footprint(b().program(), m_hw.core.scratchpad);
        if (need <= capacity) {
          m_lanes = lanes;
          m_threads = threads;
          emit(lanes, sets, threads);
          return b().finish();
        }
      }
    }
  }
  throw InputError(fmt::format("{}: the buffers of one item need {} of scratchpad, but {} has {}", m_name,
                               human_bytes(double(need)), m_hw.name, human_bytes(double(capacity))));
}

}  // namespace npusim::kernels
