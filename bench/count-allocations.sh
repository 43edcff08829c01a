#!/usr/bin/env bash
# Shows that the hot paths allocate nothing per step: counts malloc/calloc/realloc calls (an
# LD_PRELOAD shim) for two lengths of the same work and prints the difference per step.
#   1. environment stepping (ranklab bench envs), per environment;
#   2. DQN training on CartPole (env step, action selection, replay insert, sampling,
#      forward/backward, Adam), with evaluation, rank measurement and logging switched off.
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
  count .build/release/ranklab run Configs/dqn-cartpole.yaml --out "$out" --force --quiet --set steps="$1" \
    --set eval.every=1000000 --set eval.final_episodes=1 --set rank.every=0 --set log.every=1000000 \
    --set checkpoint.every=0 --set log.tensorboard=false
}
a=$(train 20000)
b=$(train 40000)
python3 -c "print(f'DQN CartPole training: {$a} calls for 20k steps, {$b} for 40k: {($b - $a) / 20000:.4f} per environment step')"
rm -rf "$out"
