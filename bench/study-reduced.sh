#!/bin/sh
# A reduced under-parameterization study for this 2-core machine: the shipped configs with
# K in {16, 64, 256}, maps 0 and 1, seeds 0 and 1 (the full study: 5 K x 4 maps x 3 seeds),
# everything else unchanged. Prints each config's wall time. Output: runs-reduced/<name>/.
#   swift build -c release && sh bench/study-reduced.sh [config names...]
set -eu
bin=${RANKLAB:-.build/release/ranklab}
out=${OUT:-runs-reduced}
mkdir -p "$out/configs"
names=${*:-fqi-gridworld-gradsteps qstar-gridworld fqi-gridworld-penalty mc-gridworld}
for name in $names; do
  sed -e 's/^seeds: \[0, 1, 2\]/seeds: [0, 1]/' \
    -e 's/values: \[0, 1, 2, 3\]/values: [0, 1]/' \
    -e 's/agent.fqi.k: \[16, 32, 64, 128, 256\]/agent.fqi.k: [16, 64, 256]/' \
    -e 's/agent.gradient_steps: \[16, 32, 64, 128, 256\]/agent.gradient_steps: [16, 64, 256]/' \
    "Configs/$name.yaml" >"$out/configs/$name.yaml"
  start=$(date +%s)
  "$bin" run "$out/configs/$name.yaml" --out "$out/$name" --quiet --force
  echo "$name: $(($(date +%s) - start)) s wall" | tee -a "$out/wall-times.txt"
done
