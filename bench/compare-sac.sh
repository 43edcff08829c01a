#!/usr/bin/env bash
# SAC on Pendulum-v1, rl-zoo's settings (20k steps, lr 1e-3, SB3 defaults otherwise): ranklab
# (Configs/sac-pendulum.yaml) against Stable-Baselines3 (torch on CPU), one thread each, one
# after the other on this machine: wall-clock, ratio and final greedy return (20 episodes).
# Usage: bash bench/compare-sac.sh [SEED ...]      (default: seed 0)
set -euo pipefail
cd "$(dirname "$0")/.."
make -s deps
swift build -c release >&2
PY=$(bash bench/python-venv.sh)
seeds=("${@:-0}")
out=$(mktemp -d)
printf "%-6s %12s %12s %8s %16s %16s\n" seed "ranklab s" "SB3 s" ratio "ranklab return" "SB3 return"
for seed in "${seeds[@]}"; do
  start=$(date +%s.%N)
  OPENBLAS_NUM_THREADS=1 .build/release/ranklab run Configs/sac-pendulum.yaml --seed "$seed" --out "$out" --quiet --force >/dev/null
  end=$(date +%s.%N)
  ours=$(python3 -c "import json; print(json.load(open('$out/$seed/summary.json'))['final_return_mean'])")
  theirs=$(OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$PY" bench/sb3_sac.py Pendulum-v1 20000 1e-3 "$seed")
  python3 - "$seed" "$start" "$end" "$ours" "$theirs" <<'PYEOF'
import json, sys
seed, start, end, ours = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
sb3 = json.loads(sys.argv[5])
t = end - start
print(f"{seed:6s} {t:12.1f} {sb3['seconds']:12.1f} {sb3['seconds'] / t:7.1f}x {ours:16.1f} {sb3['final_return_mean']:16.1f}")
PYEOF
done
rm -rf "$out"
