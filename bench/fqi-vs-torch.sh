#!/usr/bin/env bash
# One run of the under-parameterization protocol (Configs/fqi-gridworld-gradsteps.yaml: soft
# FQI, map 0, seed 0) in ranklab and in plain PyTorch (bench/fu_fqi_torch.py), one after the
# other on one thread each, and the ratio of their CPU times (user + system): the figure, since
# wall seconds on this shared machine move with others' load.
# Usage: bash bench/fqi-vs-torch.sh [K]   (default 64; 600 iterations either way)
set -euo pipefail
cd "$(dirname "$0")/.."
k=${1:-64}
bin=${RANKLAB:-.build/release/ranklab}
py=$(bash bench/python-venv.sh)
out=$(mktemp -d /tmp/ranklab-fqi-vs-torch.XXXXXX)
cpu() { # prints "user+sys wall" seconds of the command
  /usr/bin/time -f "%U %S %e" -o "$out/time" "$@" >"$out/log" 2>&1 || { cat "$out/log" >&2; exit 1; }
  awk '{printf "%.1f %.1f\n", $1 + $2, $3}' "$out/time"
}
read -r ours ours_wall < <(OPENBLAS_NUM_THREADS=1 cpu "$bin" run Configs/fqi-gridworld-gradsteps.yaml \
  --seeds 0 --set env.map_seed=0 --set agent.fqi.k="$k" --out "$out/ranklab")
srank=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['final_srank'])" \
  "$(find "$out/ranklab" -name summary.json | head -n 1)")
read -r theirs theirs_wall < <(OMP_NUM_THREADS=1 cpu "$py" bench/fu_fqi_torch.py --k "$k" \
  --iterations 600 --map-seed 0 --seed 0)
torch_line=$(tail -n 1 "$out/log")
echo "K=$k, 600 iterations ($((k * 600)) gradient steps), one thread each:"
echo "  ranklab  cpu ${ours} s  wall ${ours_wall} s  final srank ${srank}"
echo "  pytorch  cpu ${theirs} s  wall ${theirs_wall} s  (${torch_line})"
awk -v a="$theirs" -v b="$ours" 'BEGIN {printf "  pytorch / ranklab CPU time: %.2fx\n", a / b}'
rm -rf "$out"
