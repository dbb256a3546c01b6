"""The work behind `agent bench synth` and `agent bench localize`: progress and tables."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agent.errors import UserError


def run_synth(
    repo: Path, tests: str, seed: int, max_tasks: int, workers: int, timeout: float, backend: str
) -> list[dict[str, Any]]:
    """Synthesize tasks with a progress bar on a terminal."""
    from agent.bench.synth import synthesize

    if not repo.is_dir():
        raise UserError(f"not a directory: {repo}")
    if not sys.stderr.isatty():

        def log(tried: int, kept: int, total: int) -> None:
            if tried % 10 == 0:
                print(
                    f"synth: {tried} of {total} candidates tried, {kept} kept",
                    file=sys.stderr,
                    flush=True,
                )

        return synthesize(
            repo, tests, seed, max_tasks, max(1, workers), timeout, backend, on_progress=log
        )
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("synth"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[tried]} tried"),
        transient=True,
    ) as bar:
        job = bar.add_task("synth", total=max_tasks, tried=0)

        def update(tried: int, kept: int, total: int) -> None:
            bar.update(job, completed=kept, tried=tried)

        return synthesize(
            repo, tests, seed, max_tasks, max(1, workers), timeout, backend, on_progress=update
        )


def write_atomic_text(path: Path, text: str) -> None:
    """Write a file atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def run_localize_bench(
    tasks_file: Path, repos: Path | None, limit: int, as_json: bool, backend: str
) -> list[dict[str, Any]]:
    """Evaluate localization on the tasks and print a table and a one-line summary."""
    from agent.bench.localize_bench import evaluate, summarize
    from agent.bench.tasks import load_tasks

    tasks = load_tasks(tasks_file)[: limit or None]
    if not tasks:
        raise UserError(f"no tasks in {tasks_file}")

    def show(result: Any) -> None:
        if as_json:
            print(json.dumps(asdict(result)), flush=True)

    rows = summarize(evaluate(tasks, repos, backend, on_result=show))
    print_table(rows)
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    """Accuracy per repository and overall, ours next to plain Ochiai."""
    head = (
        f"{'repo':<12}{'n':>4}{'top1':>7}{'top3':>7}{'top5':>7}"
        f"{'och1':>7}{'och3':>7}{'och5':>7}{'med s':>7}{'max s':>7}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['repo']:<12}{r['n']:>4}{r['top1']:>6.0f}%{r['top3']:>6.0f}%{r['top5']:>6.0f}%"
            f"{r['ochiai_top1']:>6.0f}%{r['ochiai_top3']:>6.0f}%{r['ochiai_top5']:>6.0f}%"
            f"{r['median_s']:>7.1f}{r['max_s']:>7.1f}"
        )
    o = rows[-1]
    print(
        f"summary: {o['n']} tasks, top-1 {o['top1']:.0f}% / top-3 {o['top3']:.0f}% / top-5 "
        f"{o['top5']:.0f}% (plain Ochiai top-1 {o['ochiai_top1']:.0f}%), median "
        f"{o['median_s']:.1f} s per task"
    )
