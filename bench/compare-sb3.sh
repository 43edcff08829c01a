#!/usr/bin/env bash
# ranklab against Stable-Baselines3 (torch on CPU) on the same task and settings, one thread
# each, run one after the other in one invocation on this machine: wall-clock, their ratio, and
# the final greedy evaluation return (20 episodes) of each.
#   dqn: DQN on CartPole-v1, 50k steps, rl-zoo budget and schedule (Configs/dqn-cartpole.yaml)
#   sac: SAC on Pendulum-v1, rl-zoo settings: 20k steps, lr 1e-3 (Configs/sac-pendulum.yaml)
# Usage: bash bench/compare-sb3.sh dqn|sac [SEED ...]      (default: seed 0)
set -euo pipefail
cd "$(dirname "$0")/.."
algorithm=${1:?usage: bash bench/compare-sb3.sh dqn|sac [SEED ...]}
shift
case "$algorithm" in
  dqn) config=Configs/dqn-cartpole.yaml; anchor=(bench/sb3_dqn_cartpole.py) ;;
  sac) config=Configs/sac-pendulum.yaml; anchor=(bench/sb3_sac.py Pendulum-v1 20000 1e-3) ;;
  *) echo "bench/compare-sb3.sh: unknown algorithm '$algorithm' (use dqn or sac)" >&2; exit 2 ;;
esac
make -s deps
swift build -c release >&2
PY=$(bash bench/python-venv.sh)
seeds=("${@:-0}")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "$config against Stable-Baselines3 ($("$PY" -c 'import stable_baselines3; print(stable_baselines3.__version__)'))"
printf "%-6s %12s %12s %8s %16s %16s\n" seed "ranklab s" "SB3 s" ratio "ranklab return" "SB3 return"
for seed in "${seeds[@]}"; do
  start=$(date +%s.%N)
  OPENBLAS_NUM_THREADS=1 .build/release/ranklab run "$config" --seed "$seed" --out "$out" --quiet --force >/dev/null
  end=$(date +%s.%N)
  theirs=$(OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$PY" "${anchor[@]}" "$seed")
  python3 - "$seed" "$start" "$end" "$out/$seed/summary.json" "$theirs" <<'PYEOF'
import json, sys
seed, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
ours = json.load(open(sys.argv[4]))["final_return_mean"]
sb3 = json.loads(sys.argv[5])
t = end - start
print(f"{seed:6s} {t:12.1f} {sb3['seconds']:12.1f} {sb3['seconds'] / t:7.1f}x {ours:16.1f} {sb3['final_return_mean']:16.1f}")
PYEOF
done
