#!/usr/bin/env python3
"""Stable-Baselines3 SAC with the settings of a ranklab config, on one CPU thread.

Prints one JSON object: {"seed", "seconds", "final_return_mean", "final_return_std"}; the final
return is the mean of 20 deterministic evaluation episodes, as ranklab's eval/final_return_mean.
Usage: python bench/sb3_sac.py ENV_ID STEPS LEARNING_RATE SEED
"""
import json
import sys
import time

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import SAC
from stable_baselines3.common.evaluation import evaluate_policy

torch.set_num_threads(1)
env_id, steps, lr, seed = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
env = gym.make(env_id)
model = SAC("MlpPolicy", env, learning_rate=lr, seed=seed, device="cpu", verbose=0)
start = time.perf_counter()
model.learn(total_timesteps=steps)
seconds = time.perf_counter() - start
eval_env = gym.make(env_id)
eval_env.reset(seed=10_000 + seed)
returns, _ = evaluate_policy(
    model, eval_env, n_eval_episodes=20, deterministic=True, return_episode_rewards=True)
print(json.dumps({"seed": seed, "seconds": seconds, "final_return_mean": float(np.mean(returns)),
                  "final_return_std": float(np.std(returns))}))
