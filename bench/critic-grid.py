#!/usr/bin/env python3
"""SAC's critic Q1 and, for CSC, the safety critic Q_C on a 9 x 9 grid of 2-D actions at one
state of a run's first final-evaluation episode (docs/safety.md, "What the policies do").

  python3 bench/critic-grid.py RUN [STEP]     # RUN: runs/<name>[/<variant>]/<seed>, STEP: 60

Reads RUN/policy.rlck (the RLCK layout of Sources/RankLab/Checkpoint/CheckpointArchive.swift:
magic, version, count, then per section a UInt16 name length, the name, a UInt64 byte length, a
CRC-32C and the bytes) and the episode exported by `ranklab replay export ... --to csv`.
Networks are ranklab's MLP layout: per layer a fanOut x fanIn row-major weight, then the bias;
ReLU between layers (the shipped point-nav configs; another activation is refused). Needs numpy and `ranklab` on PATH or
RANKLAB set to the binary.
"""
import csv, os, re, struct, subprocess, sys, tempfile

import numpy as np


def sections(path):
    data = open(path, "rb").read()
    if data[:4] != b"RLCK":
        sys.exit(f"{path}: not a ranklab checkpoint (no RLCK magic)")
    _, count = struct.unpack_from("<II", data, 4)
    offset, out = 12, {}
    for _ in range(count):
        (length,) = struct.unpack_from("<H", data, offset)
        name = data[offset + 2 : offset + 2 + length].decode()
        offset += 2 + length
        (size,) = struct.unpack_from("<Q", data, offset)
        offset += 12
        out[name] = data[offset : offset + size]  # policy/meta is JSON, the networks Float32
        offset += size
    return out


def mlp(raw, sizes):
    parameters = np.frombuffer(raw, dtype=np.float32)
    layers, offset = [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        weight = parameters[offset : offset + fan_in * fan_out].reshape(fan_out, fan_in)
        offset += fan_in * fan_out
        layers.append((weight, parameters[offset : offset + fan_out]))
        offset += fan_out
    if offset != len(parameters):
        sys.exit(f"network of {len(parameters)} parameters does not have the sizes {sizes}")

    def forward(x):
        for k, (weight, bias) in enumerate(layers):
            x = x @ weight.T + bias
            if k < len(layers) - 1:
                x = np.maximum(x, 0)
        return x

    return forward


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    run, step = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 60
    config = open(os.path.join(run, "config.yaml")).read()
    # agent.network.hidden of the resolved config: a block list (as runs write it) or inline.
    block = re.search(r"^  network:\n    hidden:\n((?:    - \d+\n)+)", config, re.M)
    inline = re.search(r"hidden:\s*\[([^\]]*)\]", config)
    if block:
        hidden = [int(h) for h in re.findall(r"\d+", block.group(1))]
    elif inline:
        hidden = [int(h) for h in inline.group(1).split(",")]
    else:
        sys.exit(f"{run}/config.yaml: no agent.network.hidden")
    # The forward pass below is ReLU's; another activation would give wrong values silently.
    activation = re.search(r"^  network:\n(?:    .*\n)*?    activation: \"?(\w+)", config, re.M)
    if not activation or activation.group(1) != "relu":
        found = activation.group(1) if activation else "none found"
        sys.exit(f"{run}/config.yaml: agent.network.activation is {found}; this script knows relu only")
    binary = os.environ.get("RANKLAB", "ranklab")
    with tempfile.NamedTemporaryFile(suffix=".csv") as episode:
        subprocess.run(
            [binary, "replay", "export", os.path.join(run, "replays", "final-00.rlep"),
             "--to", "csv", "--out", episode.name], check=True, capture_output=True)
        rows = list(csv.DictReader(open(episode.name)))
    row = rows[min(step, len(rows) - 1)]
    d = sum(1 for k in row if re.fullmatch(r"obs_\d+", k))
    m = sum(1 for k in row if re.fullmatch(r"action_\d+", k))
    if m != 2:
        sys.exit(f"{run}: {m}-D actions; this grid is for 2-D continuous actions")
    observation = np.array([float(row[f"obs_{i}"]) for i in range(d)], dtype=np.float32)
    print(f"step {row['step']}: observation {np.round(observation, 3)}")
    print(f"recorded action ({float(row['action_0']):.2f}, {float(row['action_1']):.2f}), "
          f"Q {float(row['q_value_0']):.2f}")
    grid = np.linspace(-1, 1, 9)
    inputs = np.array([np.concatenate([observation, [ax, ay]]) for ay in grid[::-1] for ax in grid],
                      dtype=np.float32)
    parts = sections(os.path.join(run, "policy.rlck"))
    sizes = [d + m] + hidden + [1]
    np.set_printoptions(precision=3, suppress=True, linewidth=200)
    print("Q1: rows a_y from +1 (top) to -1, columns a_x from -1 to +1")
    print(mlp(parts["policy/critic1"], sizes)(inputs).reshape(9, 9))
    if "policy/safety_critic" in parts:
        logits = mlp(parts["policy/safety_critic"], sizes)(inputs).reshape(9, 9)
        print("Q_C = sigmoid(output), same grid")
        print(1 / (1 + np.exp(-logits)))


if __name__ == "__main__":
    main()
