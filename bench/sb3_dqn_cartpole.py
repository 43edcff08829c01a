#!/usr/bin/env python3
"""Stable-Baselines3 DQN on CartPole-v1 with the rl-zoo hyperparameters, on one CPU thread.

Prints one JSON object: {"seed", "seconds", "final_return_mean", "final_return_std"}; the final
return is the mean of 20 deterministic (greedy) evaluation episodes, as ranklab's
eval/final_return_mean. Usage: python bench/sb3_dqn_cartpole.py SEED
"""
import json
import sys
import time

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import DQN
from stable_baselines3.common.evaluation import evaluate_policy

torch.set_num_threads(1)
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
env = gym.make("CartPole-v1")
model = DQN(
    "MlpPolicy", env, learning_rate=2.3e-3, batch_size=64, buffer_size=100_000,
    learning_starts=1000, gamma=0.99, target_update_interval=10, train_freq=256,
    gradient_steps=128, exploration_fraction=0.16, exploration_final_eps=0.04,
    policy_kwargs=dict(net_arch=[256, 256]), seed=seed, device="cpu", verbose=0,
)
start = time.perf_counter()
model.learn(total_timesteps=50_000)
seconds = time.perf_counter() - start
eval_env = gym.make("CartPole-v1")
eval_env.reset(seed=10_000 + seed)
returns, _ = evaluate_policy(model, eval_env, n_eval_episodes=20, deterministic=True, return_episode_rewards=True)
print(json.dumps({"seed": seed, "seconds": seconds, "final_return_mean": float(np.mean(returns)),
                  "final_return_std": float(np.std(returns))}))
