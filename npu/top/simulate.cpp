#include "npu/top/simulate.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>
#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/isa/asm.hpp"
#include "npu/top/top.hpp"

namespace npusim::npu {
namespace {

constexpr Cycle kProgressSliceCycles = 1 << 22;

// libsystemc's main() prints a banner on stderr before sc_main unless this is set; static
// initialisation runs earlier, and every program that simulates links this file.
const bool kQuietSystemC = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;

/// Gives one run its own SystemC kernel state, so that a process can elaborate and run models
/// again and again (tests, sweeps, comparisons), as DRAMSys' test fixture does.
class FreshSimContext {
 public:
  FreshSimContext() {
    m_context = new sc_core::sc_simcontext;
    sc_core::sc_curr_simcontext = m_context;
    sc_core::sc_default_global_context = m_context;
    using sc_core::sc_report_handler;
    sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_THROW);
    sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_THROW);
    sc_report_handler::set_actions(sc_core::SC_FATAL, sc_core::SC_THROW);
  }
  ~FreshSimContext() {
    delete m_context;
    sc_core::sc_curr_simcontext = nullptr;
    sc_core::sc_default_global_context = nullptr;
  }
  FreshSimContext(const FreshSimContext&) = delete;
  FreshSimContext& operator=(const FreshSimContext&) = delete;

 private:
  sc_core::sc_simcontext* m_context;
};

/// Describes why a core did not finish, naming the instruction and its line.
std::string stuck_core(const Program& p, const Top& top, std::uint32_t c, const CoreState& s) {
  const Sequencer& seq = top.core(c).sequencer();
  if (!seq.finished() && seq.current() != kNoInstruction) {
    const Instruction& in = s.instruction(seq.current());
    std::string why = "it can never continue";
    if (in.op == Opcode::wait) {
      why = fmt::format("flag '{}' is never signalled again (every core that could signal it is blocked too)",
                        p.flags[in.operands[0].id]);
    }
    return fmt::format("core {}: the sequencer is blocked at {}:{} ({}): {}", c, p.source, in.line,
                       format_instruction(p, in), why);
  }
  for (std::size_t i = 0; i < s.records.size(); ++i) {
    if (s.records[i].done == kUnknownCycle) {
      const Instruction& in = s.instruction(static_cast<std::uint32_t>(i));
      return fmt::format("core {}: {}:{} ({}) never completed", c, p.source, in.line, format_instruction(p, in));
    }
  }
  return fmt::format("core {} did not finish", c);
}

RunResult simulate_fresh(const NpuConfig& hw, const Program& program, const SimOptions& options,
                         std::vector<std::uint8_t>* dram, std::string& deadlock) {
  const auto wall_start = std::chrono::steady_clock::now();
  FreshSimContext context;
  RunResult result;
  sc_core::sc_trace_file* vcd = nullptr;
  if (!options.vcd_path.empty()) {
    // SystemC does not report a file it cannot open (and then fails badly): check first.
    if (std::FILE* probe = std::fopen(options.vcd_path.c_str(), "w")) {
      std::fclose(probe);
    } else {
      throw InputError(fmt::format("{}: cannot write the VCD file", options.vcd_path));
    }
    std::string base = options.vcd_path;  // SystemC appends ".vcd"
    if (base.size() > 4 && base.compare(base.size() - 4, 4, ".vcd") == 0) base.resize(base.size() - 4);
    vcd = sc_core::sc_create_vcd_trace_file(base.c_str());
    vcd->set_time_unit(1, sc_core::SC_NS);  // one cycle
  }
  struct CloseVcd {
    sc_core::sc_trace_file* f;
    ~CloseVcd() {
      if (f) sc_core::sc_close_vcd_trace_file(f);
    }
  } close_vcd{vcd};
  {
    Top top("npu", hw, program, options.numerics, dram, vcd);
    try {
      // Run in slices so that long runs can report progress; stop when nothing is left to do.
      const std::uint64_t total = std::max<std::uint64_t>(1, program.instruction_count());
      do {
        sc_core::sc_start(cycles_to_time(kProgressSliceCycles), sc_core::SC_EXIT_ON_STARVATION);
        if (options.progress) {
          std::uint64_t issued = 0;
          for (std::uint32_t c = 0; c < hw.cores; ++c) {
            const Sequencer& s = top.core(c).sequencer();
            issued += s.finished() ? top.states()[c]->records.size() : s.current();
          }
          options.progress(double(issued) / double(total));
        }
      } while (sc_core::sc_pending_activity());
      if (vcd) {  // close while the traced signals still exist
        sc_core::sc_close_vcd_trace_file(vcd);
        close_vcd.f = vcd = nullptr;
      }
    } catch (const sc_core::sc_report& r) {
      throw InternalError(fmt::format("SystemC reported: {}", r.what()));
    }
    std::vector<std::string> stuck;
    for (std::uint32_t c = 0; c < hw.cores; ++c) {
      CoreState& s = *top.states()[c];
      bool done = top.core(c).sequencer().finished();
      for (const auto& r : s.records) done = done && r.done != kUnknownCycle;
      if (!done) stuck.push_back(stuck_core(program, top, c, s));
    }
    if (!stuck.empty()) {
      deadlock = "deadlock: the program cannot finish";
      for (const auto& s : stuck) deadlock += "\n  " + s;
      return result;
    }
    for (std::uint32_t c = 0; c < hw.cores; ++c) {
      CoreState& s = *top.states()[c];
      CoreResult cr;
      cr.end = top.core(c).sequencer().finish_cycle();
      for (const auto& r : s.records) cr.end = std::max(cr.end, r.done);
      cr.units = std::move(s.counters);
      cr.records = std::move(s.records);
      cr.dep_pool = std::move(s.dep_pool);
      cr.numerics = s.numerics_counters;
      result.cycles = std::max(result.cycles, cr.end);
      result.instructions += cr.records.size();
      result.cores.push_back(std::move(cr));
    }
    result.dram_active_cycles = top.dram().active_cycles();
  }
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

}  // namespace

RunResult simulate(const NpuConfig& hw, const Program& program, const SimOptions& options,
                   std::vector<std::uint8_t>* dram) {
  // SystemC switches stacks between its processes (QuickThreads) behind the back of tools that
  // follow the stack, AddressSanitizer among them. Each run therefore gets a thread of its own,
  // and errors cross back to the caller's stack as values, not as exceptions thrown on a stack
  // that was switched.
  RunResult result;
  std::string deadlock;
  std::exception_ptr error;
  std::thread runner([&] {
    try {
      result = simulate_fresh(hw, program, options, dram, deadlock);
    } catch (...) {
      error = std::current_exception();
    }
  });
  runner.join();
  if (error) std::rethrow_exception(error);
  if (!deadlock.empty()) throw SimError(deadlock);
  return result;
}

}  // namespace npusim::npu
