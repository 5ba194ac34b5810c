#include <vector>

#include "npu/common/text.hpp"
#include "npu/isa/instruction.hpp"

namespace npusim::npu {
namespace {

using V = VectorOpClass;
using U = UnitKind;

constexpr std::uint16_t kNone = 0;

}  // namespace

namespace detail {
const OpInfo kOpInfo[kOpcodeCount] = {
    {Opcode::dma_load, "dma.load", U::dma, 2, V::copy, kAttrQueue, "dma.load BUFFER, DRAM_TENSOR [q=N]"},
    {Opcode::dma_store, "dma.store", U::dma, 2, V::copy, kAttrQueue, "dma.store DRAM_TENSOR, BUFFER [q=N]"},
    {Opcode::matmul, "matmul", U::matrix, 3, V::copy, kAttrAcc | kAttrTa | kAttrTb | kAttrShift,
     "matmul C, A, B [acc] [ta] [tb] [shift=N]"},
    {Opcode::vec_add, "vec.add", U::vector, 3, V::add, kNone, "vec.add DST, A, B"},
    {Opcode::vec_sub, "vec.sub", U::vector, 3, V::sub, kNone, "vec.sub DST, A, B"},
    {Opcode::vec_mul, "vec.mul", U::vector, 3, V::mul, kNone, "vec.mul DST, A, B"},
    {Opcode::vec_fma, "vec.fma", U::vector, 4, V::fma, kNone, "vec.fma DST, A, B, C   (DST = A * B + C)"},
    {Opcode::vec_max, "vec.max", U::vector, 3, V::max, kNone, "vec.max DST, A, B"},
    {Opcode::vec_min, "vec.min", U::vector, 3, V::max, kNone, "vec.min DST, A, B"},
    {Opcode::vec_exp, "vec.exp", U::vector, 2, V::exp, kNone, "vec.exp DST, SRC"},
    {Opcode::vec_recip, "vec.recip", U::vector, 2, V::recip, kNone, "vec.recip DST, SRC"},
    {Opcode::vec_log, "vec.log", U::vector, 2, V::exp, kNone, "vec.log DST, SRC   (natural log; timed as exp)"},
    {Opcode::vec_reduce_sum, "vec.reduce_sum", U::vector, 2, V::reduce, kAttrAxis, "vec.reduce_sum DST, SRC [axis=0|1]"},
    {Opcode::vec_reduce_max, "vec.reduce_max", U::vector, 2, V::reduce, kAttrAxis, "vec.reduce_max DST, SRC [axis=0|1]"},
    {Opcode::vec_cast, "vec.cast", U::vector, 2, V::cast, kAttrRound, "vec.cast DST, SRC [round=rne|half_up|floor]"},
    {Opcode::vec_requant, "vec.requant", U::vector, 2, V::requant, kAttrShift | kAttrMult | kAttrRound,
     "vec.requant DST, SRC shift=N [mult=M] [round=rne|half_up|floor]"},
    {Opcode::vec_select, "vec.select", U::vector, 4, V::select, kNone, "vec.select DST, MASK, A, B   (DST = MASK != 0 ? A : B)"},
    {Opcode::vec_band, "vec.band", U::vector, 2, V::select, kAttrLo | kAttrHi, "vec.band DST, SRC [lo=N] [hi=N]   (keep lo <= i-j <= hi)"},
    {Opcode::vec_identity, "vec.identity", U::vector, 1, V::copy, kNone, "vec.identity DST"},
    {Opcode::vec_fill, "vec.fill", U::vector, 2, V::copy, kNone, "vec.fill DST, VALUE"},
    {Opcode::vec_copy, "vec.copy", U::vector, 2, V::copy, kNone, "vec.copy DST, SRC"},
    {Opcode::vec_transpose, "vec.transpose", U::vector, 2, V::transpose, kNone, "vec.transpose DST, SRC"},
    {Opcode::vec_layout, "vec.layout", U::vector, 1, V::layout, kAttrTo,
     "vec.layout BUF to=matrix|vector   (convert BUF in place between the units' layouts)"},
    {Opcode::barrier, "barrier", U::sequencer, 0, V::copy, kNone, "barrier"},
    {Opcode::signal, "signal", U::sequencer, 1, V::copy, kNone, "signal FLAG"},
    {Opcode::wait, "wait", U::sequencer, 1, V::copy, kNone, "wait FLAG"},
    {Opcode::matrix_acquire, "matrix.acquire", U::sequencer, 0, V::copy, kNone,
     "matrix.acquire   (take the core's matrix unit for this thread; waits while another thread holds it)"},
    {Opcode::matrix_release, "matrix.release", U::sequencer, 0, V::copy, kNone,
     "matrix.release   (wait for this thread's matmuls, then free the matrix unit)"},
};
}  // namespace detail

namespace {
const auto& kOps = detail::kOpInfo;
}  // namespace

const OpInfo* find_op(std::string_view mnemonic) {
  for (const OpInfo& info : kOps) {
    if (info.mnemonic == mnemonic) return &info;
  }
  return nullptr;
}

std::string_view closest_mnemonic(std::string_view word) {
  std::vector<std::string_view> names;
  for (const OpInfo& info : kOps) names.push_back(info.mnemonic);
  return closest_match(word, names);
}

}  // namespace npusim::npu
