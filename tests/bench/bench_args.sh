#!/usr/bin/env bash
# ./bench/run refuses what it cannot run before it builds or measures anything: an unknown option
# or workload, or a --repeat that is not a whole number of runs, is exit 2 with the reason on stderr.
set -uo pipefail
bench="$(cd "$(dirname "$0")/../.." && pwd)/bench/run"
fail=0
expect() {  # expect CODE "MESSAGE" ARG...
  local code=$1 message=$2
  shift 2
  local err
  err=$("$bench" "$@" 2>&1 >/dev/null)
  local got=$?
  if [ "$got" -ne "$code" ] || [[ "$err" != *"$message"* ]]; then
    echo "FAIL: bench/run $*: exit $got (expected $code), stderr: $err" >&2
    fail=1
  fi
}
expect 2 "bench/run: unknown option '--bogus'" --bogus
expect 2 "bench/run: unknown workload 'gemmx'" gemmx
expect 2 "bench/run: unknown workload 'sweeps'" gemm sweeps
expect 2 "bench/run: --repeat takes a whole number of runs from 1 to 9999, got '0'" --repeat 0 gemm
expect 2 "bench/run: --repeat takes a whole number of runs from 1 to 9999, got 'x'" --repeat x
expect 2 "bench/run: --repeat takes a whole number of runs from 1 to 9999, got ''" --repeat
out=$("$bench" --help)
[ $? -eq 0 ] && [[ "$out" == "usage: ./bench/run"* ]] || { echo "FAIL: bench/run --help: $out" >&2; fail=1; }
exit $fail
