#!/bin/sh
# The whole under-parameterization study (the five gridworld configs, 5 K x 4 maps x 3 seeds
# each) as one command, seed by seed, so that an interrupted study already holds every K and
# map for the seeds it finished. `ranklab sweep` skips finished runs and resumes unfinished
# ones: running this again after any failure does only the missing work. Prints each pass's
# wall time (also appended to $OUT/wall-times.txt).
#   swift build -c release && sh bench/study.sh [config names...]
#   JOBS=2 SEEDS="0 1 2" OUT=runs sh bench/study.sh fqi-gridworld-gradsteps qstar-gridworld
set -eu
bin=${RANKLAB:-.build/release/ranklab}
out=${OUT:-runs}
jobs=${JOBS:-2}
seeds=${SEEDS:-0 1 2}
names=${*:-fqi-gridworld-gradsteps qstar-gridworld mc-gridworld fqi-gridworld-penalty fqi-gridworld-equal-steps}
mkdir -p "$out"
for seed in $seeds; do
  for name in $names; do
    start=$(date +%s)
    "$bin" sweep "Configs/$name.yaml" --seeds "$seed" --jobs "$jobs" --out "$out/$name"
    echo "$name seed $seed: $(($(date +%s) - start)) s wall, $jobs jobs" | tee -a "$out/wall-times.txt"
  done
done
