#include "npu/scratchpad/bank_model.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <vector>

namespace npusim::npu {
namespace {

/// True when no beat of a port can touch more words than the banks serve in one cycle: every
/// streamed beat then costs one cycle wherever it starts.
bool beats_never_conflict(std::uint32_t port, const ScratchpadConfig& sp) {
  return (port - 1) / sp.bank_width_bytes + 2 <= std::uint64_t{sp.banks} * sp.ports_per_bank;
}

// A contiguous stream of `len` bytes from `address`, in beats of `port` bytes. A beat touches
// consecutive words, which land in consecutive banks, so its busiest bank holds
// ceil(words / banks) of them.
AccessCost stream_cost(std::uint64_t address, std::uint64_t len, std::uint32_t port, const ScratchpadConfig& sp) {
  const std::uint64_t bw = sp.bank_width_bytes;
  const std::uint64_t beats = ceil_div(len, port);
  AccessCost c{0, beats};
  if (beats_never_conflict(port, sp)) {
    c.cycles = beats;
    return c;
  }
  for (std::uint64_t b = 0; b < beats; ++b) {
    const std::uint64_t lo = address + b * port;
    const std::uint64_t hi = std::min(lo + port, address + len);
    const std::uint64_t words = (hi - 1) / bw - lo / bw + 1;
    c.cycles += std::max<std::uint64_t>(1, ceil_div(ceil_div(words, sp.banks), sp.ports_per_bank));
  }
  return c;
}

}  // namespace

bool cost_ignores_address(const Region& r, std::uint32_t port, const ScratchpadConfig& sp) {
  if (r.rows == 0 || r.row_bytes == 0) return true;
  return (r.contiguous() || r.row_bytes >= port) && beats_never_conflict(port, sp);
}

AccessCost access_cost(const Region& r, std::uint32_t port, const ScratchpadConfig& sp) {
  if (r.rows == 0 || r.row_bytes == 0) return {};
  if (r.contiguous()) return stream_cost(r.address, r.bytes(), port, sp);
  AccessCost total;
  if (r.row_bytes >= port) {
    if (beats_never_conflict(port, sp)) {  // every row streams at one cycle per beat
      const Cycle beats = Cycle{r.rows} * ceil_div(r.row_bytes, std::uint64_t{port});
      return {beats, beats};
    }
    for (std::uint32_t k = 0; k < r.rows; ++k) {
      const AccessCost c = stream_cost(r.address + k * r.stride_bytes, r.row_bytes, port, sp);
      total.cycles += c.cycles;
      total.conflict_free_cycles += c.conflict_free_cycles;
    }
    return total;
  }
  // Gather: `per_beat` narrow rows share one beat; count the distinct words each bank serves.
  // The count depends on the address only modulo one sweep of the banks, and kernels gather the
  // same windows over and over: remember the answers.
  struct Key {
    std::uint64_t address, stride;
    std::uint32_t rows, row_bytes, port, banks, bank_width, ports;
    bool operator==(const Key& o) const {
      return address == o.address && stride == o.stride && rows == o.rows && row_bytes == o.row_bytes &&
             port == o.port && banks == o.banks && bank_width == o.bank_width && ports == o.ports;
    }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      std::uint64_t h = k.address * 0x9e3779b97f4a7c15ULL ^ k.stride;
      for (std::uint64_t v : {std::uint64_t{k.rows}, std::uint64_t{k.row_bytes}, std::uint64_t{k.port},
                              std::uint64_t{k.banks}, std::uint64_t{k.bank_width}, std::uint64_t{k.ports}}) {
        h = (h ^ v) * 0x100000001b3ULL;
      }
      return static_cast<std::size_t>(h);
    }
  };
  thread_local std::unordered_map<Key, AccessCost, KeyHash> known;
  const Key key{r.address % (std::uint64_t{sp.banks} * sp.bank_width_bytes), r.stride_bytes, r.rows, r.row_bytes,
                port, sp.banks, sp.bank_width_bytes, sp.ports_per_bank};
  if (const auto it = known.find(key); it != known.end()) return it->second;
  if (known.size() > (1u << 16)) known.clear();
  const std::uint32_t per_beat = port / r.row_bytes;
  const std::uint64_t bw = sp.bank_width_bytes;
  std::array<std::uint32_t, 64> small{};  // no allocation for the usual bank counts
  std::vector<std::uint32_t> large(sp.banks > small.size() ? sp.banks : 0);
  std::uint32_t* const count = sp.banks > small.size() ? large.data() : small.data();
  std::uint32_t* const count_end = count + sp.banks;
  for (std::uint32_t first = 0; first < r.rows; first += per_beat) {
    std::fill(count, count_end, 0);
    std::uint64_t last_word = UINT64_MAX;
    const std::uint32_t end = std::min(r.rows, first + per_beat);
    for (std::uint32_t k = first; k < end; ++k) {
      const std::uint64_t lo = r.address + k * r.stride_bytes;
      for (std::uint64_t w = lo / bw; w <= (lo + r.row_bytes - 1) / bw; ++w) {
        if (w == last_word) continue;  // rows visit addresses in increasing order
        ++count[w % sp.banks];
        last_word = w;
      }
    }
    const std::uint32_t busiest = *std::max_element(count, count_end);
    total.cycles += std::max<std::uint64_t>(1, ceil_div(busiest, sp.ports_per_bank));
    total.conflict_free_cycles += 1;
  }
  known.emplace(key, total);
  return total;
}

void charge_ports(InstructionCost& c, Cycle startup, const AccessSet& access, std::uint32_t port_bytes,
                  const ScratchpadConfig& sp) {
  Cycle reads_free = 0;
  for (int i = 0; i < access.nreads; ++i) {
    const AccessCost a = access_cost(access.reads[i], port_bytes, sp);
    c.read_cycles += a.cycles;
    reads_free += a.conflict_free_cycles;
    c.sp_read_bytes += access.reads[i].bytes();
  }
  const AccessCost w = access_cost(access.write, port_bytes, sp);
  c.write_cycles = w.cycles;
  c.sp_write_bytes = access.write.bytes();
  c.busy = startup + std::max({c.compute_cycles, c.read_cycles, c.write_cycles});
  c.bank_conflict_cycles = c.busy - (startup + std::max({c.compute_cycles, reads_free, w.conflict_free_cycles}));
}

}  // namespace npusim::npu
