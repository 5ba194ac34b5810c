#!/usr/bin/env bash
# Makes the outputs of run, compare, experiment, layer and two sweeps (one with failed points), writes a report of each and checks every
# report in headless Chromium (browser_check). Exit 77 (skipped, with the reason printed) when
# Chromium is not installed.
# usage: check_reports.sh NPUSIM BROWSER_CHECK   (from the source directory)
set -euo pipefail
bin=$1
check=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hw=configs/npu/hexagon-like.yaml
"$bin" run --hw $hw --kernel neumann --chunk 64 --batch 4 --out "$tmp/run" --trace "$tmp/run/trace.json" --quiet
"$bin" compare --hw $hw --chunk 32 --batch 4 --kernels fla_blocked,neumann --out "$tmp/compare" --trace --quiet
"$bin" experiment configs/experiments/paper-hexagon.yaml --timing-only --out "$tmp/experiment" --quiet
"$bin" layer --hw $hw --model tests/layer/tiny.yaml --seq 128 --compare-inverse fla_blocked,neumann --timing-only \
  --out "$tmp/layer" --quiet
"$bin" sweep tests/sweeps/small.yaml -j 2 --out "$tmp/sweep" --quiet
# Some points of this sweep are rejected by the spec: the sweep says so with exit 4, the report shows them.
set +e
"$bin" sweep tests/sweeps/invalid_points.yaml -j 2 --out "$tmp/failed" --quiet 2> /dev/null
rc=$?
set -e
((rc == 4)) || { echo "FAIL: npusim sweep tests/sweeps/invalid_points.yaml exited $rc, expected 4"; exit 1; }
failed=0
# kind, the plots each report must hold at least, and report options (the sensitivity sweeps of
# the experiment and of the failed sweep are left out to keep the test short)
for spec in run:6: compare:7: experiment:5:--no-sensitivity layer:4: sweep:12: failed:6:--no-sensitivity; do
  IFS=: read -r kind min flags <<< "$spec"
  "$bin" report --from "$tmp/$kind" --out "$tmp/$kind.html" --quiet $flags
  set +e
  "$check" "$tmp/$kind.html" "$tmp/$kind.png" "$min"
  rc=$?
  set -e
  ((rc == 77)) && exit 77
  ((rc == 0)) || failed=1
done
exit $failed
