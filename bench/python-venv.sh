#!/usr/bin/env bash
# Creates (once) bench/.venv with the Python anchors ranklab is measured against: Gymnasium's
# own environments, Stable-Baselines3 DQN on CPU torch, and the zstandard package. Prints the
# venv's python path. Usage: PY=$(bash bench/python-venv.sh)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import gymnasium, stable_baselines3, zstandard" 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q "gymnasium==1.2.0" numpy zstandard >&2
  # torch: these machines carry a CPU build in PIP_FIND_LINKS, which pip prefers; elsewhere the
  # default wheel works too, only larger.
  "$venv/bin/pip" install -q torch >&2
  "$venv/bin/pip" install -q stable-baselines3 >&2
fi
echo "$venv/bin/python"
