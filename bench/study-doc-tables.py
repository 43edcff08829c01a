#!/usr/bin/env python3
"""Fills the tables of docs/under-parameterization.md from bench/study-table.py's output.

    python3 bench/study-doc-tables.py /work/study-runs docs/under-parameterization.md

Each `<!-- table:NAME -->` ... `<!-- /table -->` block is replaced by the section of
study-table.py's output that NAME stands for, so the page's numbers are the runs' own.
"""
import re
import subprocess
import sys

SECTIONS = {
    "summary-srank": "## Summary: final srank by K",
    "summary-return": "## Summary: final return by K",
    "equal-steps": "## srank at equal gradient steps",
    "penalty": "### FQI K=64, penalty sweep (`fqi-gridworld-penalty`)",
    "divergence": "### FQI (bootstrapped) (`fqi-gridworld-gradsteps`)",
    "time": "## Summary: wall time per run",
}


def section(text, heading):
    start = text.index(heading)
    body = text[start:].split("\n", 1)[1]
    # Up to the next heading of the same or a higher level.
    level = heading.split(" ")[0]
    stop = re.search(rf"^#{{1,{len(level)}}} ", body, re.M)
    return body[: stop.start()] if stop else body


def main():
    runs, page = sys.argv[1], sys.argv[2]
    here = sys.argv[0].rsplit("/", 1)[0]
    output = subprocess.run(
        [sys.executable, f"{here}/study-table.py", runs], check=True, capture_output=True, text=True
    ).stdout
    text = open(page).read()
    for name, heading in SECTIONS.items():
        # Sub-headings inside a block become bold lines, so the page's outline stays its own.
        table = re.sub(r"^#+ (.*)$", r"**\1**", section(output, heading).strip(), flags=re.M)
        text = re.sub(
            rf"<!-- table:{name} -->.*?<!-- /table -->",
            lambda _: f"<!-- table:{name} -->\n{table}\n<!-- /table -->",
            text,
            flags=re.S,
        )
    open(page, "w").write(text)


if __name__ == "__main__":
    main()
