#include "sim/run/resources.hpp"

#include <fmt/format.h>
#include <limits>
#include <unistd.h>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"
#include "npu/core/instruction_cost.hpp"
#include "npu/dma/dma_timing.hpp"
#include "npu/isa/asm.hpp"
#include "npu/isa/check.hpp"

namespace npusim::sim {

std::uint64_t default_max_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return std::uint64_t{4} << 30;  // unknown: assume a small machine
  return sat_mul(static_cast<std::uint64_t>(pages), static_cast<std::uint64_t>(page)) / 2;
}

void MemoryEstimate::add(const std::string& what, std::uint64_t bytes) {
  if (!bytes) return;
  for (auto& [name, sum] : parts) {
    if (name == what) {
      sum = sat_add(sum, bytes);
      return;
    }
  }
  parts.emplace_back(what, bytes);
}

void MemoryEstimate::add(const MemoryEstimate& other) {
  for (const auto& [what, bytes] : other.parts) add(what, bytes);
}

std::uint64_t MemoryEstimate::total() const {
  std::uint64_t t = 0;
  for (const auto& [what, bytes] : parts) t = sat_add(t, bytes);
  return t;
}

std::string MemoryEstimate::describe() const {
  std::string list;
  for (const auto& [what, bytes] : parts) list += fmt::format("{}{} {}", list.empty() ? "" : ", ", what, human_bytes(double(bytes)));
  return fmt::format("about {} of memory ({})", human_bytes(double(total())), list);
}

MemoryEstimate estimate_program(const npu::NpuConfig& hw, const npu::Program& p, bool numerics) {
  MemoryEstimate e;
  e.add("program and timeline", sat_mul(p.instruction_count(), kHostBytesPerInstruction));
  if (numerics) {
    e.add("DRAM image", npu::dram_footprint(p));
    e.add("scratchpads", sat_mul(hw.cores, hw.core.scratchpad.size_bytes));
  }
  return e;
}

void check_run_length(const npu::NpuConfig& hw, const npu::Program& p) {
  Cycle total = 0, longest = 0;
  const npu::Instruction* longest_at = nullptr;
  for (const npu::Stream& s : p.streams) {
    for (const npu::Instruction& in : s.code) {
      Cycle own = 0;
      try {
        own = npu::worst_case_cycles(in, npu::unloaded_cost(p, in, hw), hw);
      } catch (const InputError& e) {
        throw InputError(fmt::format("{}:{}: {}: {}", p.source, in.line, npu::format_instruction(p, in), e.what()));
      }
      total = sat_add(total, own);
      if (own > longest || !longest_at) {
        longest = own;
        longest_at = &in;
      }
    }
  }
  if (total > kMaxCycles) {
    throw InputError(fmt::format("{}: the program could run for up to {} cycles on {}, more than the {} npusim can "
                                 "represent; the longest instruction, line {} ({}), can take {} cycles",
                                 p.source, total == UINT64_MAX ? std::string("2^64") : grouped(total), hw.name,
                                 grouped(kMaxCycles), longest_at->line, npu::format_instruction(p, *longest_at),
                                 grouped(longest)));
  }
}

void check_memory(const MemoryEstimate& e, std::uint64_t limit, const std::string& what, const std::string& how) {
  const std::uint64_t max = limit ? limit : default_max_memory();
  if (e.total() <= max) return;
  throw InputError(fmt::format("{} needs {}, more than the limit of {} ({}); {}, or raise --max-memory",
                               what, e.describe(), human_bytes(double(max)),
                               limit ? "--max-memory" : "--max-memory, by default half of the RAM", how));
}

}  // namespace npusim::sim
