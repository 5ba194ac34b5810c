#!/usr/bin/env bash
# ./bench/run refuses what it cannot run before it builds or measures anything: an unknown option
# or workload, or a --repeat that is not a whole number of runs, is exit 2 with the reason on stderr.
# So is a bad workload or count given to npusim-bench (its path: the first argument).
#   tests/bench/bench_args.sh build/npusim-bench
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bench="$root/bench/run"
fail=0
expect() {  # expect CODE "MESSAGE" ARG...   (runs $bench)
  local code=$1 message=$2
  shift 2
  local err
  err=$("$bench" "$@" 2>&1 >/dev/null)
  local got=$?
  if [ "$got" -ne "$code" ] || [[ "$err" != *"$message"* ]]; then
    echo "FAIL: $bench $*: exit $got (expected $code), stderr: $err" >&2
    fail=1
  fi
}
expect 2 "bench/run: unknown option '--bogus'" --bogus
expect 2 "bench/run: unknown workload 'gemmx'" gemmx
expect 2 "bench/run: unknown workload 'sweeps'" gemm sweeps
expect 2 "bench/run: --repeat takes a whole number of runs from 1 to 9999, got '0'" --repeat 0 gemm
expect 2 "bench/run: --repeat takes a whole number of runs from 1 to 9999, got 'x'" --repeat x
expect 2 "bench/run: --repeat takes a whole number of runs from 1 to 9999, got ''" --repeat
bench="$1"
expect 2 "npusim-bench: unknown workload 'bogus'" "$root" bogus
expect 2 "npusim-bench: the count must be a whole number from 1 to 4294967295, got 'x'" "$root" vector x
expect 2 "npusim-bench: the count must be a whole number from 1 to 4294967295, got '0'" "$root" vector 0
expect 2 "npusim-bench: the count must be a whole number from 8 to 4294967295, got '7'" "$root" critical-path 7
expect 2 "usage: npusim-bench ROOT WORKLOAD" "$root"
bench="$root/bench/run"
out=$("$bench" --help)
[ $? -eq 0 ] && [[ "$out" == "usage: ./bench/run"* ]] || { echo "FAIL: bench/run --help: $out" >&2; fail=1; }
exit $fail
