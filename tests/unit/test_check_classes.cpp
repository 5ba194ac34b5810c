// check_program() checks an instruction once per key of operand classes (npu/isa/check.cpp,
// check_once): instructions that differ only in which tensor or buffer they name, or where their
// windows start, share a key. These cases make sure that sharing never hides an error: each
// failing instruction is reported at its own line, in program order, whatever passed before it.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "helpers.hpp"
#include "npu/common/error.hpp"
#include "npu/isa/builder.hpp"

using namespace npusim;
using npu::DType;
using npu::Opcode;

namespace {

std::vector<std::string> check_messages(npu::Program p) {
  try {
    npu::check_program(p, test::test_hw());
  } catch (const InputError& e) {
    return e.messages();
  }
  return {};
}

}  // namespace

TEST_CASE("windows of one shape: each window that does not fit is reported", "[check]") {
  npu::ProgramBuilder b("k");
  const auto x = b.buffer("x", DType::fp16, 4, 8);
  const auto z = b.buffer("z", DType::fp16, 16, 8);
  const auto w = b.buffer("w", DType::fp16, 16, 8);
  b.vec(Opcode::vec_add, z.rows(0, 1), x.rows(0, 1), x.rows(1, 1));    // line 4
  b.vec(Opcode::vec_add, z.rows(1, 1), x.rows(0, 1), x.rows(1, 1));    // 5: same key as 4
  b.vec(Opcode::vec_add, z.rows(16, 1), x.rows(0, 1), x.rows(1, 1));   // 6: past the last row
  b.vec(Opcode::vec_add, w.rows(2, 1), x.rows(2, 1), x.rows(3, 1));    // 7: other buffers, same key as 4
  b.vec(Opcode::vec_add, z.view(15, 1, 4, 8), x.rows(0, 1), x.rows(1, 1));  // 8: past the last column
  b.vec(Opcode::vec_add, z.rows(16, 1), x.rows(0, 1), x.rows(1, 1));   // 9: 6 again
  b.vec(Opcode::vec_add, z.rows(3, 1), x.rows(4, 1), x.rows(1, 1));    // 10: a source past the end
  b.vec(Opcode::vec_add, z.rows(5, 1), x.rows(0, 1), x.rows(1, 1));    // 11
  CHECK(check_messages(b.finish()) ==
        std::vector<std::string>{
            "k:6: vec.add: the window 1x8 at element 128 does not fit in 'z'",
            "k:8: vec.add: the window 1x8 at element 124 does not fit in 'z'",
            "k:9: vec.add: the window 1x8 at element 128 does not fit in 'z'",
            "k:10: vec.add: the window 1x8 at element 32 does not fit in 'x'",
        });
}

TEST_CASE("operands of one shape but another dtype or value are checked again", "[check]") {
  npu::ProgramBuilder b("k");
  const auto A = b.dram("A", DType::fp16, {8, 8});
  const auto a = b.buffer("a", DType::fp16, 2, 8);
  const auto ai = b.buffer("ai", DType::int8, 2, 8);
  const auto i = b.buffer("i", DType::int8, 2, 8);
  b.dma_load(a.all(), A.view(0, 0, 2, 0, 8));   // 5
  b.dma_load(ai.all(), A.view(0, 2, 2, 0, 8));  // 6: int8 from fp16
  b.dma_load(a.all(), A.view(0, 4, 2, 0, 8));   // 7
  b.dma_load(ai.all(), A.view(0, 6, 2, 0, 8));  // 8: 6 again, another window
  b.vec(Opcode::vec_add, i.all(), i.all(), npu::ProgramBuilder::imm(1));    // 9
  b.vec(Opcode::vec_add, i.all(), i.all(), npu::ProgramBuilder::imm(0.5));  // 10: not an int8
  b.vec(Opcode::vec_add, i.all(), i.all(), npu::ProgramBuilder::imm(2));    // 11
  b.vec(Opcode::vec_add, i.all(), i.all(), npu::ProgramBuilder::imm(200));  // 12: out of range
  b.vec(Opcode::vec_add, i.all(), i.all(), npu::ProgramBuilder::imm(1));    // 13
  CHECK(check_messages(b.finish()) ==
        std::vector<std::string>{
            "k:6: dma.load: DMA copies bytes without conversion: buffer 'ai' is int8 but DRAM tensor 'A[2:4]' is fp16",
            "k:8: dma.load: DMA copies bytes without conversion: buffer 'ai' is int8 but DRAM tensor 'A[6:8]' is fp16",
            "k:10: vec.add: the immediate 0.5 is not representable in int8",
            "k:12: vec.add: the immediate 200 is not representable in int8",
        });
}

TEST_CASE("an opcode cycling through three keys, one failing, reports every failure", "[check]") {
  npu::ProgramBuilder b("k");
  const auto A = b.dram("A", DType::fp16, {64, 16});
  const auto a = b.buffer("a", DType::fp16, 16, 16);
  const auto c = b.buffer("c", DType::fp32, 16, 16);
  const auto d = b.buffer("d", DType::fp16, 8, 16);
  std::vector<std::string> expected;
  std::uint32_t line = 5;
  for (std::uint32_t r = 0; r < 4; ++r, line += 6) {
    b.dma_load(a.all(), A.view(0, 16 * r, 16, 0, 16), 0);
    b.dma_load(a.all(), A.view(0, 16 * r, 16, 0, 16), 1);
    b.dma_load(a.all(), A.view(0, 16 * r, 16, 0, 16), 5);  // no queue 5
    b.matmul(c.all(), a.all(), a.all(), r > 0);
    b.matmul(d.all(), a.all(), a.all(), true);  // 8x16, but A x B is 16x16
    b.matmul(c.all(), a.all(), a.all(), true);
    expected.push_back(fmt::format("k:{}: dma.load: q=5 does not exist: the hardware has 2 DMA queues (q=0 to q=1)",
                                   line + 2));
    expected.push_back(fmt::format("k:{}: matmul: the destination is 8x16 but A x B is 16x16", line + 4));
  }
  CHECK(check_messages(b.finish()) == expected);
}

TEST_CASE("intern tables copy, move and grow with their indices", "[check][intern]") {
  npu::InternTable<npu::Operand> t;
  std::vector<std::uint32_t> ids;
  for (std::uint32_t k = 0; k < 100000; ++k) {
    npu::Operand o;
    o.kind = npu::Operand::Kind::tensor;
    o.id = k % 7;
    o.view = npu::View{k, 1, 8};
    ids.push_back(t.intern(o));
  }
  REQUIRE(t.size() == 100001);
  CHECK(t[0] == npu::Operand{});
  npu::InternTable<npu::Operand> copy = t;
  npu::Operand extra;
  extra.kind = npu::Operand::Kind::imm;
  extra.imm = 1.5;
  CHECK(copy.intern(extra) == 100001);
  CHECK(t.size() == 100001);
  CHECK(!t.contains(extra));
  npu::InternTable<npu::Operand> moved = std::move(copy);
  CHECK(moved.size() == 100002);
  CHECK(moved.contains(extra));
  for (std::uint32_t k = 0; k < 100000; k += 997) {
    CHECK(moved[ids[k]].view.offset == k);
    CHECK(moved.intern(moved[ids[k]]) == ids[k]);
  }
  t = moved;
  CHECK(t.size() == 100002);
  CHECK(t.intern(extra) == 100001);
}
