"""Fault-localization accuracy on bugs synthesized from real projects.

    python tests/benchmarks/bench_localize.py [--repos DIR] [--tasks DIR] [--per-repo 60]

Materializes the task projects (toolz, cachetools, tabulate, parse) with
/work/shared/bench/get-repos, synthesizes validated bugs in each (`agent bench synth`,
reusing DIR/NAME.jsonl when it already holds enough), localizes every bug from its
FAIL_TO_PASS tests, and prints top-1/3/5 accuracy next to plain Ochiai's, per project
and overall, with the median time per task.
Targets: top-1 >= 70%, top-5 >= 95%, above Ochiai's top-1; median <= 5 s per task.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

GET_REPOS = Path("/work/shared/bench/get-repos")
PROJECTS = {
    "toolz": "python -m pytest -q toolz",
    "cachetools": "PYTHONPATH=src python -m pytest -q tests",
    "tabulate": "python -m pytest -q test",
    "parse": "python -m pytest -q tests",
}


def ensure_tasks(name: str, repo: Path, tasks: Path, per_repo: int, seed: int) -> list[dict]:
    """Synthesized tasks for one project, made once and reused."""
    from agent.bench.synth import synthesize

    found = [json.loads(x) for x in tasks.read_text().splitlines()] if tasks.exists() else []
    if len(found) < per_repo:
        start = time.monotonic()
        found = synthesize(
            repo, PROJECTS[name], seed=seed, max_tasks=per_repo, workers=os.cpu_count() or 2
        )
        tasks.write_text("".join(json.dumps(t) + "\n" for t in found))
        print(
            f"synth {name}: {len(found)} validated bugs in {time.monotonic() - start:.0f} s",
            flush=True,
        )
    return found[:per_repo]


def main() -> None:
    """Synthesize, localize, print the table and the one-line summary."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=Path, default=Path("/tmp/bench-localize/repos"))
    parser.add_argument("--tasks", type=Path, default=Path("/tmp/bench-localize/tasks"))
    parser.add_argument("--per-repo", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", nargs="*", default=list(PROJECTS))
    parser.add_argument(
        "--evaluate",
        type=int,
        default=0,
        help="Localize only the first N tasks of each project (0: all).",
    )
    ns = parser.parse_args()
    from agent.bench.localize_bench import evaluate, summarize
    from agent.bench.synth_cli import print_table

    ns.tasks.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(GET_REPOS), str(ns.repos), *ns.only], check=True, stdout=subprocess.DEVNULL)
    tasks = []
    for name in ns.only:
        made = ensure_tasks(name, ns.repos / name, ns.tasks / f"{name}.jsonl", ns.per_repo, ns.seed)
        tasks += made[: ns.evaluate or None]
    print(f"{len(tasks)} tasks; kinds: {dict(Counter(t['mutation'] for t in tasks))}")
    misses: Counter[str] = Counter()

    def note(result) -> None:
        if result.rank is None or result.rank > 1:
            misses[result.kind] += 1

    load = os.getloadavg()[0]
    results = evaluate(tasks, ns.repos, on_result=note)
    print_table(summarize(results))
    print(f"misses at top-1 by kind: {dict(misses)}")
    print(
        f"machine: {os.cpu_count()} cores, load average {load:.1f} at start, "
        f"{os.getloadavg()[0]:.1f} at end",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
