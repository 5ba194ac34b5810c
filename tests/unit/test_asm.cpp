// The .npuasm text form: exact round trips, canonical printing, builder equivalence.
#include <catch2/catch.hpp>
#include <filesystem>

#include "helpers.hpp"
#include "npu/common/error.hpp"
#include "npu/isa/builder.hpp"

using namespace npusim;

TEST_CASE("sample programs print back exactly as written", "[asm]") {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(NPUSIM_SOURCE_DIR) + "/traces/programs")) {
    if (entry.path().extension() != ".npuasm") continue;
    DYNAMIC_SECTION(entry.path().filename().string()) {
      const std::string text = sim::read_text_file(entry.path().string());
      CHECK(npu::print_program(npu::parse_program(text, entry.path().string())) == text);
    }
  }
}

TEST_CASE("printing is canonical and a fixed point", "[asm]") {
  const std::string messy = R"(
   # leading comment
.buffer b   fp16 [ 4,8 ]   @0x100   # trailing
.buffer b2 fp32 [2, 8] @ b
.dram   A fp16 [2,4,8] init=random( 3 ) output
.dram   M fp16 [4, 4] init=band(0, 3, 2.5)
vec.add  b[0:2 , :], b[0:2], -1.5e0    # note
dma.load b[ 1 ], A[1, 2:3]  q=0
dma.store A[0], b[:, :] q=1
matmul b[0:4, 0:4], b[:, 0:4], b[0:4, 0:4] acc   tb
)";
  const auto p = npu::parse_program(messy, "messy");
  const std::string once = npu::print_program(p);
  // Comments travel with their statement; declarations print tensors first, then buffers.
  CHECK(once == R"(.dram A fp16 [2, 4, 8] init=random(3) output
.dram M fp16 [4, 4] init=band(0, 3, 2.5)

# leading comment
.buffer b fp16 [4, 8] @0x100  # trailing
.buffer b2 fp32 [2, 8] @b
vec.add b[0:2], b[0:2], -1.5  # note
dma.load b[1], A[1, 2]
dma.store A[0], b q=1
matmul b[:, 0:4], b[:, 0:4], b[:, 0:4] acc tb
)");
  CHECK(npu::print_program(npu::parse_program(once, "once")) == once);
}

TEST_CASE("immediates round-trip exactly", "[asm]") {
  for (double v : {0.1, -3.0, 1e-30, 65504.0, 1.0 / 3.0, 123456789.125}) {
    npu::ProgramBuilder b;
    const auto x = b.buffer("x", npu::DType::fp32, 1, 4);
    b.vec(npu::Opcode::vec_fill, x.all(), npu::ProgramBuilder::imm(v));
    const auto p = b.finish();
    const auto q = npu::parse_program(npu::print_program(p), "imm");
    CHECK(q.operand(q.streams[0].code[0], 1).imm == v);
  }
}

TEST_CASE("a program keeps each distinct operand and attribute set once", "[asm][builder]") {
  npu::ProgramBuilder b;
  const auto x = b.buffer("x", npu::DType::fp32, 8, 4);
  for (int i = 0; i < 100; ++i) b.vec(npu::Opcode::vec_add, x.rows(i % 8, 1), x.rows(0, 1), x.rows(1, 1));
  b.vec(npu::Opcode::vec_fill, x.all(), npu::ProgramBuilder::imm(0.0));
  b.vec(npu::Opcode::vec_fill, x.all(), npu::ProgramBuilder::imm(-0.0));
  const auto p = b.finish();
  CHECK(p.operand_table.size() == 1 + 8 + 1 + 2);  // none, eight rows, x, 0 and -0 apart
  CHECK(p.attrs_table.size() == 1);
  const auto& code = p.streams[0].code;
  CHECK(code[8].operand_ids == code[0].operand_ids);
  CHECK(p.operand(code[0], 3).kind == npu::Operand::Kind::none);
  CHECK(npu::format_instruction(p, code[101]) == "vec.fill x, -0");
}

TEST_CASE("built programs equal their printed text, line numbers included", "[asm][builder]") {
  npu::ProgramBuilder b("built");
  const auto A = b.dram("A", npu::DType::fp16, {4, 64, 64}, npu::TensorInit::random(5));
  const auto a = b.buffer("a", npu::DType::fp16, 64, 64);
  const auto c = b.buffer("c", npu::DType::fp32, 64, 64);
  b.comment("load matrix 2 of the batch");
  b.dma_load(a.all(), A.matrix(2));
  b.matmul(c.all(), a.all(), a.view(0, 64, 0, 64), false, false, true);
  b.vec(npu::Opcode::vec_band, c.all(), c.all(), {}, {}, [] {
    npu::Attrs at;
    at.lo = 0;
    at.hi = 3;
    return at;
  }());
  b.core(1);
  b.wait("go");
  b.core(0);
  b.signal("go");
  const npu::Program p = b.finish();
  const std::string text = npu::print_program(p);
  CHECK(text == R"(.dram A fp16 [4, 64, 64] init=random(5)
.buffer a fp16 [64, 64]
.buffer c fp32 [64, 64]
# load matrix 2 of the batch
dma.load a, A[2]
matmul c, a, a tb
vec.band c, c hi=3
signal go
.core 1
wait go
)");
  const npu::Program q = npu::parse_program(text, "built");
  CHECK(npu::print_program(q) == text);
  for (std::size_t s = 0; s < p.streams.size(); ++s) {
    for (std::size_t i = 0; i < p.streams[s].code.size(); ++i) CHECK(p.streams[s].code[i].line == q.streams[s].code[i].line);
  }
}

TEST_CASE("errors in built programs point at lines of the printed program", "[asm][builder]") {
  npu::ProgramBuilder b("kernel");
  const auto x = b.buffer("x", npu::DType::fp16, 8, 8);
  const auto y = b.buffer("y", npu::DType::fp16, 4, 4);
  b.vec(npu::Opcode::vec_copy, x.all(), x.all());
  b.vec(npu::Opcode::vec_add, x.all(), x.all(), y.all());
  npu::Program p = b.finish();
  try {
    npu::check_program(p, test::test_hw());
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "kernel:4: vec.add: operand 3 (buffer 'y') is 4x4, which does not broadcast to "
                                   "the destination shape 8x8");
  }
}

TEST_CASE("a UTF-8 byte order mark before a program or a spec is skipped", "[asm][bad-input]") {
  const std::string bom = "\xEF\xBB\xBF";
  const std::string program = ".buffer x fp16 [1, 8]\nvec.add x, x, x\n";
  CHECK(npu::print_program(npu::parse_program(bom + program, "bom.npuasm")) ==
        npu::print_program(npu::parse_program(program, "plain.npuasm")));
  CHECK(sim::write_hw_config(sim::parse_hw_config(bom + test::test_hw_yaml(), "bom.yaml")) ==
        sim::write_hw_config(test::test_hw()));
}
