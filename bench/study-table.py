#!/usr/bin/env python3
"""Tables of the under-parameterization study, read from its run directories.

    python3 bench/study-table.py runs            # the study's output directory (bench/study.sh)

Reads <dir>/<config>/<variant>/<seed>/{summary.json,metrics.jsonl} for the study configs that
exist there and prints markdown: final srank by K (mean +- std over maps x seeds; diverged runs
apart: those whose final |Q| on the probe ends more than a tenth past the value bound, or whose
largest passed twice it, as summary.json's "diverged"), srank against fitting
iterations, final return, and one row per run. Only the standard library: numbers are the
runs' own, nothing is smoothed or dropped except as said in the headings.
"""
import json
import math
import os
import re
import sys

CONFIGS = [
    ("fqi-gridworld-gradsteps", "FQI (bootstrapped)"),
    ("qstar-gridworld", "Q* regression"),
    ("mc-gridworld", "Monte-Carlo regression"),
    ("fqi-gridworld-equal-steps", "FQI, equal gradient steps"),
    ("fqi-gridworld-penalty", "FQI K=64, penalty sweep"),
]
ITERATIONS = [10, 60, 150, 300, 450, 600, 1200, 2400]  # equal-steps runs go to 2400


def mean_std(values):
    if not values:
        return "-"
    m = sum(values) / len(values)
    s = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return f"{m:.1f} ± {s:.1f} ({len(values)})"


def load_runs(root, config):
    runs = []
    base = os.path.join(root, config)
    if not os.path.isdir(base):
        return runs
    for variant in sorted(os.listdir(base)):
        vdir = os.path.join(base, variant)
        if not os.path.isdir(vdir):
            continue
        labels = dict(part.split("=", 1) for part in variant.split(",") if "=" in part)
        for seed in sorted(os.listdir(vdir)):
            sdir = os.path.join(vdir, seed)
            summary_path = os.path.join(sdir, "summary.json")
            if not os.path.isfile(summary_path):
                continue
            summary = json.load(open(summary_path))
            by_iteration = {}
            by_steps = {}
            last_q = None
            # Runs before Monte-Carlo logged train/fitting_iterations: one iteration per
            # train_freq environment steps, read from the run's config.yaml.
            phase = None
            config_text = open(os.path.join(sdir, "config.yaml")).read()
            match = re.search(r"^\s*train_freq:\s*(\d+)", config_text, re.M)
            if match:
                phase = int(match.group(1))
            for line in open(os.path.join(sdir, "metrics.jsonl")):
                row = json.loads(line)
                if "rank/srank" in row and "train/gradient_steps" in row:
                    by_steps[row["train/gradient_steps"]] = row["rank/srank"]
                if "rank/srank" not in row:
                    pass
                elif "train/fitting_iterations" in row:
                    by_iteration[row["train/fitting_iterations"]] = row["rank/srank"]
                elif phase and "train/gradient_steps" in row:
                    by_iteration[row["step"] // phase] = row["rank/srank"]
                if row.get("rank/q_abs_max") is not None:
                    last_q = row["rank/q_abs_max"]
            # The rule of RunSummary.diverged (recomputed, so summaries written under an earlier
            # rule read the same): the final |Q| more than a tenth past the value bound, or the
            # largest ever more than twice it.
            if summary.get("q_bound"):
                final = summary.get("q_abs_final", last_q if last_q is not None else summary["q_abs_max"])
                summary["q_abs_final"] = final
                bound = summary["q_bound"]
                summary["diverged"] = not (final <= bound * 1.1) or not (summary["q_abs_max"] <= bound * 2)
            runs.append({"labels": labels, "seed": seed, "summary": summary, "srank": by_iteration,
                         "by_steps": by_steps})
    return runs


def key_of(run):
    labels = run["labels"]
    k = labels.get("K")
    group = [f"K={k}"] if k is not None else []
    group += [f"{name}={value}" for name, value in labels.items() if name not in ("K", "map")]
    return ",".join(group) or "-"


def sort_key(group):
    match = re.search(r"K=(\d+)", group)
    return (int(match.group(1)) if match else 0, group)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "runs"
    loaded = [(config, title, load_runs(root, config)) for config, title in CONFIGS]
    loaded = [entry for entry in loaded if entry[2]]
    print(f"Runs read from `{root}`: " + ", ".join(f"{c} {len(r)}" for c, _, r in loaded) + "\n")

    # One table of the four K sweeps side by side: kept runs' final srank, and how many diverged.
    sweeps = [entry for entry in loaded if entry[0] != "fqi-gridworld-penalty"]
    ks = sorted({int(r["labels"]["K"]) for _, _, runs in sweeps for r in runs if "K" in r["labels"]})
    for key, what in [("final_srank", "final srank"), ("final_return_mean", "final return")]:
        if not sweeps:
            break
        print(f"## Summary: {what} by K, mean ± std (runs kept); diverged runs counted apart\n")
        print("| K | " + " | ".join(title for _, title, _ in sweeps) + " |")
        print("| --- |" + " --- |" * len(sweeps))
        for k in ks:
            cells = []
            for _, _, runs in sweeps:
                members = [r for r in runs if r["labels"].get("K") == str(k)]
                kept = [r["summary"][key] for r in members if not r["summary"].get("diverged")]
                gone = len(members) - len(kept)
                cells.append(mean_std(kept) + (f", {gone} diverged" if gone else ""))
            print(f"| {k} | " + " | ".join(cells) + " |")
        print()

    # Wall time per run (summary.json's time_seconds.total), every run of each config and K.
    if loaded:
        print("## Summary: wall time per run in s, mean (min-max), every run\n")
        print("| group | " + " | ".join(title for _, title, _ in loaded) + " |")
        print("| --- |" + " --- |" * len(loaded))
        groups = sorted({key_of(r) for _, _, runs in loaded for r in runs}, key=sort_key)
        for group in groups:
            cells = []
            for _, _, runs in loaded:
                times = [r["summary"]["time_seconds"]["total"] for r in runs
                         if key_of(r) == group and "time_seconds" in r["summary"]]
                cells.append(f"{sum(times) / len(times):.0f} ({min(times):.0f}-{max(times):.0f})" if times else "-")
            print(f"| {group} | " + " | ".join(cells) + " |")
        print()

    print("## Final srank (δ = 0.01) by K: mean ± std (runs), diverged runs left out\n")
    for config, title, runs in loaded:
        groups = sorted({key_of(r) for r in runs}, key=sort_key)
        print(f"### {title} (`{config}`)\n")
        print("| group | srank, kept runs | srank, diverged runs | diverged (map/seed: max \\|Q\\|, final \\|Q\\| / bound) | final return, kept | final return, diverged |")
        print("| --- | --- | --- | --- | --- | --- |")
        for group in groups:
            members = [r for r in runs if key_of(r) == group]
            kept = [r for r in members if not r["summary"].get("diverged")]
            gone = [r for r in members if r["summary"].get("diverged")]
            listed = "; ".join(
                f"{r['labels'].get('map', '-')}/{r['seed']}: {r['summary']['q_abs_max']:.1f}, {r['summary']['q_abs_final']:.1f} / {r['summary']['q_bound']:.1f}"
                for r in gone
            )
            print(
                f"| {group} | {mean_std([r['summary']['final_srank'] for r in kept])} "
                f"| {mean_std([r['summary']['final_srank'] for r in gone])} | {listed or 'none'} "
                f"| {mean_std([r['summary']['final_return_mean'] for r in kept])} "
                f"| {mean_std([r['summary']['final_return_mean'] for r in gone])} |"
            )
        print()

    # The same sweeps read at equal numbers of gradient steps: interpolated linearly between the
    # two measurements around that many (rank is measured every 10 iterations, 10 K steps, so
    # "the last one before" would read large K earlier than small K).
    budgets = [9600, 38400, 153600]
    print("## srank at equal gradient steps (interpolated between measurements; every run, diverged included)\n")
    for config, title, runs in loaded:
        if config == "fqi-gridworld-penalty":
            continue
        print(f"### {title}\n")
        print("| group | " + " | ".join(f"{b:,} steps" for b in budgets) + " |")
        print("| --- |" + " --- |" * len(budgets))
        for group in sorted({key_of(r) for r in runs}, key=sort_key):
            members = [r for r in runs if key_of(r) == group]
            cells = []
            for b in budgets:
                values = []
                for r in members:
                    below = [g for g in r["by_steps"] if g <= b]
                    above = [g for g in r["by_steps"] if g >= b]
                    if not below or not above:
                        continue
                    g0, g1 = max(below), min(above)
                    v0, v1 = r["by_steps"][g0], r["by_steps"][g1]
                    values.append(v0 if g1 == g0 else v0 + (v1 - v0) * (b - g0) / (g1 - g0))
                cells.append(f"{sum(values) / len(values):.1f}" if values else "-")
            print(f"| {group} | " + " | ".join(cells) + " |")
        print()

    print("## srank against fitting iterations (mean over every run of the group, diverged included)\n")
    for config, title, runs in loaded:
        groups = sorted({key_of(r) for r in runs}, key=sort_key)
        print(f"### {title}\n")
        print("| group | " + " | ".join(f"it {i}" for i in ITERATIONS) + " |")
        print("| --- |" + " --- |" * len(ITERATIONS))
        for group in groups:
            members = [r for r in runs if key_of(r) == group]
            cells = []
            for i in ITERATIONS:
                values = [r["srank"][i] for r in members if i in r["srank"]]
                cells.append(f"{sum(values) / len(values):.1f}" if values else "-")
            print(f"| {group} | " + " | ".join(cells) + " |")
        print()

    print("## Every run: final srank / final return / max |Q| (d: diverged)\n")
    for config, title, runs in loaded:
        print(f"### {title}\n")
        columns = sorted({(r["labels"].get("map", "-"), r["seed"]) for r in runs})
        print("| group | " + " | ".join(f"map {m} seed {s}" for m, s in columns) + " |")
        print("| --- |" + " --- |" * len(columns))
        for group in sorted({key_of(r) for r in runs}, key=sort_key):
            cells = []
            for m, s in columns:
                match = [r for r in runs if key_of(r) == group and r["labels"].get("map", "-") == m and r["seed"] == s]
                if not match:
                    cells.append("-")
                    continue
                summary = match[0]["summary"]
                flag = " d" if summary.get("diverged") else ""
                cells.append(
                    f"{summary['final_srank']} / {summary['final_return_mean']:.1f} / {summary.get('q_abs_max', float('nan')):.1f}{flag}"
                )
            print(f"| {group} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main()
