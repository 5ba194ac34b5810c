#include "kernels/gdn/scaffold.hpp"

#include <fmt/format.h>
#include <memory>

#include "kernels/inverse/schedule.hpp"
#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "npu/isa/check.hpp"

namespace npusim::kernels {
using namespace npu;

StageScaffold::StageScaffold(const NpuConfig& hw, std::string name, std::uint32_t max_lanes)
    : m_hw(hw), m_name(std::move(name)), m_max_lanes(std::max<std::uint32_t>(1, max_lanes)) {}

void StageScaffold::declare_persistent(std::uint32_t) {}
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

void StageScaffold::attempt(std::uint32_t lanes, std::uint32_t sets) {
  m_b = std::make_unique<ProgramBuilder>(m_name);
  m_constants.clear();
  m_suffix = "_p";
  declare_persistent(lanes);
  for (std::size_t s = 0; s < sets; ++s) {
    m_suffix = fmt::format("_s{}", s);
    declare_set(s, lanes);
  }
  m_suffix.clear();
  const auto per_core = plan(lanes, m_hw.cores);
  for (std::uint32_t core = 0; core < per_core.size(); ++core) {
    const auto& units = per_core[core];
    if (units.empty()) continue;
    if (m_hw.cores > 1) b().core(core);
    for (const auto& [buf, tensor] : m_constants) b().dma_load(buf.all(), tensor.all(), load_queue());
    prepare();
    auto ref = [&](std::size_t i) { return UnitRef{static_cast<std::uint32_t>(i), i % sets, units[i]}; };
    if (sets > 1) loads(ref(0));
    for (std::size_t i = 0; i < units.size(); ++i) {
      const UnitRef u = ref(i);
      if (sets == 1) loads(u);
      if (sets > 1 && i + 1 < units.size()) loads(ref(i + 1));
      shared(u);
      std::vector<std::vector<Instruction>> lanes_code;
      for (std::uint32_t lane = 0; lane < u.items.size(); ++lane) {
        b().begin_capture();
        item(u, lane);
        lanes_code.push_back(b().end_capture());
      }
      b().append(lanes_code.size() == 1 ? lanes_code[0] : merge_by_estimated_start(b().program(), m_hw, lanes_code));
      stores(u);
    }
  }
}

Program StageScaffold::build() {
  const std::uint64_t capacity = m_hw.core.scratchpad.size_bytes;
  std::uint64_t need = 0;
  for (std::uint32_t lanes = m_max_lanes; lanes >= 1; lanes = lanes > 1 ? lanes / 2 : 0) {
    for (std::uint32_t sets : {2u, 1u}) {
      attempt(lanes, sets);
      need = scratchpad_footprint(b().program(), m_hw.core.scratchpad);
      if (need <= capacity) {
        m_lanes = lanes;
        return b().finish();
      }
    }
  }
  throw InputError(fmt::format("{}: the buffers of one item need {} of scratchpad, but {} has {}", m_name,
                               human_bytes(double(need)), m_hw.name, human_bytes(double(capacity))));
}

}  // namespace npusim::kernels
