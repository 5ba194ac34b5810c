// Hardware threads: several instruction streams per core sharing its units (closed-form cycles
// on the test NPU), the matrix unit's lock, vector contexts, flags between threads, and the
// checks that keep the lock discipline.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "npu/common/error.hpp"
#include "sim/report/analysis.hpp"

using namespace npusim;
using test::run_asm;
using test::test_hw;

namespace {

// Test NPU figures (helpers.hpp): issue 1 cycle; a vec.add on [1, 32] fp16 is busy
// startup 2 + max(1 vector, 2 read beats, 1 write beat) = 4 cycles, result 3 cycles later; a
// 16x16x16 fp16 matmul is busy startup 3 + max(1 tile, 4 read beats, 2 write beats) = 7 cycles,
// result 5 cycles later.
constexpr Cycle kAddBusy = 4, kAddLatency = 3, kMatBusy = 7, kMatLatency = 5;

npu::InstrRecord rec(const test::Run& r, std::size_t thread, std::size_t i) { return r.record(i, 0, thread); }

}  // namespace

TEST_CASE("threads: dependent chains of two threads interleave on the shared vector unit", "[threads][timing]") {
  const auto r = run_asm(R"(
.buffer a fp16 [1, 32]
.buffer b fp16 [1, 32]
vec.add a, a, a
vec.add a, a, a
vec.add a, a, a
.core 0 thread=1
vec.add b, b, b
vec.add b, b, b
vec.add b, b, b
)",
                         test_hw({"sequencer.threads=2"}), false);
  // Both threads issue their first add at cycle 1; the vector unit takes the head that can
  // start first (ties: the earlier dispatch, then the lower thread), so the chains fill each
  // other's latency: t0 [1, 5) t1 [5, 9) t0 [9, 13) t1 [13, 17) t0 [17, 21) t1 [21, 25).
  const Cycle t0[] = {1, 9, 17}, t1[] = {5, 13, 21};
  for (int i = 0; i < 3; ++i) {
    CHECK(rec(r, 0, i).start == t0[i]);
    CHECK(rec(r, 1, i).start == t1[i]);
    CHECK(rec(r, 1, i).done == t1[i] + kAddBusy + kAddLatency);
  }
  CHECK(r.result.cycles == 21 + kAddBusy + kAddLatency);
  // One thread alone waits out every latency: 3 x (busy + latency) from cycle 1.
  const auto one = run_asm(".buffer a fp16 [1, 32]\nvec.add a, a, a\nvec.add a, a, a\nvec.add a, a, a\n",
                           test_hw({"sequencer.threads=2"}), false);
  CHECK(one.result.cycles == 1 + 3 * (kAddBusy + kAddLatency));
  // The other thread's instruction ran between t1's first and second add on the same unit.
  const npu::UnitPrev* prev = r.result.cores[0].threads[1].unit_prev(1);
  REQUIRE(prev);
  CHECK(prev->thread == 0);
  CHECK(prev->prev == 1);
}

TEST_CASE("threads: the matrix unit's lock serialises the threads' matmuls", "[threads][timing]") {
  const auto r = run_asm(R"(
.buffer a fp16 [16, 16]
.buffer c fp16 [16, 16]
.buffer d fp16 [16, 16]
matrix.acquire
matmul c, a, a
matrix.release
.core 0 thread=1
matrix.acquire
matmul d, a, a
matrix.release
)",
                         test_hw({"sequencer.threads=2", "matrix.lock_cycles=10"}), false);
  // t0 takes the lock at 1 (+10), its matmul issues at 12, completes at 12 + 7 + 5 = 24, and
  // matrix.release (issued at 13) frees the unit at 24. t1 asked at 1 and gets it at 24 + 10.
  CHECK(rec(r, 0, 0).done == 11);
  CHECK(rec(r, 0, 1).start == 12);
  CHECK(rec(r, 0, 2).done == 12 + kMatBusy + kMatLatency);
  CHECK(rec(r, 1, 0).done == 24 + 10);
  CHECK(rec(r, 1, 1).start == 35);
  CHECK(r.result.cycles == 35 + kMatBusy + kMatLatency);
  // Sequencer stalls: t0 10 (lock) + 11 (release drains), t1 33 + 11.
  CHECK(r.unit(npu::kSequencerUnit).stall(npu::Stall::matrix_lock) == 10 + 11 + 33 + 11);
  // The critical path runs through t0's matmul into t1's via the lock.
  const auto path = sim::critical_path(test_hw({"sequencer.threads=2", "matrix.lock_cycles=10"}), r.program, r.result);
  CHECK(path.cycles == r.result.cycles);
  CHECK(path.edges.at("lock") == 1);
  CHECK(path.by_cause.at("matrix_lock") == 20);
  CHECK(path.by_unit.at("matrix") == 2 * (kMatBusy + kMatLatency));
}

TEST_CASE("threads: a thread waits for a vector context until a holder's stream ends", "[threads][timing]") {
  const auto r = run_asm(R"(
.buffer a fp16 [1, 32]
.buffer b fp16 [1, 32]
vec.add a, a, a
vec.add a, a, a
.core 0 thread=1
vec.add b, b, b
)",
                         test_hw({"sequencer.threads=2", "vector.contexts=1"}), false);
  // t0 holds the only context until its last add completes: 1 + 2 x (4 + 3) = 15.
  CHECK(rec(r, 0, 1).done == 15);
  CHECK(rec(r, 1, 0).dispatch == 15);
  CHECK(r.unit(npu::kSequencerUnit).stall(npu::Stall::vector_context) == 15 - 1);
  // With a context each, t1's add runs in t0's latency gap.
  const auto two = run_asm(".buffer a fp16 [1, 32]\n.buffer b fp16 [1, 32]\nvec.add a, a, a\nvec.add a, a, a\n"
                           ".core 0 thread=1\nvec.add b, b, b\n",
                           test_hw({"sequencer.threads=2"}), false);
  CHECK(rec(two, 1, 0).start == 5);
}

TEST_CASE("threads: a wait completes when another thread's signal was raised", "[threads][timing]") {
  const auto r = run_asm(R"(
.buffer a fp16 [1, 32]
.buffer b fp16 [1, 32]
vec.add a, a, a
signal ready
.core 0 thread=1
wait ready
vec.add b, a, a
)",
                         test_hw({"sequencer.threads=2"}), false);
  // t0's add completes at 1 + 4 + 3 = 8; signal (issued at 2) drains it and raises the flag at
  // 8; t1's wait (issued at 1) completes then, and its add issues a cycle later.
  CHECK(rec(r, 0, 1).done == 8);
  CHECK(rec(r, 1, 0).done == 8);
  CHECK(rec(r, 1, 1).start == 9);
}

TEST_CASE("threads: one thread per core reproduces the single-stream model", "[threads][timing]") {
  const std::string program = ".buffer a fp16 [1, 32]\nvec.add a, a, a\nvec.add a, a, a\n";
  const auto one = run_asm(program, test_hw(), false);
  const auto four = run_asm(program, test_hw({"sequencer.threads=4"}), false);
  CHECK(one.result.cycles == four.result.cycles);
  CHECK(four.result.cores[0].threads.size() == 4);
}

TEST_CASE("threads: matmuls must hold the matrix unit when two threads use it", "[threads][bad-input]") {
  const std::string buffers = ".buffer a fp16 [16, 16]\n";
  // One thread's matmuls need no lock, however many threads the core has.
  npu::Program one = npu::parse_program(buffers + "matmul a, a, a\n", "t.npuasm");
  CHECK_NOTHROW(npu::check_program(one, test_hw({"sequencer.threads=2"})));
  npu::Program p = npu::parse_program(buffers + "matmul a, a, a\n.core 0 thread=1\nmatrix.acquire\nmatmul a, a, a\n"
                                                "matrix.release\nmatmul a, a, a\n",
                                      "t.npuasm");
  try {
    npu::check_program(p, test_hw({"sequencer.threads=2"}));
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(e.messages() == std::vector<std::string>{
                              "t.npuasm:2: matmul: threads 0 and 1 of core 0 both use the matrix unit: put matmuls "
                              "between matrix.acquire and matrix.release",
                              "t.npuasm:7: matmul: threads 0 and 1 of core 0 both use the matrix unit: put matmuls "
                              "between matrix.acquire and matrix.release"});
  }
}

TEST_CASE("threads: streams print and parse back as .core N thread=T", "[threads][asm]") {
  const std::string text = ".buffer a fp16 [1, 32]\nvec.add a, a, a\n.core 0 thread=1\nvec.add a, a, a\n";
  const npu::Program p = npu::parse_program(text, "t.npuasm");
  REQUIRE(p.streams.size() == 2);
  CHECK(p.streams[1].thread == 1);
  CHECK(npu::print_program(p) == text);
}
