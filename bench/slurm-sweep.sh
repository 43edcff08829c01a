#!/usr/bin/env bash
# Submits a small sweep through a local Slurm (bench/local-slurm.sh) and waits for every run to
# finish, then checks that each run's metrics equal the same sweep run by the local pool
# (wall-clock keys aside). Usage: bench/slurm-sweep.sh [CONFIG] (default: a 4-run gridworld sweep).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${RANKLAB:-$here/.build/release/ranklab}
work=$(mktemp -d /tmp/ranklab-slurm-sweep.XXXXXX)
config=${1:-$work/sweep.yaml}
if [ -z "${1:-}" ]; then
  cat >"$config" <<'YAML'
name: slurm-check
seeds: [0, 1]
steps: 2000
env: {id: gridworld/four-rooms, observation: rowcol_onehot}
agent:
  network: {hidden: [32, 32]}
  batch_size: 32
  train_freq: 4
  learning_starts: 200
replay: {capacity: 2000}
eval: {every: 1000, episodes: 3, final_episodes: 3}
rank: {every: 500, probe_size: 64}
checkpoint: {every: 500}
sweep:
  agent.learning_rate: {label: lr, values: [1e-3, 3e-3]}
YAML
fi
"$here/bench/local-slurm.sh" start
# The daemons go when this script does, whatever the outcome.
trap '"$here/bench/local-slurm.sh" stop' EXIT
export SLURM_CONF=${SLURM_LOCAL:-/tmp/ranklab-slurm}/slurm.conf
start=$(date +%s.%N)
"$bin" sweep "$config" --backend slurm --jobs 2 --out "$work/slurm"
while squeue -h | grep -q ranklab; do sleep 1; done
end=$(date +%s.%N)
echo "slurm sweep wall time: $(echo "$end - $start" | bc) s"
"$bin" status "$work/slurm"
"$bin" sweep "$config" --jobs 2 --out "$work/local" --quiet
strip() { sed -E 's/,"(time\/steps_per_s|replay\/sample_us)":[^,}]*//g' "$1"; }
same=0; total=0
while read -r run; do
  total=$((total + 1))
  if cmp -s <(strip "$work/slurm/$run/metrics.jsonl") <(strip "$work/local/$run/metrics.jsonl"); then
    same=$((same + 1))
  else
    echo "differs: $run"
  fi
done < <(python3 -c "import json,sys; print('\n'.join(json.load(open(sys.argv[1]))['runs']))" "$work/slurm/sweep.json")
echo "$same of $total runs identical to the local pool's ($work)"
[ "$same" = "$total" ]
