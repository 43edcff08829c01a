#!/usr/bin/env bash
# `make test`'s real-Slurm check: starts a private one-machine Slurm (bench/local-slurm.sh,
# installing slurm-wlm and munge if missing), submits a tiny sweep through
# `ranklab sweep --backend slurm`, waits for every task, checks `ranklab status` (queued tasks
# while they wait, two tasks that died before their runs began shown failed), retries those with
# --retry-failed, checks every run is done, and stops the daemons by pid. Any step that does not
# happen fails the test: Slurm that cannot start is a failure, never a skip.
# Usage: Tests/Slurm/sweep-through-slurm.sh [RANKLAB_BINARY]   (default .build/debug/ranklab)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$here/.build/debug/ranklab}
fail() { echo "slurm test FAILED: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "no ranklab binary at $bin (swift build first)"
[ "$(id -u)" = 0 ] || fail "needs root to install and run slurmctld, slurmd and munged"

work=$(mktemp -d /tmp/ranklab-slurm-test.XXXXXX)
# munged runs as the munge user, who must reach its socket below here.
chmod 755 "$work"
export SLURM_LOCAL=$work/slurm
# A port pair nothing listens on, so another Slurm on this machine is left alone.
for _ in $(seq 1 50); do
  SLURM_PORT=$((20000 + RANDOM % 20000))
  if ! ss -ltn 2>/dev/null | grep -qE ":($SLURM_PORT|$((SLURM_PORT + 1)))\b"; then break; fi
done
export SLURM_PORT
export SLURM_CONF=$SLURM_LOCAL/slurm.conf
cleanup() { "$here/bench/local-slurm.sh" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
started=$(date +%s)
"$here/bench/local-slurm.sh" start || fail "Slurm did not start (logs in $SLURM_LOCAL)"

# Four runs of a few hundred steps; the section's partition does not exist, so the runs only
# go through if --partition wins over it.
cat >"$work/tiny.yaml" <<'YAML'
name: slurm-test
seeds: [0, 1]
steps: 300
env: {id: gridworld/four-rooms, observation: rowcol_onehot}
agent:
  network: {hidden: [8]}
  batch_size: 16
  train_freq: 4
  learning_starts: 100
replay: {capacity: 500}
eval: {every: 300, episodes: 1, final_episodes: 1}
rank: {every: 150, probe_size: 16}
checkpoint: {every: 150}
log: {every: 150}
slurm: {partition: no-such-partition, time: "10:00", cpus_per_task: 1}
sweep:
  agent.learning_rate: {label: lr, values: [1e-3, 3e-3]}
YAML
out=$work/out
sweep=("$bin" sweep "$work/tiny.yaml" --out "$out" --backend slurm --partition local)
# A file where one variant's directory belongs: its two tasks die before their runs begin.
mkdir -p "$out"
touch "$out/lr=3e-3"

wait_for_queue() {
  for _ in $(seq 1 240); do
    if ! squeue -h -o %i | grep -q .; then return 0; fi
    sleep 0.5
  done
  squeue >&2
  fail "tasks still queued after 120 s"
}

submitted=$("${sweep[@]}" --jobs 1)
echo "$submitted"
echo "$submitted" | grep -q "submitted 4 of 4 runs as Slurm job" || fail "the sweep was not submitted"
grep -q -- "--array=0-3%1" "$out/sweep.sbatch" || fail "sweep.sbatch: no --array=0-3%1"
grep -q -- "--partition=local" "$out/sweep.sbatch" || fail "--partition did not win over slurm.partition"
grep -q -- "--time=10:00" "$out/sweep.sbatch" || fail "slurm.time is not in sweep.sbatch"
# One task at a time: right after submission the others wait in the queue.
early=$("$bin" status "$out")
echo "$early"
echo "$early" | grep -qE "^queued .*Slurm [0-9]+_[0-9]+ PENDING" || fail "status shows no queued task"
again=$("${sweep[@]}")
echo "$again" | grep -q "nothing to submit" || fail "a second submission resubmitted queued runs: $again"

wait_for_queue
status=$("$bin" status "$out")
echo "$status"
echo "$status" | grep -q "4 runs: 2 done, 0 running, 2 failed, 0 interrupted, 0 queued, 0 pending" \
  || fail "status after the sweep"
echo "$status" | grep -q "ended before the run began" || fail "the dead task is not explained"

rm "$out/lr=3e-3"
retried=$("${sweep[@]}" --retry-failed)
echo "$retried"
echo "$retried" | grep -q "submitted 2 of 4 runs (those that stopped unfinished)" \
  || fail "--retry-failed did not submit exactly the failed runs"
grep -q -- "--array=2-3$" "$out/sweep.sbatch" || fail "the retry's array is not the failed tasks' indices"
wait_for_queue
final=$("$bin" status "$out")
echo "$final"
echo "$final" | grep -q "4 runs: 4 done, 0 running, 0 failed, 0 interrupted, 0 queued, 0 pending" \
  || fail "not every run finished"
"$here/bench/local-slurm.sh" stop
trap - EXIT
for pidfile in "$SLURM_LOCAL"/slurmd.pid "$SLURM_LOCAL"/slurmctld.pid "$SLURM_LOCAL"/munge/munged.pid; do
  [ ! -e "$pidfile" ] || fail "$pidfile left behind"
done
rm -rf "$work"
echo "slurm test passed in $(($(date +%s) - started)) s"
