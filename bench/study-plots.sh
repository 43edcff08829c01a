#!/bin/sh
# The figures of docs/under-parameterization.md, from the study's run directories
# (bench/study.sh's OUT). Maps are pooled with the seeds (the plot's default --pool map), so each
# line is one K: mean ± std over maps x seeds, diverged runs included.
#   sh bench/study-plots.sh runs docs/under-parameterization
set -eu
bin=${RANKLAB:-.build/release/ranklab}
runs=${1:-runs}
out=${2:-docs/under-parameterization}
mkdir -p "$out"
iterations="--metric rank/srank --x train/fitting_iterations"
"$bin" plot curves "$runs/fqi-gridworld-gradsteps" $iterations \
  --title "FQI (bootstrapped): srank against fitting iterations, each K" --out "$out/fqi-srank-iterations.png"
"$bin" plot curves "$runs/qstar-gridworld" $iterations \
  --title "Q* regression (exact targets): srank against fitting iterations, each K" --out "$out/qstar-srank-iterations.png"
"$bin" plot curves "$runs/mc-gridworld" $iterations \
  --title "Monte-Carlo regression: srank against fitting iterations, each K" --out "$out/mc-srank-iterations.png"
"$bin" plot curves "$runs/fqi-gridworld-gradsteps" "$runs/qstar-gridworld" --metric rank/srank \
  --x train/gradient_steps --log-x \
  --title "srank against gradient steps: FQI and Q* regression, each K" --out "$out/srank-gradient-steps.png"
"$bin" plot curves "$runs/fqi-gridworld-equal-steps" --metric rank/srank --metric eval/return_mean \
  --x train/gradient_steps \
  --title "FQI with 38,400 gradient steps for every K" --out "$out/equal-steps.png"
"$bin" plot curves "$runs/fqi-gridworld-penalty" --metric rank/srank --metric rank/q_abs_max \
  --metric eval/return_mean --x train/fitting_iterations --log-y \
  --title "K = 64: the srank penalty (alpha 0.001) against none" --out "$out/penalty.png"
