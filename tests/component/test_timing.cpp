// Boundary-cycle tests: each program completes exactly at the cycle its closed form gives, not
// one earlier or later. The test NPU (helpers.hpp) issues one instruction per cycle, so the
// first instruction is dispatched at cycle 1, the second at 2, ...
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "npu/core/instruction_cost.hpp"
#include "npu/matrix/matrix_timing.hpp"
#include "sim/report/analysis.hpp"

using namespace npusim;
using npusim::test::run_asm;
using npusim::test::test_hw;

namespace {
constexpr std::uint64_t kIssue = 1;           // sequencer.issue_cycles
constexpr std::uint64_t kMatStartup = 3;      // matrix.startup_cycles
constexpr std::uint64_t kMatLatency = 5;      // matrix.pipeline_latency
constexpr std::uint64_t kVecStartup = 2;      // vector.startup_cycles
constexpr std::uint64_t kVecLatency = 3;      // vector.ops.default.latency
constexpr std::uint64_t kDmaFixed = 10 + 100; // dma.setup_cycles + dram.latency (pipelined: after the transfer)
}  // namespace

TEST_CASE("cube GEMM, compute-bound: ceil(M/16) ceil(K/16) ceil(N/16) tiles", "[timing][matrix]") {
  const auto r = run_asm(R"(
.buffer a fp16 [128, 64]
.buffer b fp16 [64, 128]
.buffer c fp16 [128, 128]
matmul c, a, b
)",
                         test_hw(), false);
  const std::uint64_t tiles = 8 * 4 * 8;                        // 256 cycles at 1 tile/cycle
  const std::uint64_t reads = (128 * 64 * 2 + 64 * 128 * 2) / 256;  // 128 beats of 256 B
  const std::uint64_t writes = 128 * 128 * 2 / 256;             // 128 beats
  REQUIRE(tiles > reads);
  REQUIRE(tiles > writes);
  const std::uint64_t busy = kMatStartup + tiles;
  CHECK(r.unit(npu::kMatrixUnit).busy_cycles == busy);
  CHECK(r.done(0) == kIssue + busy + kMatLatency);
  CHECK(r.result.cycles == kIssue + busy + kMatLatency);
  CHECK(r.unit(npu::kMatrixUnit).macs == 128ull * 64 * 128);
}

TEST_CASE("cube GEMM, port-bound: operand reads through the 256 B/cycle port decide", "[timing][matrix]") {
  const auto r = run_asm(R"(
.buffer a fp16 [64, 32]
.buffer b fp16 [32, 48]
.buffer c fp16 [64, 48]
matmul c, a, b
)",
                         test_hw(), false);
  const std::uint64_t tiles = 4 * 2 * 3;                         // 24
  const std::uint64_t reads = 64 * 32 * 2 / 256 + 32 * 48 * 2 / 256;  // 16 + 12 = 28
  const std::uint64_t writes = 64 * 48 * 2 / 256;                // 24
  const std::uint64_t busy = kMatStartup + std::max({tiles, reads, writes});
  CHECK(busy == 31);
  CHECK(r.done(0) == kIssue + busy + kMatLatency);
}

TEST_CASE("cube rate: int8 runs at two tiles per cycle, fp32 at a quarter", "[timing][matrix]") {
  const auto int8 = run_asm(R"(
.buffer a int8 [128, 64]
.buffer b int8 [64, 128]
.buffer c int32 [128, 128]
matmul c, a, b
)",
                            test_hw(), false);
  // 256 tiles / 2 = 128 cycles; the 64 KiB int32 result needs 256 write beats, so writes bind.
  CHECK(int8.unit(npu::kMatrixUnit).busy_cycles == kMatStartup + 128 * 128 * 4 / 256);
  const auto fp32 = run_asm(R"(
.buffer a fp32 [32, 32]
.buffer b fp32 [32, 32]
.buffer c fp32 [32, 32]
matmul c, a, b
)",
                            test_hw(), false);
  CHECK(fp32.unit(npu::kMatrixUnit).busy_cycles == kMatStartup + 2 * 2 * 2 * 4);  // 8 tiles x 4
}

namespace {

// SCALE-Sim v2's compute cycles for an R x C array: folds x per-fold, where every fold takes
// R + C + T - 2 (OS) or 2R + C + T - 2 (WS, IS) whatever part of the array it uses. SCALE-Sim
// prints one less (the index of the last cycle).
std::uint64_t scalesim_fold(const std::string& dataflow, std::uint64_t rows, std::uint64_t cols, std::uint64_t t) {
  return (dataflow == "os" ? rows : 2 * rows) + cols + t - 2;
}

npusim::test::Run systolic_run(const std::string& dataflow, int arrays = 1) {
  // M = 20, K = 12, N = 10 on an 8 x 4 array.
  return run_asm(R"(
.buffer a fp16 [20, 12]
.buffer b fp16 [12, 10]
.buffer c fp16 [20, 10]
matmul c, a, b
)",
                 test_hw({}, npusim::test::systolic_matrix(8, 4, dataflow, arrays)), false);
}

Cycle systolic_compute(std::uint32_t rows, std::uint32_t cols, npu::Dataflow df, std::uint32_t m, std::uint32_t k,
                       std::uint32_t n) {
  npu::MatrixConfig mx;
  mx.model = npu::MatrixModel::systolic;
  mx.systolic = {rows, cols, df, 1};
  mx.rates[static_cast<int>(npu::DType::fp16)] = npu::Rate{1, 1};
  return npu::matmul_compute_cycles(mx, npu::MatmulShape{m, k, n, npu::DType::fp16});
}

}  // namespace

TEST_CASE("systolic GEMM reproduces SCALE-Sim v2's compute cycles for each dataflow", "[timing][matrix][systolic]") {
  SECTION("WS: S_R = K = 12 (2 row folds), S_C = N = 10 (3 column folds), T = M = 20") {
    const std::uint64_t expect = 2 * 3 * scalesim_fold("ws", 8, 4, 20);
    CHECK(expect == 228);
    CHECK(systolic_run("ws").done(0) == kIssue + kMatStartup + expect);
  }
  SECTION("OS: S_R = M = 20 (3 row folds), S_C = N = 10 (3 column folds), T = K = 12") {
    const std::uint64_t expect = 3 * 3 * scalesim_fold("os", 8, 4, 12);
    CHECK(expect == 198);
    CHECK(systolic_run("os").done(0) == kIssue + kMatStartup + expect);
  }
  SECTION("IS: S_R = K = 12 (2 row folds), S_C = M = 20 (5 column folds), T = N = 10") {
    const std::uint64_t expect = 2 * 5 * scalesim_fold("is", 8, 4, 10);
    CHECK(expect == 280);
    CHECK(systolic_run("is").done(0) == kIssue + kMatStartup + expect);
  }
  SECTION("two WS arrays take alternate folds: the one with ceil(6 / 2) = 3 folds decides") {
    CHECK(systolic_run("ws", 2).done(0) == kIssue + kMatStartup + 3 * scalesim_fold("ws", 8, 4, 20));
  }
  SECTION("SCALE-Sim's figures, plus one: full and partial folds, square and non-square arrays") {
    using npu::Dataflow;
    // 32x32 OS, 128^3: 16 folds of 32 + 32 + 128 - 2 = 190; SCALE-Sim reports 3039.
    CHECK(systolic_compute(32, 32, Dataflow::os, 128, 128, 128) == 3039 + 1);
    // 128x128 WS, 16^3: one partial fold still fills the whole array, 256 + 128 + 16 - 2; reported 397.
    CHECK(systolic_compute(128, 128, Dataflow::ws, 16, 16, 16) == 397 + 1);
    CHECK(systolic_compute(128, 128, Dataflow::is, 16, 16, 16) == 397 + 1);
    CHECK(systolic_compute(128, 128, Dataflow::os, 16, 16, 16) == 269 + 1);
    // 16 x 64 (rows x cols) WS, M = 100, K = 40, N = 70: ceil(40/16) x ceil(70/64) = 3 x 2 folds of
    // 32 + 64 + 100 - 2 = 194.
    CHECK(systolic_compute(16, 64, Dataflow::ws, 100, 40, 70) == 6 * 194);
    // The same on OS: S_R = M = 100 (7 folds of 16), S_C = N = 70 (2 of 64), T = K = 40.
    CHECK(systolic_compute(16, 64, Dataflow::os, 100, 40, 70) == 14 * (16 + 64 + 40 - 2));
    // IS: S_R = K = 40 (3), S_C = M = 100 (2), T = N = 70.
    CHECK(systolic_compute(16, 64, Dataflow::is, 100, 40, 70) == 6 * (32 + 64 + 70 - 2));
  }
}

TEST_CASE("vector op: dense operands pack into ceil(elements / lanes) vectors", "[timing][vector]") {
  const auto r = run_asm(R"(
.buffer x fp16 [8, 40]
.buffer y fp16 [8, 40]
.buffer z fp16 [8, 40]
vec.add z, x, y
)",
                         test_hw(), false);
  const std::uint64_t vectors = (8 * 40 + 31) / 32;   // 10 vectors of 32 fp16 lanes
  const std::uint64_t reads = 2 * (8 * 40 * 2 / 64);  // two sources, 10 beats each
  const std::uint64_t writes = 8 * 40 * 2 / 64;
  const std::uint64_t busy = kVecStartup + std::max({vectors, reads, writes});
  CHECK(busy == 22);
  CHECK(r.done(0) == kIssue + busy + kVecLatency);
  CHECK(r.unit(npu::kVectorUnit).vectors == vectors);
}

TEST_CASE("vector op: strided rows issue one by one and waste lanes", "[timing][vector]") {
  const auto r = run_asm(R"(
.buffer x fp16 [8, 40]
.buffer z fp16 [8, 20]
vec.add z, x[:, 0:20], x[:, 20:40]
)",
                         test_hw(), false);
  // 8 rows x ceil(20/32) = 8 vectors; each source is 8 gathered 40 B rows (one per 64 B beat).
  const std::uint64_t busy = kVecStartup + std::max<std::uint64_t>({8, 8 + 8, 8 * 20 * 2 / 64});
  CHECK(r.done(0) == kIssue + busy + kVecLatency);
  const auto& v = r.unit(npu::kVectorUnit);
  CHECK(v.elements == 160);
  CHECK(v.lane_slots == 8 * 32);
}

TEST_CASE("vector op: the op's interval and latency come from the table", "[timing][vector]") {
  const auto r = run_asm(R"(
.buffer x fp32 [4, 16]
.buffer y fp32 [4, 16]
vec.exp y, x
)",
                         test_hw(), false);
  const std::uint64_t busy = kVecStartup + 4 * 4;  // 4 vectors of 16 fp32 lanes, interval 4
  CHECK(r.done(0) == kIssue + busy + 10);          // exp latency 10
}

TEST_CASE("vector op: vec.log is timed by the exp row", "[timing][vector]") {
  const auto r = run_asm(R"(
.buffer x fp32 [4, 16]
.buffer y fp32 [4, 16]
vec.log y, x
)",
                         test_hw(), false);
  CHECK(r.done(0) == kIssue + kVecStartup + 4 * 4 + 10);  // as vec.exp: interval 4, latency 10
}

TEST_CASE("DMA descriptors pipeline: the DRAM latency overlaps the next transfer", "[timing][dma]") {
  const auto r = run_asm(R"(
.dram A fp32 [2, 1024]
.buffer a fp32 [2, 1024]
dma.load a[0], A[0]
dma.load a[1], A[1]
)",
                         test_hw(), false);
  // The queue is busy for setup + transfer; each load's data lands 100 cycles after its transfer.
  const std::uint64_t busy = 10 + 4096 / 32;
  CHECK(r.done(0) == 1 + busy + 100);
  CHECK(r.start(1) == 1 + busy);
  CHECK(r.done(1) == 1 + 2 * busy + 100);
  CHECK(r.unit(npu::kFirstDmaUnit).busy_cycles == 2 * busy);
}

TEST_CASE("DMA of N bytes: setup + DRAM latency + N / bandwidth", "[timing][dma]") {
  const auto r = run_asm(R"(
.dram A fp32 [1, 1024]
.buffer a fp32 [1, 1024]
dma.load a, A
)",
                         test_hw(), false);
  CHECK(r.done(0) == kIssue + kDmaFixed + 4096 / 32);  // the queue's 32 B/cycle binds (DRAM has 64)
  CHECK(r.unit(npu::kFirstDmaUnit).dram_read_bytes == 4096);
}

TEST_CASE("DMA of narrow strided rows pays whole bursts", "[timing][dma]") {
  const auto r = run_asm(R"(
.dram A fp16 [64, 64]
.buffer a fp16 [64, 8]
dma.load a, A[:, 0:8]
)",
                         test_hw(), false);
  // 64 rows of 16 B, each in its own 64 B burst: 4096 bus bytes for 1024 payload bytes.
  CHECK(r.unit(npu::kFirstDmaUnit).dram_read_bytes == 64 * 64);
  CHECK(r.unit(npu::kFirstDmaUnit).dram_read_payload_bytes == 64 * 16);
  CHECK(r.done(0) == kIssue + kDmaFixed + 64 * 64 / 32);
}

TEST_CASE("two DMA queues share DRAM bandwidth", "[timing][dma][dram]") {
  const auto r = run_asm(R"(
.dram A fp32 [1, 1024]
.dram B fp32 [1, 1024]
.buffer a fp32 [1, 1024]
.buffer b fp32 [1, 1024]
dma.load a, A
dma.load b, B q=1
)",
                         test_hw({"dram.bandwidth=48B/cycle"}), false);
  // After 10 setup cycles q0 transfers alone at its 32 B/cycle cap during cycle 11; from 12 both
  // get 48/2 = 24. q0 has 4064 B left: ceil(4064/24) = 170 cycles -> 182. q1 then has
  // 4096 - 170*24 = 16 B, alone at 32 B/cycle: one more cycle -> 183. Data lands 100 later.
  CHECK(r.done(0) == 182 + 100);
  CHECK(r.done(1) == 183 + 100);
  const std::uint64_t ideal = 4096 / 32;
  CHECK(r.unit(npu::kFirstDmaUnit).stall(npu::Stall::dram_bandwidth) == (182 - 11) - ideal);
  CHECK(r.unit(npu::kFirstDmaUnit + 1).stall(npu::Stall::dram_bandwidth) == (183 - 12) - ideal);
}

TEST_CASE("dependency chain: load -> vector -> store, each waits for its producer", "[timing][scoreboard]") {
  const auto r = run_asm(test::kLoadAddStore, test_hw());
  const std::uint64_t load_done = 1 + kDmaFixed + 64 / 32;            // 113
  const std::uint64_t add_done = load_done + (kVecStartup + 2) + kVecLatency;  // reads: 2 beats
  const std::uint64_t store_done = add_done + kDmaFixed + 64 / 32;
  CHECK(r.done(0) == load_done);
  CHECK(r.start(1) == load_done);
  CHECK(r.done(1) == add_done);
  CHECK(r.start(2) == add_done);
  CHECK(r.done(2) == store_done);
  CHECK(r.result.cycles == store_done);
  // The vector unit waited for dma0 from its dispatch (cycle 2) to the load's completion.
  CHECK(r.unit(npu::kVectorUnit).dependency_cycles[npu::kFirstDmaUnit] == load_done - 2);
  // dma0 is free once the load's transfer ends (its data lands 100 cycles later), then waits.
  CHECK(r.unit(npu::kFirstDmaUnit).dependency_cycles[npu::kVectorUnit] == add_done - (1 + 10 + 2));
  for (int i = 0; i < 32; ++i) CHECK(r.tensor("Y", i) == 2 * r.tensor("X", i));
}

TEST_CASE("write after read and write after write wait too", "[timing][scoreboard]") {
  // WAR: the load into x must not overwrite x before the add has read it.
  const auto war = run_asm(R"(
.dram X fp16 [1, 32]
.buffer x fp16 [1, 32]
.buffer y fp16 [8, 32]
vec.exp y, y
vec.add x, y[0], y[1]
dma.load x, X
)",
                           test_hw(), false);
  CHECK(war.start(2) == war.done(1));  // the load starts once the add (x's reader... and writer) is done
  // WAW on a 2-D strided region: a column slice written twice, by two units.
  const auto waw = run_asm(R"(
.dram Y fp16 [32, 32]
.buffer y fp16 [32, 32]
vec.fill y[:, 4], 1
dma.load y[:, 0:8], Y[:, 0:8]
dma.load y[:, 8:16], Y[:, 8:16] q=1
)",
                           test_hw(), false);
  CHECK(waw.start(1) == waw.done(0));  // overlaps column 4
  CHECK(waw.start(2) == 3);            // columns 8-15 never meet column 4: no wait
}

TEST_CASE("the scoreboard tests operands exactly: spaces apart, strided rows apart", "[timing][scoreboard]") {
  // X and x share address 0, one in DRAM, one in the scratchpad: no byte in common.
  const auto spaces = run_asm(R"(
.dram X fp16 [1, 32]
.buffer x fp16 [1, 32]
.buffer y fp16 [1, 32]
vec.exp x, y
dma.store X, y
)",
                              test_hw(), false);
  REQUIRE(spaces.program.tensors[0].address == spaces.program.buffers[0].address);
  CHECK(spaces.start(1) == 2);
  // Column slices of one buffer: their extents all meet, their bytes only where columns do.
  const auto strided = run_asm(R"(
.dram Y fp16 [32, 32]
.buffer y fp16 [32, 32]
.buffer z fp16 [32, 8]
vec.add z, y[:, 0:8], y[:, 16:24]
dma.load y[:, 8:16], Y[:, 8:16]
dma.load y[:, 20:28], Y[:, 20:28] q=1
vec.exp y[:, 24:32], y[:, 8:16]
)",
                               test_hw(), false);
  CHECK(strided.start(1) == 2);                   // columns 8-15: read by nobody yet, no wait
  CHECK(strided.start(2) == strided.done(0));     // columns 20-23: the add reads them first (WAR)
  CHECK(strided.start(3) == std::max(strided.done(1), strided.done(2)));  // RAW on 8-15, WAW on 24-27
  // An accumulating matmul reads and writes c: after the fill that writes it, before the exp
  // that reads it.
  const auto acc = run_asm(R"(
.buffer a fp16 [16, 16]
.buffer b fp16 [16, 16]
.buffer c fp32 [16, 16]
.buffer d fp32 [16, 16]
vec.fill c, 0
matmul c, a, b acc
vec.exp d, c
)",
                           test_hw(), false);
  CHECK(acc.start(1) == acc.done(0));
  CHECK(acc.start(2) == acc.done(1));
}

TEST_CASE("independent instructions overlap across units", "[timing][scoreboard]") {
  const auto r = run_asm(R"(
.dram X fp16 [1, 32]
.buffer x fp16 [1, 32]
.buffer p fp16 [1, 32]
.buffer q fp16 [1, 32]
dma.load x, X
vec.add q, p, p
)",
                         test_hw(), false);
  CHECK(r.start(1) == 2);  // no dependency on the load: starts at dispatch
  CHECK(r.unit(npu::kVectorUnit).dependency_cycles[npu::kFirstDmaUnit] == 0);
}

TEST_CASE("a full queue stalls issue", "[timing][sequencer]") {
  std::string text = ".buffer x fp16 [4, 64]\n.buffer y fp16 [4, 64]\n.buffer z fp16 [40, 64]\n";
  for (int i = 0; i < 10; ++i) text += "vec.add z[" + std::to_string(4 * i) + ":" + std::to_string(4 * i + 4) + "], x, y\n";
  const auto r = run_asm(text, test_hw(), false);  // queue_depth 4
  const std::uint64_t b = kVecStartup + 2 * (4 * 64 * 2 / 64);  // 18: two sources of 8 beats
  CHECK(r.unit(npu::kVectorUnit).busy_cycles == 10 * b);
  CHECK(r.result.cycles == 1 + 10 * b + kVecLatency);
  // Ops 5..9 wait for a slot: op k is dispatched when op k-4 starts at 1 + (k-4) b, while the
  // sequencer was ready one cycle after dispatching op k-1.
  CHECK(r.unit(npu::kSequencerUnit).stall(npu::Stall::queue_full) == (b - 5) + 4 * (b - 1));
  CHECK(r.dispatch(5) == 1 + b);  // op 1 started, freeing a slot
  CHECK(r.start(5) == 1 + 5 * b);
}

TEST_CASE("bank conflicts: rows one bank period apart serialise; padding removes it", "[timing][scratchpad]") {
  // 8 banks x 32 B: a 256 B row stride puts every row of a column slice into the same bank.
  const auto conflicted = run_asm(R"(
.buffer s fp16 [64, 128]
.buffer b fp16 [16, 16]
.buffer c fp32 [64, 16]
matmul c, s[:, 0:16], b
)",
                                  test_hw(), false);
  // A: 8 gathered 32 B rows per 256 B beat, all in bank 0: 8 cycles a beat, 8 beats. B: 2 beats.
  // C: 16 beats. Conflict-free the reads would take 8 + 2.
  const std::uint64_t busy = kMatStartup + std::max<std::uint64_t>({4, 8 * 8 + 2, 16});
  const std::uint64_t busy_free = kMatStartup + std::max<std::uint64_t>({4, 8 + 2, 16});
  CHECK(conflicted.done(0) == kIssue + busy + kMatLatency);
  CHECK(conflicted.unit(npu::kMatrixUnit).stall(npu::Stall::bank_conflict) == busy - busy_free);

  const auto padded = run_asm(R"(
.buffer s fp16 [64, 144]
.buffer b fp16 [16, 16]
.buffer c fp32 [64, 16]
matmul c, s[:, 0:16], b
)",
                              test_hw(), false);
  // A 288 B stride moves each row one bank on: 8 rows in 8 banks, one cycle a beat.
  CHECK(padded.done(0) == kIssue + busy_free + kMatLatency);
  CHECK(padded.unit(npu::kMatrixUnit).stall(npu::Stall::bank_conflict) == 0);
}

TEST_CASE("hand-offs: position-dependent vector ops pay to see matrix-layout data", "[timing][handoff]") {
  const auto hw = test_hw({"handoff.matrix_to_vector.fixed_cycles=20", "handoff.matrix_to_vector.bandwidth=32B/cycle",
                           "handoff.vector_to_matrix.fixed_cycles=7"});
  const auto r = run_asm(R"(
.buffer a fp32 [16, 16]
.buffer c fp32 [16, 16]
.buffer d fp32 [16, 16]
.buffer s fp32 [16, 1]
.buffer v fp32 [16, 16]
.buffer e fp32 [16, 16]
.buffer g fp32 [16, 16]
matmul c, a, a
vec.add d, c, c
vec.reduce_sum s, d
vec.identity v
vec.add e, d, v
matmul g, v, a
)",
                         hw, false);
  // 1: element-wise on matrix-layout data: no hand-off, d stays in the matrix layout.
  // 2: a reduction depends on positions: d (1 KiB) is handed off, 20 + 1024/32 cycles.
  // 4: mixes d (matrix layout) with v (vector layout): d is handed off again.
  // 5: the matrix unit reads v, written by the vector unit: fixed 7, unlimited bandwidth.
  const std::uint64_t handoff = 20 + 1024 / 32;
  const std::uint64_t reduce_busy = kVecStartup + 16;  // 16 vectors of 16 fp32 lanes; 16 read beats
  CHECK(r.done(2) - r.start(2) == reduce_busy + handoff + kVecLatency);
  CHECK(r.handoff_cycles(1) == 0);
  CHECK(r.handoff_cycles(4) == handoff);
  const auto& v = r.unit(npu::kVectorUnit);
  CHECK(v.handoffs == 2);
  CHECK(v.handoff_bytes == 2048);
  CHECK(v.handoff_cycles == 2 * handoff);
  const auto& m = r.unit(npu::kMatrixUnit);
  CHECK(m.handoffs == 1);
  CHECK(m.handoff_bytes == 1024);
  CHECK(m.handoff_cycles == 7);
}

TEST_CASE("hand-offs via the vector unit: explicit vec.layout work before the consumer", "[timing][handoff]") {
  const auto hw = test_hw({"handoff.via=vector", "vector.ops.layout={latency: 4, interval: 2}"});
  const auto r = run_asm(R"(
.buffer a fp32 [16, 16]
.buffer c fp32 [16, 16]
.buffer d fp32 [16, 16]
.buffer s fp32 [16, 1]
.buffer v fp32 [16, 16]
.buffer e fp32 [16, 16]
.buffer g fp32 [16, 16]
matmul c, a, a
vec.add d, c, c
vec.reduce_sum s, d
vec.identity v
vec.add e, d, v
matmul g, v, a
)",
                         hw, false);
  // The reduction needs d (matrix layout) in the vector layout: converted in place before it, so
  // the add that mixes d and v needs nothing; the last matmul needs v in the matrix layout.
  const std::string printed = npu::print_program(r.program);
  CHECK(printed.find("vec.add d, c, c\nvec.layout d to=vector\nvec.reduce_sum s, d\n") != std::string::npos);
  CHECK(printed.find("vec.add e, d, v\nvec.layout v to=matrix\nmatmul g, v, a\n") != std::string::npos);
  REQUIRE(r.program.streams[0].code.size() == 8);
  CHECK(r.program.streams[0].code[2].op == npu::Opcode::vec_layout);
  // 1 KiB of fp32 in 64 B vectors: 16 vectors at interval 2; the ports move 16 beats each way.
  const std::uint64_t layout_busy = kVecStartup + 16 * 2;
  const npu::InstrRecord layout = r.record(2);
  CHECK(layout.end - layout.start == layout_busy);
  CHECK(layout.done - layout.end == 4);
  CHECK(r.start(3) == std::max(layout.done, layout.end));  // the reduction waits for the conversion
  // Each conversion is counted as a hand-off into the layout it makes, at its whole cost (busy and
  // latency); the consumers pay nothing more, and the vector unit's busy time holds the work.
  for (std::uint32_t unit : {npu::kVectorUnit, npu::kMatrixUnit}) {
    CHECK(r.unit(unit).handoffs == 1);
    CHECK(r.unit(unit).handoff_bytes == 1024);
    CHECK(r.unit(unit).handoff_cycles == layout_busy + 4);
  }
  CHECK(r.handoff_cycles(2) == layout_busy);
  CHECK(r.unit(npu::kVectorUnit).instructions == 6);
}

TEST_CASE("handoff.sync_cycles delays the use of converted data, not the vector unit", "[timing][handoff]") {
  const std::string program = R"(
.buffer a fp32 [16, 16]
.buffer c fp32 [16, 16]
.buffer s fp32 [16, 1]
matmul c, a, a
vec.reduce_sum s, c
)";
  const auto plain = run_asm(program, test_hw({"handoff.via=vector"}), false);
  const auto synced = run_asm(program, test_hw({"handoff.via=vector", "handoff.sync_cycles=50"}), false);
  // matmul, vec.layout c to=vector, vec.reduce_sum: the conversion's result is usable 50 later.
  CHECK(synced.record(1).end == plain.record(1).end);
  CHECK(synced.record(1).done == plain.record(1).done + 50);
  CHECK(synced.start(2) == plain.start(2) + 50);
  // On the critical path the whole conversion, busy, latency and hand-shake, is the hand-off's.
  const auto hw = test_hw({"handoff.via=vector", "handoff.sync_cycles=50"});
  const auto path = sim::critical_path(hw, synced.program, synced.result);
  CHECK(path.cycles == synced.result.cycles);
  CHECK(path.by_cause.at("handoff") == synced.record(1).done - synced.record(1).start);
  CHECK(synced.unit(npu::kVectorUnit).handoff_cycles == synced.record(1).done - synced.record(1).start);
  CHECK_THROWS_WITH(test_hw({"handoff.sync_cycles=5"}),
                    Catch::Contains("handoff.sync_cycles: is only used with via: vector"));
}

TEST_CASE("handoff.via vector rejects the consumer-side costs", "[timing][handoff]") {
  CHECK_THROWS_WITH(test_hw({"handoff.via=vector", "handoff.vector_to_matrix.fixed_cycles=7"}),
                    Catch::Contains("handoff.vector_to_matrix: is only used with via: consumer"));
}

TEST_CASE("barrier waits for every earlier instruction", "[timing][sequencer]") {
  const auto r = run_asm(R"(
.dram X fp32 [1, 1024]
.buffer x fp32 [1, 1024]
.buffer p fp16 [1, 32]
dma.load x, X
barrier
vec.add p, p, p
)",
                         test_hw(), false);
  const std::uint64_t load_done = 1 + kDmaFixed + 4096 / 32;
  CHECK(r.done(1) == load_done);          // the barrier ends when the load completes
  CHECK(r.start(2) == load_done + 1);     // then the add is issued (1 cycle)
  CHECK(r.unit(npu::kSequencerUnit).stall(npu::Stall::barrier) == load_done - 2);
}

TEST_CASE("timing does not depend on numerics", "[timing]") {
  const std::string text = test::source_file("traces/programs/gemm.npuasm");
  const auto hw = sim::read_hw_config(std::string(NPUSIM_SOURCE_DIR) + "/configs/npu/hexagon-like.yaml");
  const auto with = run_asm(text, hw, true);
  const auto without = run_asm(text, hw, false);
  CHECK(with.result.cycles == without.result.cycles);
  for (std::size_t i = 0; i < with.result.cores[0].threads[0].size(); ++i) CHECK(with.done(i) == without.done(i));
}

TEST_CASE("an instruction may last any number of cycles: time jumps to its end", "[timing][long]") {
  // Longer than SystemC's 2^22-cycle slices used to be: 8 MiB at 1 B/cycle, on one core and on
  // two (which then share the DRAM through SystemC events and order through a flag).
  const std::uint64_t bytes = 2048 * 2048 * 2;
  const auto hw1 = test_hw({"dma.bandwidth=1B/cycle", "scratchpad.size=16MiB"});
  const auto one = run_asm(R"(
.dram X fp16 [2048, 2048]
.buffer x fp16 [2048, 2048]
dma.load x, X
)",
                           hw1, false);
  const std::uint64_t load = kDmaFixed + bytes;  // setup, DRAM latency, 1 B/cycle
  CHECK(one.done(0) == 1 + load);
  CHECK(one.result.cycles == 1 + load);

  const auto hw2 = test_hw({"cores=2", "dma.bandwidth=1B/cycle", "scratchpad.size=16MiB"});
  const auto two = run_asm(R"(
.dram X fp16 [2048, 2048]
.dram Y fp16 [2048, 2048]
.buffer x fp16 [2048, 2048]
.core 0
dma.load x, X
signal done
.core 1
wait done
dma.load x, Y
)",
                           hw2, false);
  CHECK(two.done(1, 0) == 1 + load);       // the signal drains the load
  CHECK(two.done(0, 1) == 1 + load);       // core 1's wait ends there
  CHECK(two.done(1, 1) == 1 + load + 1 + load);

  // A 2048^3 matmul on a 32x32 systolic array: its own closed form, however long.
  const auto hw3 = test_hw({"scratchpad.size=32MiB"}, test::systolic_matrix(32, 32, "ws"));
  const auto mm = run_asm(R"(
.buffer a fp16 [2048, 2048]
.buffer b fp16 [2048, 2048]
.buffer c fp16 [2048, 2048]
matmul c, a, b
)",
                          hw3, false);
  const npu::InstructionCost cost = npu::unloaded_cost(mm.program, mm.program.streams[0].code[0], hw3);
  CHECK(cost.busy > (Cycle{1} << 22));
  CHECK(mm.done(0) == 1 + cost.busy + cost.latency);
}
