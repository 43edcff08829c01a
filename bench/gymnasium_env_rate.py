#!/usr/bin/env python3
"""Gymnasium's own steps per second for classic-control environments, random actions.

Same protocol as `ranklab bench envs` (single): `gymnasium.make(id)`, one reset with seed 0,
then `step` with actions drawn beforehand (a pool of 4096), resetting when an episode ends.
Prints one JSON object {"ID": steps_per_second, ...}.
"""
import json
import sys
import time

import gymnasium as gym

ENVS = ["CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1", "Pendulum-v1"]


def rate(env_id, seconds):
    env = gym.make(env_id)
    env.action_space.seed(12345)
    pool = [env.action_space.sample() for _ in range(4096)]
    env.reset(seed=0)
    steps = 0
    start = time.perf_counter()
    while True:
        for _ in range(1000):
            _, _, terminated, truncated, _ = env.step(pool[steps & 4095])
            steps += 1
            if terminated or truncated:
                env.reset()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return steps / elapsed


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    print(json.dumps({env_id: rate(env_id, seconds) for env_id in ENVS}))


if __name__ == "__main__":
    main()
