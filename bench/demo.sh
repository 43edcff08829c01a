#!/usr/bin/env bash
# `make demo`: shows the environments and replays Gymnasium's reference trajectories.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/ranklab
$bin envs
