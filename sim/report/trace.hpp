#pragma once
/// Timelines of a run in the Chrome trace-event format (JSON), which ui.perfetto.dev and
/// chrome://tracing load: one process per core, one track per unit (sequencer, matrix, vector,
/// each DMA queue), one slice per instruction with its source line and operands, flow arrows
/// from the producer an instruction waited for, and counter tracks for the scratchpad occupancy
/// (bytes of buffers holding live data), DRAM bandwidth and each unit's queue depth.
/// Format: https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU
#include <memory>
#include <string>

#include "npu/isa/program.hpp"
#include "npu/top/simulate.hpp"

namespace npusim::sim {

struct TraceOptions {
  Cycle until = kUnknownCycle;  ///< only instructions that start before this cycle
};

/// Writes the trace; InputError if the file cannot be written. Returns the events written.
std::uint64_t write_trace(const std::string& path, const npu::NpuConfig& hw, const npu::Program& p,
                          const npu::RunResult& r, const TraceOptions& options = {});

/// Several runs one after another in one trace (the stages of a layer): each run's cores are
/// processes named after the run, and its time starts where the previous run ended.
class TraceSequence {
 public:
  /// Opens the file; InputError if it cannot be written.
  TraceSequence(const std::string& path, double clock_hz);
  ~TraceSequence();
  TraceSequence(const TraceSequence&) = delete;
  TraceSequence& operator=(const TraceSequence&) = delete;

  void add(const std::string& label, const npu::NpuConfig& hw, const npu::Program& p, const npu::RunResult& r);
  /// Closes the file; returns the events written.
  std::uint64_t finish(const std::string& what);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// The cycle by which the first `chunks` stores to DRAM tensor `tensor` have completed (for
/// tracing only the first chunks of a kernel run); the end of the run if there are fewer.
Cycle cycle_after_chunks(const npu::Program& p, const npu::RunResult& r, const std::string& tensor,
                         std::uint32_t chunks);

}  // namespace npusim::sim
