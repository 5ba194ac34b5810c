// fwdsub: row-by-row forward substitution on the vector unit, the reference algorithm (the
// loop of the Hugging Face chunk_gated_delta_rule). From (I + A) T = I, row i of T is
//   T[i, :] = e_i - sum_{k<i} A[i, k] T[k, :].
// With NT = I - A^T (computed once per chunk) and T initialised to I, one row costs two vector
// instructions, both on the growing (i+1) x (i+1) corner:
//   P = T[0:i+1, 0:i+1] * NT[0:i+1, i]          (column i of NT broadcast across the row)
//   T[i, 0:i+1] = column sums of P               (vec.reduce_sum axis=0)
// C - 1 strictly dependent steps, sum of i^2 multiply-adds, no matrix-unit work.
#include <fmt/format.h>

#include "kernels/inverse/kernels.hpp"
#include "kernels/inverse/scaffold.hpp"

namespace npusim::kernels {
using namespace npu;

namespace {

class FwdSub final : public InverseScaffold {
 public:
  using InverseScaffold::InverseScaffold;

 private:
  struct Slot {
    BufferRef nt, p;
  };

  void declare_slot(std::size_t slot) override {
    if (slot == 0) m_slots.clear();
    m_eye = constant("eye", dt, C, C, TensorInit::band(0, 0));
    m_slots.push_back({buffer("nt", dt, C, C), buffer("p", dt, C, C)});
  }

  void emit(const std::vector<ChunkSlot>& group, std::uint32_t) override {
    for (const auto& c : group) b().vec(Opcode::vec_transpose, m_slots[c.slot].nt.all(), c.a.all());
    for (const auto& c : group) b().vec(Opcode::vec_sub, m_slots[c.slot].nt.all(), m_eye.all(), m_slots[c.slot].nt.all());
    for (const auto& c : group) b().vec(Opcode::vec_copy, c.t.all(), m_eye.all());
    for (std::uint32_t i = 1; i < C; ++i) {
      for (const auto& c : group) {
        const Slot& s = m_slots[c.slot];
        b().vec(Opcode::vec_mul, s.p.view(0, i + 1, 0, i + 1), c.t.view(0, i + 1, 0, i + 1), s.nt.view(0, i + 1, i, 1));
      }
      for (const auto& c : group) {
        b().vec(Opcode::vec_reduce_sum, c.t.view(i, 1, 0, i + 1), m_slots[c.slot].p.view(0, i + 1, 0, i + 1), {}, {},
                axis0());
      }
    }
  }

  void describe(InverseProgram& out) const override {
    out.summary = fmt::format("fwdsub C={} {}: {} dependent row steps on the vector unit", C, dtype_name(dt), C - 1);
  }

  std::vector<Slot> m_slots;
  BufferRef m_eye;
};

}  // namespace

InverseProgram build_fwdsub(const NpuConfig& hw, const InverseParams& p) { return FwdSub(hw, p, "fwdsub").build(); }

}  // namespace npusim::kernels
