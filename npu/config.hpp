#pragma once
/// Plain configuration structs for one NPU. They are filled by sim/config (from YAML) or by
/// code, checked by validate(), and only then used to construct models. Nothing here reads files.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "npu/numerics/dtype.hpp"

namespace npusim::npu {

enum class MatrixModel : std::uint8_t { cube, systolic };
enum class Dataflow : std::uint8_t { ws, os, is };

std::string_view matrix_model_name(MatrixModel m);
std::string_view dataflow_name(Dataflow d);

/// Throughput of an operand dtype relative to the configured tile: num/den tiles per cycle
/// (2/1 for int8 on a unit whose tile is quoted for fp16, 1/4 for a slow fp32 path).
struct Rate {
  std::uint32_t num = 1;
  std::uint32_t den = 1;
};

struct SequencerConfig {
  std::uint32_t issue_cycles = 1;  ///< sequencer cycles spent issuing one instruction
  std::uint32_t queue_depth = 8;   ///< entries in each execution unit's instruction queue, per thread
  /// Hardware threads per core, each sequencing its own stream (`.core N thread=T`); they share
  /// the core's units and scratchpad (Hexagon: 6, chipsandcheese.com 2023-10-04).
  std::uint32_t threads = 1;
};

/// `cube`: an m x k x n multiply-accumulate tile per cycle (Ascend cube, Hexagon HMX).
struct CubeConfig {
  std::uint32_t m = 16;
  std::uint32_t k = 16;
  std::uint32_t n = 16;
};

/// `systolic`: a rows x cols PE array with a SCALE-Sim dataflow; `arrays` identical arrays
/// share the folds of one matmul (TPU v5e has 4 MXUs per core).
struct SystolicConfig {
  std::uint32_t rows = 32;
  std::uint32_t cols = 32;
  Dataflow dataflow = Dataflow::ws;
  std::uint32_t arrays = 1;
};

struct MatrixConfig {
  MatrixModel model = MatrixModel::cube;
  CubeConfig cube;
  SystolicConfig systolic;
  /// Operand dtypes the unit accepts, with their rate; an empty slot means unsupported.
  std::array<std::optional<Rate>, kDTypeCount> rates{};
  DType float_accumulator = DType::fp32;  ///< fp32, fp16 or bf16
  DType int_accumulator = DType::int32;   ///< int32
  std::uint32_t startup_cycles = 0;           ///< fixed cost per matmul instruction
  std::uint32_t lock_cycles = 0;  ///< matrix.acquire: cycles to take the unit once it is free
  std::uint32_t pipeline_latency_cycles = 0;  ///< result ready this long after the unit frees
  std::uint32_t port_bytes_per_cycle = 256;   ///< scratchpad read port and write port width

  const std::optional<Rate>& rate(DType t) const { return rates[static_cast<int>(t)]; }
};

/// Vector op timing classes: every vector instruction maps to one row of the latency table.
enum class VectorOpClass : std::uint8_t {
  add, sub, mul, fma, max, exp, recip, reduce, cast, requant, select, copy, transpose,
  broadcast,  ///< a splat: replicating scalars of a broadcast operand across lanes
  layout,     ///< converting between the matrix unit's tile layout and the vector layout (vec.layout)
};
inline constexpr int kVectorOpClassCount = 15;
std::string_view vector_op_class_name(VectorOpClass c);

struct VectorOpTiming {
  std::uint32_t latency_cycles = 1;   ///< pipeline latency: result ready after the last issue
  std::uint32_t interval_cycles = 1;  ///< cycles between successive vectors of one instruction
};

struct VectorConfig {
  std::uint32_t width_bytes = 128;  ///< vector register width; lanes = width / element size
  std::uint32_t startup_cycles = 0;  ///< fixed cost per vector instruction
  std::array<VectorOpTiming, kVectorOpClassCount> ops{};
  std::array<bool, kDTypeCount> dtypes{};  ///< element types the unit computes in
  std::uint32_t port_bytes_per_cycle = 128;
  /// Vector contexts (HVX register files): at most this many threads have vector work in
  /// flight; a thread takes one with its first vector instruction and keeps it to its end.
  std::uint32_t contexts = 1;

  std::uint32_t lanes(DType t) const { return width_bytes / static_cast<std::uint32_t>(dtype_bytes(t)); }
  const VectorOpTiming& op(VectorOpClass c) const { return ops[static_cast<int>(c)]; }
  bool supports(DType t) const { return dtypes[static_cast<int>(t)]; }
};

struct ScratchpadConfig {
  std::uint64_t size_bytes = 1 << 20;
  std::uint32_t banks = 16;
  std::uint32_t bank_width_bytes = 16;
  std::uint32_t ports_per_bank = 1;  ///< accesses each bank serves per cycle

  std::uint64_t peak_bytes_per_cycle() const {
    return std::uint64_t{banks} * bank_width_bytes * ports_per_bank;
  }
};

struct DmaConfig {
  std::uint32_t queues = 2;         ///< independent in-order DMA engines (units dma0, dma1, ...)
  std::uint32_t setup_cycles = 0;   ///< descriptor processing before the first request
  double bytes_per_cycle = 64;      ///< most one engine can move per cycle
};

struct DramConfig {
  double bytes_per_cycle = 64;     ///< shared by every DMA engine of every core
  std::uint32_t latency_cycles = 100;  ///< from request to first data
  std::uint32_t burst_bytes = 64;  ///< transfer granule: partial bursts still cost a whole burst
};

/// Cost of moving data between the matrix unit's tile layout and the vector unit's layout.
struct HandoffDirection {
  std::uint32_t fixed_cycles = 0;  ///< per instruction that needs a hand-off
  double bytes_per_cycle = 0;      ///< conversion rate; 0 means no per-byte cost
};
/// Who pays for a layout change: `consumer`, the consuming unit waits fixed_cycles plus the bytes
/// at the direction's bandwidth (an exchange through memory, as on Ascend); `vector`, the vector
/// unit converts, as an explicit vec.layout instruction inserted before the consumer and costed
/// by vector.ops.layout (HVX packing HMX tiles, as on Hexagon).
enum class HandoffVia : std::uint8_t { consumer, vector };
std::string_view handoff_via_name(HandoffVia v);

struct HandoffConfig {
  HandoffVia via = HandoffVia::consumer;
  HandoffDirection matrix_to_vector;  ///< via consumer only
  HandoffDirection vector_to_matrix;  ///< via consumer only
  /// Via vector: cycles from a conversion's end until the other unit may use the data (the
  /// hand-shake between the thread that converted and the one that consumes); added to the
  /// latency of vec.layout.
  std::uint32_t sync_cycles = 0;
};

struct CoreConfig {
  SequencerConfig sequencer;
  MatrixConfig matrix;
  VectorConfig vector;
  ScratchpadConfig scratchpad;
  DmaConfig dma;
  HandoffConfig handoff;
};

struct NpuConfig {
  std::string name = "npu";
  std::string description;
  double clock_hz = 1e9;
  std::uint32_t cores = 1;
  CoreConfig core;  ///< every core is identical
  DramConfig dram;
};

/// A cross-field problem found by validate(): the key path it concerns and what is wrong.
struct ConfigProblem {
  std::string path;
  std::string message;
};

/// Checks relations between fields (ranges of single fields are checked when they are read).
/// Returns every problem found, in a fixed order.
std::vector<ConfigProblem> validate(const NpuConfig& cfg);

/// Peak multiply-accumulates per cycle of the matrix unit for operand dtype `t` (0 if unsupported).
double peak_macs_per_cycle(const MatrixConfig& m, DType t);

}  // namespace npusim::npu
