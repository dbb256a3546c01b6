"""One benchmark task end to end: working copy, `agent solve`, evaluation, one results row.

`run_task` is the unit every executor runs (a local worker process, a Ray task, or the
caller's own process with a ready model). It never raises for a task that goes wrong:
the row says what happened in `status` and `error`.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PER_TASK_PROVIDERS = ("bridge", "replay")


@dataclass(frozen=True)
class BenchSettings:
    """How every task of a run is solved and judged (plain values: it travels to workers)."""

    model: str
    task_timeout_s: float | None = None  # the session's max_wall_s
    task_cost_usd: float | None = None  # the session's max_cost_usd
    sandbox: str | None = None  # None: the repository's config (auto by default)
    repos: str | None = None  # folder of repositories by name, instead of tasks' repo_path
    work_dir: str | None = None  # where working copies go (default: the system temp folder)
    sessions_dir: str | None = None  # where each task's session store is kept
    eval_timeout_s: float = 600.0
    mode: str = "solve"  # solve | gold (apply each task's known fix) | empty (apply nothing)
    tasks_file: str | None = None  # hidden from the sessions' sandbox, as the repositories are

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)


def slug(instance_id: str) -> str:
    """The task's id as a file or folder name."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in instance_id)[:200]


def task_model_spec(spec: str, instance_id: str) -> str:
    """`bridge:DIR` and `replay:DIR` mean one folder per task: DIR/<instance_id>."""
    provider, _, folder = spec.partition(":")
    if provider.strip().lower() in PER_TASK_PROVIDERS and folder.strip():
        return f"{provider}:{Path(folder.strip()) / slug(instance_id)}"
    return spec


def absolute_model_spec(spec: str) -> str:
    """The spec with a `bridge:`/`replay:` folder made absolute (workers run elsewhere)."""
    provider, _, folder = spec.partition(":")
    if provider.strip().lower() in PER_TASK_PROVIDERS and folder.strip():
        return f"{provider}:{Path(folder.strip()).expanduser().resolve()}"
    return spec


def run_task(task: dict[str, Any], settings: BenchSettings, model: Any = None) -> dict[str, Any]:
    """Solve and judge one task in a fresh working copy; returns its results row.

    `model` is a ready Model for this task (tests); otherwise `settings.model` is loaded.
    """
    from agent.errors import UserError

    started = time.monotonic()
    row = empty_row(task, settings)
    scratch = Path(tempfile.mkdtemp(prefix="agent-bench-", dir=_existing(settings.work_dir)))
    root = scratch / "repo"
    try:
        commit = _prepare(task, root, settings)
        if settings.mode != "solve":
            row.update(_apply_known(task, root, settings.mode))
        else:
            row.update(solve_fields(_solve(task, root, settings, model)))
        if row["status"] != "interrupted":
            from agent.bench.evaluate import evaluate

            backend = settings.sandbox or "auto"
            row.update(evaluate(root, commit, task, backend, settings.eval_timeout_s).to_dict())
        _keep_session(root, settings, task["instance_id"], row)
    except UserError as problem:
        row.update(status="error", error=str(problem))
    except Exception as problem:  # a harness fault must not end the whole run
        traceback.print_exc(file=sys.stderr)
        row.update(status="error", error=f"{type(problem).__name__}: {problem}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    row["wall_s"] = round(time.monotonic() - started, 3)
    return row


def empty_row(task: dict[str, Any], settings: BenchSettings) -> dict[str, Any]:
    """A row with every field, for a task that has not got far."""
    from agent.bench.tasks import kind_of

    return {
        "instance_id": task["instance_id"],
        "model": settings.model,
        "repo": str(task.get("repo", "")),
        "kind": kind_of(task),
        "resolved": False,
        "status": "error",
        "stop_reason": "",
        "turns": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cached_tokens": 0,
        "cache_write_tokens": 0,
        "cost_usd": 0.0,
        "wall_s": 0.0,
        "solve_s": 0.0,
        "diff": "",
        "files": [],
        "session_id": "",
        "error": "",
    }


def solve_fields(result: Any) -> dict[str, Any]:
    """The row's fields from a finished session."""
    usage = result.usage
    return {
        "status": result.outcome.status,
        "stop_reason": result.outcome.stop_reason,
        "turns": result.model_calls,
        "input_tokens": usage.get("input_tokens", 0),
        "output_tokens": usage.get("output_tokens", 0),
        "cached_tokens": usage.get("cache_read_tokens", 0),
        "cache_write_tokens": usage.get("cache_write_tokens", 0),
        "cost_usd": round(usage.get("cost_usd", 0.0), 6),
        "solve_s": round(result.duration_s, 3),
        "diff": result.diff,
        "files": list(result.files),
        "session_id": result.session_id,
        "error": result.outcome.stop_reason if result.outcome.status == "error" else "",
    }


def _apply_known(task: dict[str, Any], root: Path, mode: str) -> dict[str, Any]:
    """`--gold`: the task's own fix in place of a session; `--empty`: the copy as it is.

    They check the tasks and the harness: gold must resolve every task, empty none.
    """
    from agent.bench.tasks import breaks_base
    from agent.bench.workcopy import apply_patch, git

    if mode == "gold":
        apply_patch(root, task.get("patch") or "", reverse=breaks_base(task))
    return {"status": mode, "diff": git(root, "diff", "--no-color", "--no-ext-diff", "HEAD")}


def _prepare(task: dict[str, Any], root: Path, settings: BenchSettings) -> str:
    from agent.bench.workcopy import prepare

    return prepare(task, root, Path(settings.repos) if settings.repos else None)


def answer_paths(task: dict[str, Any], settings: BenchSettings) -> tuple[str, ...]:
    """What would tell a session the answer: the task's repository (its fix is the next
    commit), the folder of repositories and the tasks file (test_patch and patch)."""
    from agent.bench.workcopy import task_source

    repos = Path(settings.repos) if settings.repos else None
    return tuple(
        str(p) for p in (task_source(task, repos), settings.repos, settings.tasks_file) if p
    )


def _solve(task: dict[str, Any], root: Path, settings: BenchSettings, model: Any):
    """`agent solve` on the problem statement alone, changes left in the working tree."""
    from agent.runner import SolveOptions, run_session

    overrides = {
        "model": task_model_spec(settings.model, task["instance_id"]),
        "max_wall_s": settings.task_timeout_s,
        "max_cost_usd": settings.task_cost_usd,
        "sandbox": settings.sandbox,
        "test_command": task.get("test_command"),
        "hidden_paths": answer_paths(task, settings),
    }
    options = SolveOptions(
        task=task["problem_statement"], cwd=root, overrides=overrides, result="leave", model=model
    )
    return run_session(options, sinks=[])


def _keep_session(
    root: Path, settings: BenchSettings, instance_id: str, row: dict[str, Any]
) -> None:
    """Copy the working copy's session store (it is deleted with the copy) next to the results."""
    import sqlite3

    from agent.session import STORE_NAME

    store = root / ".agent" / STORE_NAME
    if settings.sessions_dir is None or not store.exists():
        return
    target = Path(settings.sessions_dir) / f"{slug(instance_id)}.sqlite"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    source, copy = sqlite3.connect(store), sqlite3.connect(partial)
    try:
        source.backup(copy)  # consistent even with the store's WAL file beside it
    finally:
        source.close()
        copy.close()
    partial.replace(target)
    row["session_store"] = str(target)


def _existing(folder: str | None) -> str | None:
    if folder is None:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return folder
