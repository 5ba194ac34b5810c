#include "npu/sequencer/scoreboard.hpp"

namespace npusim::npu {
namespace {

constexpr std::size_t kFirstCapacity = 16;  ///< a power of two

}  // namespace

Scoreboard::Scoreboard(const ThreadState& thread, const Program& program)
    : m_thread(thread),
      m_extents(program.operand_extents.data()),
      m_regions(program.operand_regions.data()),
      m_entries(kFirstCapacity),
      m_mask(kFirstCapacity - 1),
      m_squeeze_at(kFirstCapacity / 2) {
  NPUSIM_ASSERT(operands_placed(program), "a program runs once check_program() has placed its operands");
}

// What accesses() lists, by operand: the write is operand 0, the reads the tensors among the
// others (the extent of any other operand is empty: it meets nothing; so is that of the `none`
// operand, id 0, past noperands). The destination a matmul with acc or vec.layout reads needs no
// test of its own: it meets what the write meets.
inline bool Scoreboard::conflicts(const Entry& later, const Entry& earlier) const {
  if (later.write.meets(earlier.write) && share_bytes(later.operand_ids[0], earlier.operand_ids[0])) return true;  // WAW
  if (later.write.meets(earlier.reads)) {
    for (int j = 1; j < kMaxOperands; ++j) {
      const std::uint32_t b = earlier.operand_ids[j];
      if (later.write.meets(m_extents[b]) && share_bytes(later.operand_ids[0], b)) return true;  // WAR
    }
  }
  if (later.reads.meets(earlier.write)) {
    for (int i = 1; i < kMaxOperands; ++i) {
      const std::uint32_t a = later.operand_ids[i];
      if (m_extents[a].meets(earlier.write) && share_bytes(a, earlier.operand_ids[0])) return true;  // RAW
    }
  }
  return false;
}

void Scoreboard::dispatch(std::uint32_t idx, Cycle at, HugeVector<std::uint32_t>& deps) {
  while (m_head != m_tail && retired(m_entries[m_head & m_mask], at)) ++m_head;
  // The ring always has a free slot at the tail (grow() below): the entry is made there.
  Entry& in = m_entries[m_tail & m_mask];
  in.idx = idx;
  in.done = kUnknownCycle;
  in.operand_ids = m_thread.instruction(idx).operand_ids;
  in.write = m_extents[in.operand_ids[0]];
  in.reads = m_extents[in.operand_ids[1]].hull(m_extents[in.operand_ids[2]]).hull(m_extents[in.operand_ids[3]]);
  for (std::size_t k = m_head; k != m_tail; ++k) {
    Entry& e = m_entries[k & m_mask];
    if (conflicts(in, e) && !retired(e, at)) deps.push_back(e.idx);
  }
  ++m_tail;
  if (m_tail - m_head > m_squeeze_at) squeeze(at);
  if (m_tail - m_head > m_mask) grow();
}

void Scoreboard::squeeze(Cycle at) {
  std::size_t out = m_head;
  for (std::size_t k = m_head; k != m_tail; ++k) {
    if (retired(m_entries[k & m_mask], at)) continue;
    if (out != k) m_entries[out & m_mask] = m_entries[k & m_mask];
    ++out;
  }
  m_tail = out;
  m_squeeze_at = 2 * (m_tail - m_head) + kFirstCapacity / 2;
}

void Scoreboard::grow() {
  const std::size_t n = m_entries.size();
  std::vector<Entry> entries(2 * n);
  for (std::size_t k = 0; k < n; ++k) entries[k] = m_entries[(m_head + k) & m_mask];
  m_entries.swap(entries);
  m_mask = 2 * n - 1;
  m_head = 0;
  m_tail = n;
}

}  // namespace npusim::npu
