#include "npu/config.hpp"

#include <fmt/format.h>

namespace npusim::npu {

std::string_view matrix_model_name(MatrixModel m) { return m == MatrixModel::cube ? "cube" : "systolic"; }

std::string_view dataflow_name(Dataflow d) {
  switch (d) {
    case Dataflow::ws: return "ws";
    case Dataflow::os: return "os";
    case Dataflow::is: return "is";
  }
  return "?";
}

std::string_view vector_op_class_name(VectorOpClass c) {
  static constexpr std::string_view names[kVectorOpClassCount] = {
      "add", "sub", "mul", "fma", "max", "exp", "recip", "reduce",
      "cast", "requant", "select", "copy", "transpose", "broadcast", "layout"};
  return names[static_cast<int>(c)];
}

std::string_view handoff_via_name(HandoffVia v) { return v == HandoffVia::consumer ? "consumer" : "vector"; }

double peak_macs_per_cycle(const MatrixConfig& m, DType t) {
  const auto& r = m.rate(t);
  if (!r) return 0.0;
  const double base = m.model == MatrixModel::cube
                          ? double(m.cube.m) * m.cube.k * m.cube.n
                          : double(m.systolic.rows) * m.systolic.cols * m.systolic.arrays;
  return base * r->num / r->den;
}

std::vector<ConfigProblem> validate(const NpuConfig& cfg) {
  std::vector<ConfigProblem> out;
  const auto& c = cfg.core;
  const std::uint64_t peak = c.scratchpad.peak_bytes_per_cycle();

  bool any_rate = false;
  for (const auto& r : c.matrix.rates) any_rate |= r.has_value();
  if (!any_rate) out.push_back({"matrix.dtypes", "the matrix unit must support at least one dtype"});
  if (c.matrix.port_bytes_per_cycle > peak) {
    out.push_back({"matrix.port", fmt::format("{} B/cycle exceeds the scratchpad peak of {} B/cycle "
                                              "(banks x bank_width x ports_per_bank)",
                                              c.matrix.port_bytes_per_cycle, peak)});
  }
  if (c.vector.port_bytes_per_cycle > peak) {
    out.push_back({"vector.port", fmt::format("{} B/cycle exceeds the scratchpad peak of {} B/cycle "
                                              "(banks x bank_width x ports_per_bank)",
                                              c.vector.port_bytes_per_cycle, peak)});
  }
  if (c.vector.width_bytes % 4 != 0) {
    out.push_back({"vector.width", fmt::format("{} B is not a multiple of 4 B (one fp32 lane)",
                                               c.vector.width_bytes)});
  }
  bool any_vec = false;
  for (bool b : c.vector.dtypes) any_vec |= b;
  if (!any_vec) out.push_back({"vector.dtypes", "the vector unit must support at least one dtype"});
  if (c.handoff.via == HandoffVia::consumer && c.handoff.sync_cycles != 0) {
    out.push_back({"handoff.sync_cycles", "is only used with via: vector (via consumer: use the directions' fixed_cycles)"});
  }
  if (c.handoff.via == HandoffVia::vector) {
    for (const auto& [name, d] : {std::pair{"matrix_to_vector", c.handoff.matrix_to_vector},
                                  std::pair{"vector_to_matrix", c.handoff.vector_to_matrix}}) {
      if (d.fixed_cycles != 0 || d.bytes_per_cycle != 0) {
        out.push_back({fmt::format("handoff.{}", name),
                       "is only used with via: consumer (via is vector: the vector unit converts, costed by "
                       "vector.ops.layout)"});
      }
    }
  }
  if (c.scratchpad.size_bytes % c.scratchpad.bank_width_bytes != 0) {
    out.push_back({"scratchpad.size", fmt::format("{} B is not a multiple of bank_width ({} B)",
                                                  c.scratchpad.size_bytes, c.scratchpad.bank_width_bytes)});
  }
  return out;
}

}  // namespace npusim::npu
