"""A benchmark run: pick the tasks still to do, run them on an executor, keep every row.

The --out folder holds results.jsonl (one line per finished task), run.json (the model
and limits the rows were made with), sessions/ (each task's session store) and logs/.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

from agent.bench.executors import Executor
from agent.bench.results import ResultsFile
from agent.bench.run import BenchSettings
from agent.errors import UserError

Row = dict[str, Any]


def select_tasks(tasks: list[Row], limit: int = 0) -> list[Row]:
    """The first `limit` tasks (all for 0), after checking each has what a run needs."""
    seen: set[str] = set()
    for number, task in enumerate(tasks, 1):
        missing = [k for k in ("instance_id", "problem_statement", "FAIL_TO_PASS") if k not in task]
        if missing:
            raise UserError(
                f"task {number} has no {', '.join(missing)}; "
                "make tasks with `agent bench synth` or `agent bench mine`"
            )
        if task["instance_id"] in seen:
            raise UserError(f"instance_id {task['instance_id']} appears twice in the tasks")
        seen.add(task["instance_id"])
    return tasks[:limit] if limit > 0 else list(tasks)


def run_bench(
    tasks: list[Row],
    out: Path,
    settings: BenchSettings,
    executor: Executor,
    on_start: Callable[[int, list[Row]], None] | None = None,
    on_row: Callable[[Row], None] | None = None,
) -> list[Row]:
    """Run the tasks not yet finished in OUT/results.jsonl; returns the new rows.

    `on_start(total, finished_rows)` is called once before any task runs, `on_row(row)`
    after each row is on disk. Rows of interrupted sessions are not kept, so a rerun
    does those tasks again.
    """
    out = Path(out)
    results = ResultsFile(out)
    _check_manifest(out, settings)
    wanted = {t["instance_id"] for t in tasks}
    finished = [r for r in results.rows if r["instance_id"] in wanted and is_finished(r)]
    done = {r["instance_id"] for r in finished}
    todo = [t for t in tasks if t["instance_id"] not in done]
    sessions = settings.sessions_dir or str((out / "sessions").resolve())  # workers' cwd differs
    settings = replace(settings, sessions_dir=sessions)
    if on_start:
        on_start(len(tasks), finished)
    new: list[Row] = []
    with closing(executor.run(todo, settings)) as rows:
        for row in rows:
            if row.get("status") == "interrupted":
                continue
            results.append(row)
            new.append(row)
            if on_row:
                on_row(row)
    return new


def is_finished(row: Row) -> bool:
    """A task is done once its session ran; a harness failure before that (a repository
    not found, a worker killed) is kept as a row but tried again by the next run."""
    return bool(row.get("session_id")) or row.get("status") != "error"


def _check_manifest(out: Path, settings: BenchSettings) -> None:
    """Write run.json, or refuse to add rows made with another model to an existing run."""
    manifest = out / "run.json"
    if manifest.exists():
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
        if recorded.get("model") != settings.model:
            raise UserError(
                f"{out} holds a run of {recorded.get('model')}, not "
                f"{settings.model}; choose another --out for this model"
            )
        return
    partial = manifest.with_name(f".run.json.{os.getpid()}")
    partial.write_text(json.dumps(settings.to_dict(), indent=2) + "\n", encoding="utf-8")
    partial.replace(manifest)
