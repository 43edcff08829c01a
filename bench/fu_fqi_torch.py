"""The protocol of Configs/fqi-gridworld-gradsteps.yaml in plain PyTorch, as a researcher would
write it, to time one run beside ranklab on the same machine (not to reproduce its numbers:
the map generator draws from numpy, not ranklab's PCG64 streams).

Fu et al. 2019's replay-buffer FQI on their 16x16 gridworld (docs/fu-protocol.md): 20% walls,
the goal the farthest of a random 25% of the free cells, dense reward max(0, 1 - L1(s, goal) /
L1(start, goal)) for the cell acted from, a goal that does not end the episode, 5% action
noise, 50-step episodes, row/column one-hot observations. Each fitting iteration adds 64
transitions of the Boltzmann policy softmax(Q / tau) (tau = Fu's ent_wt, 0.1 as the study's
configs; 0: greedy) to a buffer that never evicts, then takes K Adam steps (5e-3, batch 128,
MSE) toward the frozen target r + 0.95 tau logsumexp(Q_target(s') / tau) (the max at tau 0);
srank of the 256 penultimate features on every reachable state every 10 iterations. One
thread, as ranklab's BLAS.

  PY=$(bash bench/python-venv.sh); $PY bench/fu_fqi_torch.py --k 64 --iterations 600
"""
import argparse
import time

import numpy as np
import torch

MOVES = [(-1, 0), (0, 1), (1, 0), (0, -1), (0, 0)]  # up, right, down, left, stay


def make_map(size, seed, wall_fraction=0.2):
    rng = np.random.default_rng(seed)
    start = (size // 2) * size + size // 2
    cells = [c for c in range(size * size) if c != start]
    rng.shuffle(cells)
    walls = set(cells[: int(wall_fraction * size * size)])
    free = cells[len(walls):]
    candidates = free[: size * size // 4]
    reachable = reachable_cells(size, walls, start)
    distance = lambda c: np.hypot(c // size - start // size, c % size - start % size)
    goal = max((c for c in candidates if c in reachable), key=distance)
    return walls, start, goal, sorted(reachable)


def reachable_cells(size, walls, start):
    seen, frontier = {start}, [start]
    while frontier:
        cell = frontier.pop()
        for dr, dc in MOVES[:4]:
            r, c = cell // size + dr, cell % size + dc
            nxt = r * size + c
            if 0 <= r < size and 0 <= c < size and nxt not in walls and nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return seen


class FuGrid:
    def __init__(self, size, seed, rng):
        self.size = size
        self.walls, self.start, self.goal, self.states = make_map(size, seed)
        self.start_distance = max(1, self.l1(self.start, self.goal))
        self.rng = rng

    def l1(self, a, b):
        return abs(a // self.size - b // self.size) + abs(a % self.size - b % self.size)

    def observe(self, cell):
        obs = np.zeros(2 * self.size, dtype=np.float32)
        obs[cell // self.size] = 1
        obs[self.size + cell % self.size] = 1
        return obs

    def reset(self):
        self.cell, self.t = self.start, 0
        return self.observe(self.cell)

    def step(self, action):
        if self.rng.random() < 0.05:
            action = self.rng.integers(5)
        reward = max(0.0, 1 - self.l1(self.cell, self.goal) / self.start_distance)
        dr, dc = MOVES[action]
        r, c = self.cell // self.size + dr, self.cell % self.size + dc
        nxt = r * self.size + c
        if 0 <= r < self.size and 0 <= c < self.size and nxt not in self.walls:
            self.cell = nxt
        self.t += 1
        return self.observe(self.cell), reward, self.t >= 50


class QNetwork(torch.nn.Module):
    def __init__(self, inputs, actions):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Linear(inputs, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
            torch.nn.ReLU())
        self.head = torch.nn.Linear(256, actions)

    def forward(self, x):
        return self.head(self.body(x))


def srank(features, delta=0.01):
    sigma = torch.linalg.svdvals(features)
    cumulative = torch.cumsum(sigma, 0) / sigma.sum()
    return int((cumulative < 1 - delta).sum()) + 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=600)
    parser.add_argument("--map-seed", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--entropy-weight", type=float, default=0.1)
    args = parser.parse_args()
    tau = args.entropy_weight
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    env = FuGrid(16, args.map_seed, rng)
    q = QNetwork(32, 5)
    target = QNetwork(32, 5)
    optimizer = torch.optim.Adam(q.parameters(), lr=5e-3)
    probe = torch.tensor(np.stack([env.observe(s) for s in env.states]))
    capacity = 64 * args.iterations
    obs_buf = np.zeros((capacity, 32), np.float32)
    next_buf = np.zeros((capacity, 32), np.float32)
    act_buf = np.zeros(capacity, np.int64)
    rew_buf = np.zeros(capacity, np.float32)
    size = 0
    obs = env.reset()
    start = time.time()
    for iteration in range(args.iterations):
        for _ in range(64):
            with torch.no_grad():
                values = q(torch.from_numpy(obs))
                if tau > 0:
                    action = int(torch.multinomial(torch.softmax(values / tau, 0), 1))
                else:
                    action = int(values.argmax())
            nxt, reward, done = env.step(action)
            obs_buf[size], act_buf[size], rew_buf[size], next_buf[size] = obs, action, reward, nxt
            size += 1
            obs = env.reset() if done else nxt
        target.load_state_dict(q.state_dict())
        for _ in range(args.k):
            idx = rng.integers(size, size=128)
            o, a = torch.from_numpy(obs_buf[idx]), torch.from_numpy(act_buf[idx])
            r, n = torch.from_numpy(rew_buf[idx]), torch.from_numpy(next_buf[idx])
            with torch.no_grad():
                next_values = target(n)
                if tau > 0:
                    soft = tau * torch.logsumexp(next_values / tau, 1)
                else:
                    soft = next_values.max(1).values
                y = r + 0.95 * soft  # time limits are not terminal
            loss = ((q(o).gather(1, a[:, None]).squeeze(1) - y) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if (iteration + 1) % 10 == 0:
            with torch.no_grad():
                rank = srank(q.body(probe))
    elapsed = time.time() - start
    print(f"K={args.k} iterations={args.iterations} gradient_steps={args.k * args.iterations} "
          f"final_srank={rank} wall_s={elapsed:.1f} ms_per_gradient_step={1e3 * elapsed / (args.k * args.iterations):.3f}")


if __name__ == "__main__":
    main()
