#!/usr/bin/env python3
"""Self-distillation rounds as a table: per round, the mean over seeds of the final return, the
student's agreement with its direct teacher and with the original teacher (last logged
minibatch figures), the student's srank and its teacher's on the same probe states.
usage: bench/distill-rounds.py runs/EXPERIMENT   (holding round-K/SEED directories)"""
import json, pathlib, statistics, sys

root = pathlib.Path(sys.argv[1])
print("round  seeds  return        agreement  agreement(original)  srank  teacher srank")
rounds = sorted(root.glob("round-*"), key=lambda p: int(p.name.split("-")[1]))
for directory in rounds:
    figures = {k: [] for k in ("return", "agree", "orig", "srank", "tsrank")}
    for seed in sorted(p for p in directory.iterdir() if (p / "summary.json").exists()):
        summary = json.loads((seed / "summary.json").read_text())
        last = {}
        for line in (seed / "metrics.jsonl").read_text().splitlines():
            last.update(json.loads(line))
        figures["return"].append(summary["final_return_mean"])
        figures["agree"].append(last["distill/agreement"])
        # Round 1's teacher is the original one.
        figures["orig"].append(last.get("distill/agreement_reference", last["distill/agreement"]))
        figures["srank"].append(summary["final_srank"])
        figures["tsrank"].append((summary.get("comparison_final_srank") or {}).get("teacher_0"))
    mean = lambda xs: statistics.mean(x for x in xs if x is not None)
    spread = lambda xs: statistics.pstdev(xs) if len(xs) > 1 else 0.0
    print(f"{directory.name:>7} {len(figures['return']):5}  "
          f"{mean(figures['return']):6.3f} ± {spread(figures['return']):5.3f}  "
          f"{mean(figures['agree']):9.3f}  {mean(figures['orig']):19.3f}  "
          f"{mean(figures['srank']):5.1f}  {mean(figures['tsrank']):13.1f}")
