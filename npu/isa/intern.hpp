#pragma once
/// InternTable: a table of distinct values that instructions refer to by index, so that a
/// program of millions of instructions stores each operand window and attribute set once.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "npu/common/error.hpp"

namespace npusim::npu {

/// A hash of up to four words for the interned types (hash_value() overloads): the words are
/// multiplied independently (a short dependency chain: interning is on the path of building
/// every instruction), then mixed once so that every bit reaches the low bits a table masks.
inline std::uint64_t hash_words(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0, std::uint64_t d = 0) {
  std::uint64_t h = (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xc2b2ae3d27d4eb4fULL) ^ (c * 0x165667b19e3779f9ULL) ^
                    (d * 0xd6e8feb86659fd93ULL);
  h ^= h >> 32;
  h *= 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 29);
}

/// Distinct values of T, by index; index 0 holds T{}. intern() returns the index of the value
/// equal to its argument (T's operator==), adding it first if there is none. Lookups go through
/// an open-addressing index of the values' indices, hashed with hash_value(const T&).
template <class T>
class InternTable {
 public:
  InternTable() { intern(T{}); }

  /// The index of the value equal to `v`; `v` is added if the table has none.
  std::uint32_t intern(const T& v) {
    if (2 * (m_values.size() + 1) > m_slots.size()) grow();
    std::uint32_t& slot = m_slots[slot_of(v)];
    if (slot == kEmpty) {
      NPUSIM_ASSERT(m_values.size() < kEmpty, "more than 2^32 - 1 distinct values");
      slot = static_cast<std::uint32_t>(m_values.size());
      m_values.push_back(v);
    }
    return slot;
  }

  /// The same, but first tries `hint` (an index of this table: 0, or one it returned), then
  /// the value after it: a caller interning runs of equal values, or walking values again in
  /// the order they were first added (a buffer's rows, one after another), skips the hash.
  /// Leaves the index in `hint`.
  std::uint32_t intern(const T& v, std::uint32_t& hint) {
    // No bounds check on `hint` itself (tables only grow): callers whose hints mostly hit
    // spend most of their time here.
    if (m_values[hint] == v) return hint;
    if (hint + 1 < m_values.size() && m_values[hint + 1] == v) return ++hint;
    return hint = intern_hashed(v);
  }

  /// intern(v), out of line: a caller whose hints mostly hit keeps its loop free of the hash's
  /// registers.
  [[gnu::noinline]] std::uint32_t intern_hashed(const T& v) { return intern(v); }

  /// True when a value equal to `v` is in the table.
  bool contains(const T& v) const { return m_slots[slot_of(v)] != kEmpty; }

  const T& operator[](std::uint32_t i) const { return m_values[i]; }
  std::size_t size() const { return m_values.size(); }

 private:
  static constexpr std::uint32_t kEmpty = UINT32_MAX;

  /// The slot holding the index of the value equal to `v`, or the empty slot where it belongs.
  std::size_t slot_of(const T& v) const {
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t s = hash_value(v) & mask;; s = (s + 1) & mask) {
      if (m_slots[s] == kEmpty || m_values[m_slots[s]] == v) return s;
    }
  }

  /// Doubles the index (at most half full) and re-enters every value.
  void grow() {
    m_slots.assign(std::max<std::size_t>(16, 2 * m_slots.size()), kEmpty);
    for (std::uint32_t i = 0; i < m_values.size(); ++i) m_slots[slot_of(m_values[i])] = i;
  }

  std::vector<T> m_values;
  std::vector<std::uint32_t> m_slots;  ///< kEmpty or an index into m_values; a power of two long
};

}  // namespace npusim::npu
