// The instruction timelines a run keeps: packed per instruction, exact for any time npusim
// represents (steps past 32 bits go to the side table, never wrap).
#include <catch2/catch.hpp>

#include "npu/core/core_state.hpp"

using namespace npusim;

TEST_CASE("timelines keep every time exactly, however far apart", "[timeline]") {
  npu::Timeline t;
  t.resize(3);
  const Cycle far = Cycle{1} << 40;
  // 0: small steps; 1: every step and the contention past 32 bits; 2: in flight.
  t.set_dispatch(0, 5);
  t.set_earliest_done(0, 20);
  t.set_start(0, 7);
  t.set_end(0, 10, 14);
  t.set_contention(0, -3);
  t.set_dispatch(1, 9);
  t.set_earliest_done(1, 9 + 3 * far);
  CHECK(t.done(1) == kUnknownCycle);
  CHECK(t.earliest_done(1) == 9 + 3 * far);
  t.set_start(1, 9 + far);
  t.set_end(1, 9 + 2 * far, kMaxCycles);
  t.set_contention(1, -static_cast<std::int64_t>(far));
  t.set_binding_dep(1, 0);
  t.set_dispatch(2, 11);
  t.set_earliest_done(2, 11 + Cycle{UINT32_MAX});
  const npu::InstrRecord a = t.record(0), b = t.record(1), c = t.record(2);
  CHECK(a.dispatch == 5);
  CHECK(a.start == 7);
  CHECK(a.end == 10);
  CHECK(a.done == 14);
  CHECK(a.contention_cycles == -3);
  CHECK(a.binding_dep == npu::kNoInstruction);
  CHECK(b.dispatch == 9);
  CHECK(b.start == 9 + far);
  CHECK(b.end == 9 + 2 * far);
  CHECK(b.done == kMaxCycles);
  CHECK(b.contention_cycles == -static_cast<std::int64_t>(far));
  CHECK(b.binding_dep == 0);
  CHECK(t.done(1) == kMaxCycles);
  CHECK(c.start == kUnknownCycle);
  CHECK(c.done == kUnknownCycle);
  CHECK(t.earliest_done(2) == 11 + Cycle{UINT32_MAX});
}

TEST_CASE("timelines: producers per instruction and the side tables by index", "[timeline]") {
  npu::Timeline t;
  t.resize(4);
  t.dep_pool = {};
  t.set_deps_end(0);  // none
  t.dep_pool.push_back(0);
  t.set_deps_end(1);  // 0
  t.set_deps_end(2);  // none
  t.dep_pool.insert(t.dep_pool.end(), {1, 2});
  t.set_deps_end(3);  // 1, 2
  CHECK(t.deps(0).size() == 0);
  REQUIRE(t.deps(1).size() == 1);
  CHECK(t.deps(1)[0] == 0);
  CHECK(t.deps(2).size() == 0);
  REQUIRE(t.deps(3).size() == 2);
  CHECK(t.deps(3)[1] == 2);
  t.unit_prevs = {{3, 1, 7}, {1, 2, 5}};
  t.handoffs = {{2, 40}};
  t.sort();
  REQUIRE(t.unit_prev(1));
  CHECK(t.unit_prev(1)->thread == 2);
  CHECK(t.unit_prev(3)->prev == 7);
  CHECK(t.unit_prev(2) == nullptr);
  CHECK(t.handoff_cycles(2) == 40);
  CHECK(t.handoff_cycles(3) == 0);
}

TEST_CASE("timelines: the last completion, from packed steps and from wide ones alike", "[timeline]") {
  // Two instructions; the first completes last. Narrow: every step fits 32 bits.
  const auto fill = [](npu::Timeline& t, Cycle wait) {
    t.resize(2);
    t.set_dispatch(0, 4);
    t.set_earliest_done(0, 10);
    t.set_start(0, 4 + wait);
    t.set_end(0, 4 + wait + 6, 4 + wait + 6 + 3);
    t.set_dispatch(1, 5);
    t.set_earliest_done(1, 7);
    t.set_start(1, 5);
    t.set_end(1, 6, 7);
  };
  npu::Timeline narrow, wide;
  fill(narrow, 1);
  CHECK(narrow.narrow_records() != nullptr);
  CHECK(narrow.last_completion() == 4 + 1 + 6 + 3);
  const Cycle far = Cycle{1} << 40;  // a wait past 32 bits: kept in the side table
  fill(wide, far);
  CHECK(wide.narrow_records() == nullptr);
  CHECK(wide.last_completion() == 4 + far + 6 + 3);
  npu::Timeline none;
  CHECK(none.last_completion() == 0);
}
