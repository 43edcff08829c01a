#!/usr/bin/env bash
# Shows that the hot paths allocate nothing per step: counts malloc/calloc/realloc calls (an
# LD_PRELOAD shim) for two lengths of the same work and prints the difference per step.
#   1. environment stepping (ranklab bench envs), per environment;
#   2. DQN training on CartPole (env step, action selection, replay insert, sampling,
#      forward/backward, Adam), with evaluation, rank measurement and logging switched off;
#   3. the same for SAC on Pendulum (continuous) and on four rooms (discrete), one gradient
#      step per environment step, and for CSC (safety.method csc) on point-nav and lava.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s deps
swift build -c release >&2
shim=$(mktemp -d)/malloc_counter.so
gcc -O2 -shared -fPIC -o "$shim" bench/malloc_counter.c
count() {
  local file
  file=$(mktemp)
  MALLOC_COUNT_FILE="$file" LD_PRELOAD="$shim" "$@" >/dev/null 2>&1
  cat "$file"
}

printf "%-28s %14s %14s %18s\n" environment "calls@100k" "calls@1M" "per step (diff)"
for env in CartPole-v1 MountainCarContinuous-v0 Acrobot-v1 Pendulum-v1 gridworld/four-rooms gridworld/fu; do
  a=$(count .build/release/ranklab bench envs --env "$env" --steps 100000)
  b=$(count .build/release/ranklab bench envs --env "$env" --steps 1000000)
  python3 -c "print(f'{\"$env\":28s} {$a:14d} {$b:14d} {($b - $a) / 1.8e6:18.6f}')"
done

out=$(mktemp -d)
train() {
  local config=$1 steps=$2
  count .build/release/ranklab run "$config" --out "$out" --force --quiet --set steps="$steps" \
    --set eval.every=1000000 --set eval.final_episodes=1 --set rank.every=0 --set log.every=1000000 \
    --set checkpoint.every=0 --set log.tensorboard=false --set eval.record=0
}
per_step() {
  local name=$1 config=$2 short=$3 long=$4
  a=$(train "$config" "$short")
  b=$(train "$config" "$long")
  python3 -c "print(f'$name: {$a} calls for $short steps, {$b} for $long: {($b - $a) / ($long - $short):.4f} per environment step')"
}
per_step "DQN CartPole training" Configs/dqn-cartpole.yaml 20000 40000
per_step "SAC Pendulum training" Configs/sac-pendulum.yaml 2000 4000
per_step "discrete SAC four-rooms training" Configs/sac-discrete-gridworld.yaml 2000 4000
per_step "CSC point-nav training (100 candidates per action)" Configs/csc-point.yaml 2000 4000
per_step "CSC lava training (discrete)" Configs/csc-lava.yaml 2000 4000
rm -rf "$out"
