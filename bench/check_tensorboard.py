#!/usr/bin/env python3
"""Reads a run's TensorBoard event file with TensorBoard's own reader and compares every scalar
with metrics.jsonl (float32 precision). Usage: python bench/check_tensorboard.py RUN_DIR
(needs `pip install tensorboard`, e.g. into bench/.venv)."""
import glob
import json
import math
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

run = sys.argv[1]
events = glob.glob(f"{run}/events.out.tfevents.*")
assert len(events) == 1, f"expected one event file in {run}, found {events}"
acc = EventAccumulator(events[0], size_guidance={"scalars": 0})
acc.Reload()
expected = {}
for line in open(f"{run}/metrics.jsonl"):
    row = json.loads(line)
    for key, value in row.items():
        if key != "step" and value is not None:
            expected.setdefault(key, {})[row["step"]] = value
checked = 0
for key, by_step in expected.items():
    got = {e.step: e.value for e in acc.Scalars(key)}
    assert set(got) == set(by_step), f"{key}: steps differ"
    for step, value in by_step.items():
        assert math.isclose(got[step], value, rel_tol=1e-6, abs_tol=1e-6), f"{key}@{step}: {got[step]} vs {value}"
        checked += 1
print(f"{events[0]}: {checked} scalars over {len(expected)} tags match metrics.jsonl")
