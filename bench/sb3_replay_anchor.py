#!/usr/bin/env python3
"""Stable-Baselines3's ReplayBuffer as the anchor for `ranklab bench replay`'s sampling.

Usage: sb3_replay_anchor.py --observation-floats W --transitions N --batch B --seconds S
Builds SB3's ReplayBuffer (numpy arrays, float32 observations, next observations stored apart,
as SB3's DQN uses it) holding N transitions of W-float observations and one discrete action,
touches every page, then times `sample(B)` (uniform indices, fancy-indexed copies, torch
tensors on CPU) for about S seconds. Prints one JSON object: sample_us, stored_mb (the
arrays' bytes), peak_rss_mib, sb3_version.
"""
import argparse
import json
import resource
import time

import gymnasium as gym
import numpy as np
import stable_baselines3
import torch
from stable_baselines3.common.buffers import ReplayBuffer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--observation-floats", type=int, required=True)
    parser.add_argument("--transitions", type=int, required=True)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    observation_space = gym.spaces.Box(-np.inf, np.inf, (args.observation_floats,), np.float32)
    buffer = ReplayBuffer(
        args.transitions, observation_space, gym.spaces.Discrete(4), device="cpu", n_envs=1
    )
    # Every page written (as a filled buffer's are), without paying for a million add() calls.
    rng = np.random.default_rng(0)
    buffer.observations[:] = 1.0
    buffer.next_observations[:] = 1.0
    buffer.actions[:] = rng.integers(0, 4, buffer.actions.shape)
    buffer.rewards[:] = 1.0
    buffer.dones[:] = 0.0
    buffer.timeouts[:] = 0.0
    buffer.full = True
    np.random.seed(11)
    for _ in range(3):
        buffer.sample(args.batch)
    batches = 0
    start = time.perf_counter()
    while batches < 20_000 and time.perf_counter() - start < args.seconds:
        buffer.sample(args.batch)
        batches += 1
    seconds = time.perf_counter() - start
    stored = sum(
        a.nbytes
        for a in (buffer.observations, buffer.next_observations, buffer.actions, buffer.rewards,
                  buffer.dones, buffer.timeouts)
    )
    print(json.dumps({
        "sample_us": seconds / batches * 1e6,
        "stored_mb": stored / 1e6,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "sb3_version": stable_baselines3.__version__,
    }))


if __name__ == "__main__":
    main()
