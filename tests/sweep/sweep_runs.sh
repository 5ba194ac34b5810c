#!/usr/bin/env bash
# npusim sweep and merge against the real binary, from the source directory:
#   -j1 and -j2 give byte-identical results.csv; three shards merged give it too; a sweep killed
#   with SIGKILL and resumed gives it too; invalid points are recorded (exit 4, not a crash);
#   merging conflicting rows, resuming without --resume or another npusim's store are refused.
# usage: sweep_runs.sh NPUSIM
set -u
bin=$1
sweep=tests/sweeps/small.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
passed=0
check() {  # check NAME COMMAND...: the command must succeed
  local name=$1
  shift
  if "$@"; then
    echo "ok: $name"
    passed=$((passed + 1))
  else
    echo "FAIL: $name"
    failed=$((failed + 1))
  fi
}
expect_exit() {  # expect_exit CODE MESSAGE COMMAND...: that exit code and that text on stderr
  local code=$1 msg=$2
  shift 2
  "$@" > "$tmp/stdout" 2> "$tmp/stderr"
  local got=$?
  if [[ $got == "$code" ]] && grep -qF -- "$msg" "$tmp/stderr"; then
    echo "ok: exit $code: $msg"
    passed=$((passed + 1))
  else
    echo "FAIL: $* gave exit $got (expected $code with: $msg); stderr:"
    sed 's/^/    /' "$tmp/stderr"
    failed=$((failed + 1))
  fi
}
# Points stored so far. Read-only: the sqlite3 shell would otherwise create an empty store before
# the sweep does (which the sweep then refuses as "already there").
points() {
  [ -f "$1/results.sqlite" ] && sqlite3 -readonly "$1/results.sqlite" 'SELECT COUNT(DISTINCT point) FROM results' 2> /dev/null ||
    echo 0
}

"$bin" sweep $sweep -j1 --out "$tmp/j1" --quiet || { echo "FAIL: -j1 run"; exit 1; }
"$bin" sweep $sweep -j2 --out "$tmp/j2" --quiet
check "-j1 and -j2 give the same results.csv" cmp "$tmp/j1/results.csv" "$tmp/j2/results.csv"
check "34 points of 36 (two skipped), two rows each" test "$(wc -l < "$tmp/j1/results.csv")" -eq 69

for i in 1 2 3; do "$bin" sweep $sweep --shard $i/3 -j2 --out "$tmp/shard$i" --quiet; done
check "shards split the points" test $(($(points "$tmp/shard1") + $(points "$tmp/shard2") + $(points "$tmp/shard3"))) -eq 34
"$bin" merge "$tmp/shard3" "$tmp/shard1" "$tmp/shard2" --out "$tmp/merged" --quiet
check "three shards merged give the same results.csv" cmp "$tmp/j1/results.csv" "$tmp/merged/results.csv"
check "merged JSON lines: one per row" test "$(wc -l < "$tmp/merged/results.jsonl")" -eq 68
SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=3 SLURM_ARRAY_TASK_COUNT=3 "$bin" sweep $sweep --out "$tmp/slurm2" --quiet
check "SLURM_ARRAY_TASK_* select shard 2/3" cmp <(sqlite3 "$tmp/slurm2/results.sqlite" 'SELECT point FROM results') \
  <(sqlite3 "$tmp/shard2/results.sqlite" 'SELECT point FROM results')

# Killed with SIGKILL once some points are stored, then resumed: the same results.
"$bin" sweep $sweep -j1 --out "$tmp/killed" --quiet &
pid=$!
for _ in $(seq 1 3000); do  # up to 30 s on a loaded machine
  (($(points "$tmp/killed") >= 3)) && break
  sleep 0.01
done
kill -9 $pid
wait $pid 2> /dev/null
stored=$(points "$tmp/killed")
check "killed after 3 and before 34 points ($stored stored)" test "$stored" -ge 3 -a "$stored" -lt 34
expect_exit 2 "add --resume to run only its missing points" "$bin" sweep $sweep --out "$tmp/killed"
expect_exit 0 "points are already there; running the other" "$bin" sweep $sweep --out "$tmp/killed" --resume -j2
check "killed and resumed gives the same results.csv" cmp "$tmp/j1/results.csv" "$tmp/killed/results.csv"
expect_exit 2 "was run in numerics mode; resume it the same way" \
  "$bin" sweep $sweep --out "$tmp/killed" --resume --timing-only
# Killed while creating its store: the store is made under a temporary name and renamed once
# its schema is committed, so what such a kill leaves (here, by hand) does not block --resume.
check "no store under its temporary name once created" test -z "$(ls "$tmp/j1" | grep creating)"
mkdir -p "$tmp/early" && : > "$tmp/early/results.sqlite.creating-99999"
check "a leftover from creating a store is not a store" "$bin" sweep $sweep --out "$tmp/early" --resume --quiet
check "a sweep killed while creating its store resumes from scratch" cmp "$tmp/j1/results.csv" "$tmp/early/results.csv"

# A worker killed mid-sweep: its point is recorded as an error, a new worker takes the rest, the
# sweep ends with exit 4; --resume runs the failed point again.
"$bin" sweep $sweep -j1 --out "$tmp/worker" --quiet 2> "$tmp/worker.err" &
pid=$!
for _ in $(seq 1 3000); do  # up to 30 s on a loaded machine
  (($(points "$tmp/worker") >= 2)) && break
  sleep 0.01
done
kill -9 "$(pgrep -P $pid | head -1)"
wait $pid
check "a dead worker's sweep finishes with exit 4" test $? -eq 4
check "the dead worker's point is an error row" grep -qF \
  "the worker process running this point died (killed by signal 9" "$tmp/worker/results.csv"
expect_exit 0 "running the other 1" "$bin" sweep $sweep --out "$tmp/worker" --resume
check "its point run again gives the same results.csv" cmp "$tmp/j1/results.csv" "$tmp/worker/results.csv"

# Refusals.
touch "$tmp/a-file"
expect_exit 2 "a-file: cannot create output directory" "$bin" sweep $sweep --out "$tmp/a-file"
cp -r "$tmp/shard1" "$tmp/tampered"
sqlite3 "$tmp/tampered/results.sqlite" "UPDATE results SET cycles = cycles + 1 WHERE kernel = 'neumann'"
expect_exit 2 "conflicting results for point 0 kernel neumann: cycles is" \
  "$bin" merge "$tmp/shard1" "$tmp/tampered" --out "$tmp/conflict"
check "a failed merge leaves no store" test ! -e "$tmp/conflict/results.sqlite"
cp -r "$tmp/shard2" "$tmp/old"
sqlite3 "$tmp/old/results.sqlite" "UPDATE meta SET value = '0.0.1' WHERE key = 'npusim'"
expect_exit 2 "written by npusim 0.0.1; this is npusim" "$bin" sweep $sweep --shard 2/3 --out "$tmp/old" --resume
expect_exit 2 "not shards of one sweep: their npusim differs" "$bin" merge "$tmp/shard1" "$tmp/old" --out "$tmp/m2"
expect_exit 2 "holds shard 2/3; this run is shard 1/3" "$bin" sweep $sweep --shard 1/3 --out "$tmp/shard2" --resume
expect_exit 2 "holds another sweep ('small')" "$bin" sweep tests/sweeps/invalid_points.yaml --out "$tmp/j1" --resume
echo "not a database" > "$tmp/garbage.sqlite"
expect_exit 2 "garbage.sqlite: not an npusim sweep store (file is not a database)" \
  "$bin" merge "$tmp/garbage.sqlite" --out "$tmp/m3"
expect_exit 0 "of the sweep's 34 points are missing" "$bin" merge "$tmp/shard1" --out "$tmp/partial"

# Points that cannot run are recorded with their message; the exit code says so.
expect_exit 4 "3 of 4 points failed (3 invalid, 0 error)" "$bin" sweep tests/sweeps/invalid_points.yaml -j2 \
  --out "$tmp/invalid" --quiet
expect_exit 4 "1 of 2 points failed (1 invalid, 0 error)" "$bin" sweep tests/sweeps/too_big.yaml -j2 \
  --max-memory 1GiB --out "$tmp/too_big" --quiet
check "a point too large for its share of --max-memory is invalid, with the estimate" grep -qF \
  "invalid,\"neumann with 1048576 chunks of 128 needs about" "$tmp/too_big/results.csv"
check "invalid rows carry the spec's message" grep -qF \
  "invalid,\"--set matrix.cube.m=0: matrix.cube.m: expected an integer in [1, 4096], got '0'\"" \
  "$tmp/invalid/results.csv"

echo "$passed passed, $failed failed"
((failed == 0))
