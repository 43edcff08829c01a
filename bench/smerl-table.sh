#!/usr/bin/env bash
# SMERL's few-shot table: trains a config with smerl.mode smerl, diayn and none (plain SAC),
# and optionally a DQN config, on the given seeds, then adapts every run to each test
# environment (`ranklab adapt`: each latent 5 trial episodes, the best scored on 20 fresh ones)
# and prints the mean over seeds of the chosen latent's return, with the discriminator's final
# accuracy and the latents' visitation distance (gridworlds).
# Usage: bash bench/smerl-table.sh CONFIG "SEEDS" "TEST_SET ..." ["DQN_CONFIG [--set ...]"]
#   bash bench/smerl-table.sh Configs/smerl-routes.yaml "0 1 2" \
#     "env.id=gridworld/two-routes env.id=gridworld/two-routes-blocked env.id=gridworld/two-routes-upper-blocked" \
#     "Configs/dqn-gridworld.yaml --set env.id=gridworld/two-routes --set steps=40000"
set -euo pipefail
cd "$(dirname "$0")/.."
config=$1
seeds=($2)
tests=($3)
dqn=${4:-}
bin=${RANKLAB:-.build/release/ranklab}
out=${OUT:-runs/smerl-table}
seed_list=$(IFS=,; echo "${seeds[*]}")
for mode in smerl diayn none; do
  OPENBLAS_NUM_THREADS=1 $bin run "$config" --seeds "$seed_list" --set smerl.mode=$mode \
    --out "$out/$mode" --force --quiet >/dev/null
done
if [ -n "$dqn" ]; then
  # shellcheck disable=SC2086  # the DQN config and its --set options, split on purpose
  OPENBLAS_NUM_THREADS=1 $bin run $dqn --seeds "$seed_list" --out "$out/dqn" --force --quiet >/dev/null
fi
results=$(mktemp)
for method in smerl diayn none ${dqn:+dqn}; do
  for seed in "${seeds[@]}"; do
    run="$out/$method/$seed"
    for test in "${tests[@]}"; do
      echo "$method $seed $test $($bin adapt "$run" --set "$test" --json)" >> "$results"
    done
    vis=$($bin plot visitation "$run" --out "$run/visitation.svg" 2>/dev/null | sed -n 's/.*total variation \([0-9.]*\).*/\1/p' || true)
    echo "$method $seed visitation ${vis:-nan}" >> "$results"
  done
done
python3 - "$results" "$out" <<'PYEOF'
import json, sys, statistics, pathlib
rows = [line.split(" ", 3) for line in open(sys.argv[1]).read().splitlines()]
out = pathlib.Path(sys.argv[2])
methods = list(dict.fromkeys(r[0] for r in rows))
tests = list(dict.fromkeys(r[2] for r in rows if r[2] != "visitation"))
def fmt(values):
    return f"{statistics.mean(values):7.3f} ± {statistics.pstdev(values):.3f}" if values else "-"
print("method   " + "  ".join(f"{t.split('=')[-1][:28]:>28s}" for t in tests) + "   disc. acc.   visit TV   wall s")
for m in methods:
    cells = []
    for t in tests:
        vals = [json.loads(r[3])["return_mean"] for r in rows if r[0] == m and r[2] == t]
        cells.append(f"{fmt(vals):>28s}")
    acc, walls = [], []
    for seed_dir in sorted((out / m).glob("*")):
        lines = [json.loads(l) for l in open(seed_dir / "metrics.jsonl")]
        a = [l["smerl/discriminator_accuracy"] for l in lines if "smerl/discriminator_accuracy" in l]
        if a: acc.append(a[-1])
        s = json.load(open(seed_dir / "summary.json"))
        walls.append(sum(v for k, v in s.get("time_seconds", {}).items() if k == "total"))
    vis = [float(r[3]) for r in rows if r[0] == m and r[2] == "visitation" and r[3] != "nan"]
    print(f"{m:8s} " + "  ".join(cells) + f"   {fmt(acc) if acc else '-':>10s}   {fmt(vis) if vis else '-':>8s}   {statistics.mean(walls) if walls else 0:6.0f}")
PYEOF
rm -f "$results"
