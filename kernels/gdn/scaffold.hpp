#pragma once
/// What every per-chunk stage of the GDN layer shares (kernels/gdn/stages.cpp): work cut into
/// units, each unit a few items computed together (value heads of one chunk, or one block of
/// rows), buffers per unit in two sets so that the next unit's loads overlap this unit's compute
/// and the previous unit's stores, units spread over the cores, and the items of a unit
/// interleaved instruction by instruction (merge_by_estimated_start) to hide unit latencies.
/// The sequencer issues in program order, so the order of emission is the schedule:
///   constants; prepare; loads(u0); for each unit u_i:
///     loads(u_{i+1}); shared(u_i); items of u_i, interleaved; stores(u_i)
/// Buffers that live across units (a head's recurrent state) are declared once per lane.
/// build() tries the most items per unit first and falls back to fewer, then to one set, until
/// the buffers fit the scratchpad.
#include <memory>
#include <string>
#include <vector>

#include "npu/config.hpp"
#include "npu/isa/builder.hpp"

namespace npusim::kernels {

/// One unit of work in flight: which unit, which buffer set, and its items (lane i computes
/// item items[i]).
struct UnitRef {
  std::uint32_t unit = 0;
  std::size_t set = 0;
  std::vector<std::uint32_t> items;
};

class StageScaffold {
 public:
  StageScaffold(const npu::NpuConfig& hw, std::string name, std::uint32_t max_lanes);
  virtual ~StageScaffold() = default;

  /// Builds the program, with fewer items per unit until the buffers fit.
  npu::Program build();
  /// Items per unit after fitting (valid after build()).
  std::uint32_t lanes() const { return m_lanes; }

 protected:
  /// Declares the buffers of buffer set `set` for `lanes` items per unit (names must carry the
  /// set: use buffer()).
  virtual void declare_set(std::size_t set, std::uint32_t lanes) = 0;
  /// Declares buffers that live across units (default: none).
  virtual void declare_persistent(std::uint32_t lanes);
  /// The units each core computes, in order, each with its items. `lanes` is the most items a
  /// unit may have.
  virtual std::vector<std::vector<std::vector<std::uint32_t>>> plan(std::uint32_t lanes, std::uint32_t cores) = 0;
  /// One-off work on each core after the constants are loaded (building a constant on chip).
  virtual void prepare();
  virtual void loads(const UnitRef& u) = 0;
  /// Work shared by the unit's items, before them (default: none).
  virtual void shared(const UnitRef& u);
  /// The work of lane `lane` (item u.items[lane]); captured and interleaved with the other lanes.
  virtual void item(const UnitRef& u, std::uint32_t lane) = 0;
  virtual void stores(const UnitRef& u) = 0;

  /// A constant (or parameter) in DRAM tensor `name`, loaded into buffer `name`_sp once per core.
  npu::BufferRef constant(const std::string& name, npu::DType dtype, std::uint32_t rows, std::uint32_t cols,
                          const npu::TensorInit& init);
  /// A buffer named `name` plus the suffix of the set being declared.
  npu::BufferRef buffer(const std::string& name, npu::DType dtype, std::uint32_t rows, std::uint32_t cols);
  /// Another view of `of` (same suffix rule).
  npu::BufferRef alias(const std::string& name, npu::DType dtype, std::uint32_t rows, std::uint32_t cols,
                       const npu::BufferRef& of);

  npu::ProgramBuilder& b() { return *m_b; }
  std::uint8_t load_queue() const { return 0; }
  std::uint8_t store_queue() const { return static_cast<std::uint8_t>(m_hw.core.dma.queues > 1 ? 1 : 0); }

  const npu::NpuConfig& m_hw;

 private:
  void attempt(std::uint32_t lanes, std::uint32_t sets);
  std::string m_name;
  std::uint32_t m_max_lanes;
  std::uint32_t m_lanes = 0;
  std::string m_suffix;
  std::unique_ptr<npu::ProgramBuilder> m_b;
  std::vector<std::pair<npu::BufferRef, npu::TensorRef>> m_constants;
};

}  // namespace npusim::kernels
