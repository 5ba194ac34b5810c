#!/usr/bin/env bash
# A real Slurm job array: a private single-node cluster (munged, slurmctld, slurmd as root, all
# state in a temporary directory) runs scripts/slurm/sweep.sbatch with three shards and its merge
# job; the merged results.csv must equal a single `npusim sweep -j2` run. Each daemon is stopped by
# the PID it wrote. Needs root (the daemons run as SlurmUser=root); otherwise it is skipped.
# usage: slurm_array.sh NPUSIM   (from the source directory; exit 77 = skipped)
set -u
bin=$(realpath "$1")
if [[ $(id -u) -ne 0 ]]; then
  echo "skipped: the Slurm job-array test starts munged, slurmctld and slurmd as root; run the tests as root"
  exit 77
fi
for d in munged slurmctld slurmd sbatch squeue; do
  if ! command -v $d > /dev/null && ! [[ -x /usr/sbin/$d ]]; then
    echo "FAIL: $d is missing (scripts/setup installs slurm-wlm and munge)"
    exit 1
  fi
done
PATH=$PATH:/usr/sbin
tmp=$(mktemp -d /tmp/npusim-slurm.XXXXXX)
cleanup() {
  for pidfile in "$tmp/slurmd.pid" "$tmp/slurmctld.pid" "$tmp/munge/munged.pid"; do
    [[ -s "$pidfile" ]] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2> /dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2> /dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for log in "$tmp"/log/*.log "$tmp"/out/slurm-*.out; do [[ -f "$log" ]] && { echo "--- $log"; tail -20 "$log"; }; done
  echo "0 passed, 1 failed"
  exit 1
}

mkdir -p "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/munge"
head -c 1024 /dev/urandom > "$tmp/munge/munge.key"
chmod 400 "$tmp/munge/munge.key"
chmod 700 "$tmp/munge"
munged --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/munge.socket" --pid-file="$tmp/munge/munged.pid" \
  --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/seed" --force || fail "munged did not start"
# Ports from this process's id, so that two test runs on one machine do not meet.
port=$((20000 + ($$ % 10000) * 2))
host=$(hostname -s)
cat > "$tmp/slurm.conf" << CONF
ClusterName=npusim$$
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -c || fail "slurmctld did not start"
slurmd -c || fail "slurmd did not start"
for _ in $(seq 1 100); do
  sinfo -h -o %T 2> /dev/null | grep -q idle && break
  sleep 0.1
done
sinfo -h -o %T | grep -q idle || fail "the node did not come up"

sweep=tests/sweeps/small.yaml
NPUSIM=$bin scripts/slurm/sweep.sbatch $sweep 3 "$tmp/out" --quiet > "$tmp/submitted" || fail "submission failed"
cat "$tmp/submitted"
merge=$(sed -E 's/.* as job ([0-9]+);.*/\1/' "$tmp/submitted")
for _ in $(seq 1 600); do
  [[ -z "$(squeue -h 2> /dev/null)" ]] && break
  sleep 0.1
done
state=$(scontrol show job "$merge" 2> /dev/null | grep -o 'JobState=[A-Z]*')
[[ "$state" == JobState=COMPLETED ]] || fail "merge job $merge: $state"
"$bin" sweep $sweep -j2 --out "$tmp/single" --quiet
for i in 1 2 3; do [[ -f "$tmp/out/shard-$i-of-3/results.sqlite" ]] || fail "shard $i wrote no store"; done
cmp "$tmp/out/results.csv" "$tmp/single/results.csv" || fail "the merged shards differ from a single run"
echo "ok: 3 array tasks and the merge job equal a single -j2 run"
echo "1 passed, 0 failed"
