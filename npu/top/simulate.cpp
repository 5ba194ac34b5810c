#include "npu/top/simulate.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <thread>
#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/isa/asm.hpp"
#include "npu/top/top.hpp"

namespace npusim::npu {
namespace {

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

/// Describes why a thread of a core did not finish, naming the instruction and its line (empty
/// when it did).
std::string stuck_thread(const Program& p, Top& top, std::uint32_t c, const ThreadState& t) {
  const std::string who = top.states()[c]->threads.size() > 1 ? fmt::format("core {} thread {}", c, t.index)
                                                               : fmt::format("core {}", c);
  const Sequencer& seq = top.core(c).sequencer(t.index);
  if (!seq.finished() && seq.current() != kNoInstruction) {
    const Instruction& in = t.instruction(seq.current());
    std::string why = "it can never continue";
    if (in.op == Opcode::wait) {
      why = fmt::format("flag '{}' is never signalled again (every core that could signal it is blocked too)",
                        p.flags[p.dst(in).id]);
    }
    return fmt::format("{}: the sequencer is blocked at {}:{} ({}): {}", who, p.source, in.line,
                       format_instruction(p, in), why);
  }
  for (std::uint32_t i = 0; i < t.size(); ++i) {
    if (t.done(i) == kUnknownCycle) {
      const Instruction& in = t.instruction(static_cast<std::uint32_t>(i));
      return fmt::format("{}: {}:{} ({}) never completed", who, p.source, in.line, format_instruction(p, in));
    }
  }
  return "";
}

/// Removes a timestamp that ends a VCD file with no values after it.
void drop_bare_timestamp(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  if (!f) return;
  char tail[32] = {};
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  const long n = std::min<long>(size, sizeof(tail));
  std::fseek(f, size - n, SEEK_SET);
  const std::size_t got = std::fread(tail, 1, static_cast<std::size_t>(n), f);
  std::fclose(f);
  const std::string t(tail, got);
  const auto hash = t.rfind("\n#");
  if (hash == std::string::npos || t.back() != '\n' ||
      t.find_first_not_of("0123456789", hash + 2) != t.size() - 1) {
    return;
  }
  std::filesystem::resize_file(path, static_cast<std::uintmax_t>(size - n) + hash + 1);
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
  SharedRun shared;
  shared.report = options.progress;
  shared.total = std::max<std::uint64_t>(1, program.instruction_count());
  {
    Top top("npu", hw, program, options.numerics, dram, shared, vcd);
    try {
      // Runs until nothing is left to do; time jumps from event to event, however far apart.
      sc_core::sc_start();
      if (shared.failure) std::rethrow_exception(shared.failure);
      if (options.progress) options.progress(1.0);
      if (vcd) {
        // SystemC writes a cycle's values once time moves past it: one more cycle writes the last
        // changes (and a bare timestamp, dropped below). Close while the signals still exist.
        sc_core::sc_start(cycles_to_time(1), sc_core::SC_RUN_TO_TIME);
        sc_core::sc_close_vcd_trace_file(vcd);
        close_vcd.f = vcd = nullptr;
        drop_bare_timestamp(options.vcd_path);
      }
    } catch (const sc_core::sc_report& r) {
      throw InternalError(fmt::format("SystemC reported: {}", r.what()));
    }
    std::vector<std::string> stuck;
    for (std::uint32_t c = 0; c < hw.cores; ++c) {
      if (top.core(c).finished()) continue;
      for (const ThreadState& t : top.states()[c]->threads) {
        const std::string why = stuck_thread(program, top, c, t);
        if (!why.empty()) stuck.push_back(why);
      }
      if (stuck.empty()) stuck.push_back(fmt::format("core {} did not finish", c));
    }
    if (!stuck.empty()) {
      deadlock = "deadlock: the program cannot finish";
      for (const auto& s : stuck) deadlock += "\n  " + s;
      return result;
    }
    for (std::uint32_t c = 0; c < hw.cores; ++c) {
      CoreState& s = *top.states()[c];
      CoreResult cr;
      for (ThreadState& t : s.threads) {
        t.drop_completed_producers();
        release_unused_capacity(t.dep_pool);  // reserved for two producers per instruction
        t.sort();
        ThreadResult tr;
        tr.end = top.core(c).sequencer(t.index).finish_cycle();
        tr.end = std::max(tr.end, t.last_completion());
        static_cast<Timeline&>(tr) = std::move(static_cast<Timeline&>(t));
        cr.end = std::max(cr.end, tr.end);
        result.instructions += tr.size();
        cr.threads.push_back(std::move(tr));
      }
      cr.units = std::move(s.counters);
      cr.numerics = s.numerics_counters;
      result.cycles = std::max(result.cycles, cr.end);
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
