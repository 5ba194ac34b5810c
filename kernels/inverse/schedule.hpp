#pragma once
/// A list scheduler for straight-line instruction sequences that can run side by side (the
/// phases of different chunk groups). The sequencer issues in program order and blocks on a full
/// unit queue, so two long sequences emitted one after the other serialise; merged by estimated
/// start time, they keep every unit fed, as a compiler would schedule them.
#include <vector>

#include "npu/config.hpp"
#include "npu/isa/program.hpp"

namespace npusim::kernels {

/// Interleaves independent sequences: each instruction's estimated start is the time its unit
/// has spent on the earlier instructions of its own sequence (busy cycles of npu::unloaded_cost,
/// estimated before buffers have addresses, so without hand-offs); the earliest goes first (ties:
/// the earlier sequence). Order within each sequence is kept.
std::vector<npu::Instruction> merge_by_estimated_start(const npu::Program& p, const npu::NpuConfig& hw,
                                                       const std::vector<std::vector<npu::Instruction>>& sequences);

}  // namespace npusim::kernels
