#!/usr/bin/env python3
"""How many point-nav training episodes got past the first hazard, per 2,500 steps, from a
run's metrics.jsonl (docs/safety.md, "How often training gets past the hazards").

  python3 bench/hazard-passes.py RUN... [--above 10.7]   # RUN: a run directory with <seed>/ dirs

An episode counts as past the hazard when its return exceeds --above. The reward is 10 x the
fall in Euclidean distance to the goal, so with the default layout (start near (-0.8, 0) with a
+-0.05 jitter, goal (0.8, 0), the first hazard at (0.12, -0.02), radius 0.15) a return above 10.7
means the episode ended within about 0.53 of the goal, on the axis at x > 0.27, the hazard's
far edge (0.22-0.32 with the jitter): where the episode ended, not how far it got. Each log row carries
`train/episode_return`, the mean return of the episodes finished since the row before, so run
with a log interval shorter than any episode (`--set log.every=20`). A row that closes two or
more episodes counts as one (reported as missed). The second number of each pair is the
episodes seen; the last pair can hold only the final step's row.
"""
import glob, json, os, sys

args = sys.argv[1:]
above = 10.7
if "--above" in args:
    i = args.index("--above")
    above = float(args[i + 1])
    del args[i : i + 2]
if not args:
    sys.exit(__doc__)
for run in args:
    paths = sorted(glob.glob(os.path.join(run, "*", "metrics.jsonl"))) or [
        os.path.join(run, "metrics.jsonl")
    ]
    for path in paths:
        if not os.path.exists(path):
            sys.exit(f"{path}: no metrics.jsonl; pass a run directory")
        seen, missed, episodes = 0, 0, []
        for number, line in enumerate(open(path), 1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                sys.exit(f"{path}:{number}: not a JSON line")
            count = row.get("train/episodes")
            if count is not None and count != seen and "train/episode_return" in row:
                missed += count - seen - 1
                seen = count
                episodes.append((row["step"], row["train/episode_return"]))
        passed = [step for step, ret in episodes if ret > above]
        bins = max([step // 2500 for step, _ in episodes] + [0]) + 1
        past, total = [0] * bins, [0] * bins
        for step, ret in episodes:
            total[step // 2500] += 1
            past[step // 2500] += ret > above
        final = ""
        summary = os.path.join(os.path.dirname(path), "summary.json")
        if os.path.exists(summary):
            final = " final return %.2f" % json.load(open(summary))["final_return_mean"]
        print(
            f"{os.path.dirname(path)}:{final} past {len(passed)} of {len(episodes)} seen"
            f" ({missed} missed), first at {passed[0] if passed else '-'}; per 2.5k steps: "
            + " ".join(f"{p}/{t}" for p, t in zip(past, total))
        )
