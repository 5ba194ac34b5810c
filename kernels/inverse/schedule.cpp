#include "kernels/inverse/schedule.hpp"

#include <array>

#include "npu/core/instruction_cost.hpp"

namespace npusim::kernels {
using namespace npu;

std::vector<Instruction> merge_by_estimated_start(const Program& p, const NpuConfig& hw,
                                                  const std::vector<std::vector<Instruction>>& sequences) {
  struct Cursor {
    std::size_t next = 0;
    std::array<std::uint64_t, 4> unit_time{};  // per UnitKind
  };
  std::vector<Cursor> cur(sequences.size());
  std::vector<Instruction> out;
  for (;;) {
    std::size_t best = sequences.size();
    std::uint64_t best_start = 0;
    for (std::size_t s = 0; s < sequences.size(); ++s) {
      if (cur[s].next >= sequences[s].size()) continue;
      const Instruction& in = sequences[s][cur[s].next];
      const std::uint64_t start = cur[s].unit_time[static_cast<int>(in.unit())];
      if (best == sequences.size() || start < best_start) {
        best = s;
        best_start = start;
      }
    }
    if (best == sequences.size()) return out;
    const Instruction& in = sequences[best][cur[best].next++];
    cur[best].unit_time[static_cast<int>(in.unit())] += unloaded_cost(p, in, hw).busy;
    out.push_back(in);
  }
}

}  // namespace npusim::kernels
