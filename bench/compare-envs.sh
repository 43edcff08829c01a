#!/usr/bin/env bash
# Environment steps per second: ranklab (release build, one thread) beside Gymnasium's own
# Python environments, measured in one run on this machine, with the ratio.
# Usage: bash bench/compare-envs.sh [SECONDS_PER_GYMNASIUM_ENV]
set -euo pipefail
cd "$(dirname "$0")/.."
make -s deps
swift build -c release >&2
PY=$(bash bench/python-venv.sh)
ours=$(OPENBLAS_NUM_THREADS=1 .build/release/ranklab bench envs --json)
theirs=$("$PY" bench/gymnasium_env_rate.py "${1:-3}")
python3 - "$ours" "$theirs" <<'PYEOF'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'environment':28s}{'ranklab single':>16s}{'ranklab batched':>17s}{'gymnasium':>12s}{'ratio':>9s}")
for env_id, rates in ours.items():
    gym = theirs.get(env_id)
    ratio = f"{rates['single'] / gym:8.0f}x" if gym else "        -"
    gym_text = f"{gym:12.0f}" if gym else f"{'-':>12s}"
    print(f"{env_id:28s}{rates['single']:16.0f}{rates['batched']:17.0f}{gym_text}{ratio}")
PYEOF
