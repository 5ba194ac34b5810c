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
// others (the extent of any other operand is empty: it meets nothing). The destination a matmul
// with acc or vec.layout reads needs no test of its own: it meets what the write meets.
bool Scoreboard::conflicts(const Instruction& later, const Instruction& earlier) const {
  // Extents meet only when both regions hold bytes, in one space: regions_overlap() is then exact.
  auto overlap = [&](int i, int j) {
    const std::uint32_t a = later.operand_ids[i], b = earlier.operand_ids[j];
    return m_extents[a].meets(m_extents[b]) && regions_overlap(m_regions[a], m_regions[b]);
  };
  if (overlap(0, 0)) return true;  // WAW
  for (int j = 1; j < earlier.noperands; ++j) {
    if (overlap(0, j)) return true;  // WAR
  }
  for (int i = 1; i < later.noperands; ++i) {
    if (overlap(i, 0)) return true;  // RAW
  }
  return false;
}

void Scoreboard::dispatch(std::uint32_t idx, Cycle at, std::vector<std::uint32_t>& deps) {
  const Instruction& in = m_thread.instruction(idx);
  const Extent write = extent(in, 0);
  Extent reads;
  for (int i = 1; i < in.noperands; ++i) reads = reads.hull(extent(in, i));
  while (m_head != m_tail && retired(m_entries[m_head & m_mask], at)) ++m_head;
  for (std::size_t k = m_head; k != m_tail; ++k) {
    Entry& e = m_entries[k & m_mask];
    if ((write.meets(e.write) || write.meets(e.reads) || reads.meets(e.write)) && !retired(e, at) &&
        conflicts(in, m_thread.instruction(e.idx))) {
      deps.push_back(e.idx);
    }
  }
  m_entries[m_tail & m_mask] = Entry{idx, kUnknownCycle, write, reads};
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
