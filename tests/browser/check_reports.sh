#!/usr/bin/env bash
# Makes the outputs of run, compare, experiment and layer, writes a report of each and checks every
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
failed=0
# kind and the plots each report must hold at least
for spec in run:4 compare:5 experiment:5 layer:4; do
  kind=${spec%%:*}
  "$bin" report --from "$tmp/$kind" --out "$tmp/$kind.html" --quiet
  set +e
  "$check" "$tmp/$kind.html" "$tmp/$kind.png" "${spec##*:}"
  rc=$?
  set -e
  ((rc == 77)) && exit 77
  ((rc == 0)) || failed=1
done
exit $failed
