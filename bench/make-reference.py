#!/usr/bin/env python3
"""Record reference trajectories from Gymnasium's own classic-control environments.

Writes one JSON file per (environment, seed) in the format of the shared reference README:
    {"env", "seed", "gymnasium_version", "reset_obs", "reset_state", "steps": [...]}
so that `ranklab check-reference DIR/*.json` can compare ranklab's environments with Gymnasium.

Usage:
    PY=$(bash bench/python-venv.sh)
    $PY bench/make-reference.py --seeds 0-9 --out /tmp/reference
    $PY bench/make-reference.py --seeds 5-19 --policy heuristic --out /tmp/reference-goal

--policy random draws actions from a generator independent of the environment (seeded with
--action-seed); --policy heuristic uses a simple controller that reaches the goal states
(MountainCar's flag, CartPole's time limit), so episode ends other than failure are covered.
"""
import argparse
import json
import os

import gymnasium as gym
import numpy as np

ENVS = ["CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1", "Pendulum-v1"]


def internal_state(env):
    state = env.unwrapped.state
    return [float(v) for v in np.asarray(state, dtype=np.float64).ravel()]


def heuristic_action(env_id, obs, rng):
    if env_id == "CartPole-v1":
        return int(obs[2] + 0.5 * obs[3] > 0)
    if env_id == "MountainCar-v0":
        return 2 if obs[1] >= 0 else 0
    if env_id == "MountainCarContinuous-v0":
        return np.array([1.0 if obs[1] >= 0 else -1.0], dtype=np.float32)
    if env_id == "Acrobot-v1":
        return int(rng.integers(3))
    return np.array([np.clip(-2.0 * obs[1] - 0.5 * obs[2], -2, 2)], dtype=np.float32)


def record(env_id, seed, policy, action_seed):
    env = gym.make(env_id)
    obs, _ = env.reset(seed=seed)
    out = {
        "env": env_id,
        "seed": seed,
        "gymnasium_version": gym.__version__,
        "reset_obs": [float(v) for v in obs],
        "reset_state": internal_state(env),
        "steps": [],
    }
    env.action_space.seed(action_seed + seed)
    rng = np.random.default_rng(action_seed + seed)
    while True:
        if policy == "random":
            action = env.action_space.sample()
        else:
            action = heuristic_action(env_id, obs, rng)
        obs, reward, terminated, truncated, _ = env.step(action)
        stored = [float(a) for a in np.ravel(action)] if isinstance(action, np.ndarray) else int(action)
        out["steps"].append({
            "action": stored,
            "obs": [float(v) for v in obs],
            "reward": float(reward),
            "terminated": bool(terminated),
            "truncated": bool(truncated),
        })
        if terminated or truncated:
            return out


def seed_range(text):
    seeds = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds += list(range(int(lo), int(hi or lo) + 1))
    return seeds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,3,7-9")
    parser.add_argument("--envs", default=",".join(ENVS))
    parser.add_argument("--policy", choices=["random", "heuristic"], default="random")
    parser.add_argument("--action-seed", type=int, default=1000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for env_id in args.envs.split(","):
        for seed in seed_range(args.seeds):
            data = record(env_id, seed, args.policy, args.action_seed)
            suffix = "" if args.policy == "random" else f"-{args.policy}"
            path = os.path.join(args.out, f"{env_id}-seed{seed}{suffix}.json")
            with open(path, "w") as f:
                json.dump(data, f)
            print(f"{path}: {len(data['steps'])} steps")


if __name__ == "__main__":
    main()
