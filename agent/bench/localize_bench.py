"""Evaluate fault localization on synthesized tasks: top-k accuracy at function level.

For each task: apply its bug to a copy of the repository, run the localizer with only
its FAIL_TO_PASS tests, and find the buggy function in our ranking and in plain
Ochiai's ranking from the same run.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import UserError

KS = (1, 3, 5)


@dataclass
class TaskResult:
    """Where the buggy function landed for one task."""

    instance_id: str
    repo: str
    kind: str
    rank: int | None  # 1-based rank in our ranking, None when absent
    ochiai_rank: int | None
    seconds: float
    error: str = ""


def _rank_of(ranked: list[Any], task: dict[str, Any]) -> int | None:
    for i, suspect in enumerate(ranked, 1):
        if suspect.function == task["function"] and suspect.path == task["path"]:
            return i
    return None


class _Copies:
    """One pristine copy of each repository, bugs applied and reverted in place."""

    def __init__(self, repos_dir: Path | None) -> None:
        self.repos_dir = repos_dir
        self.tmp = Path(tempfile.mkdtemp(prefix="agent-locbench-"))
        self.copies: dict[str, Path] = {}

    def get(self, task: dict[str, Any]) -> Path:
        source = Path(task.get("repo_path", ""))
        if self.repos_dir is not None:
            source = self.repos_dir / task["repo"]
        if not source.is_dir():
            raise UserError(
                f"repository of {task['instance_id']} not found at {source}; pass --repos DIR"
            )
        if task["repo"] not in self.copies:
            dest = self.tmp / task["repo"]
            shutil.copytree(
                source,
                dest,
                ignore=shutil.ignore_patterns(".git", "__pycache__", ".agent", ".pytest_cache"),
            )
            self.copies[task["repo"]] = dest
        return self.copies[task["repo"]]

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _git_apply(root: Path, patch: str, reverse: bool = False) -> None:
    argv = ["git", "apply", *(["-R"] if reverse else []), "-"]
    done = subprocess.run(argv, cwd=root, input=patch, text=True, capture_output=True)
    if done.returncode:
        raise RuntimeError(f"git apply failed: {done.stderr.strip()}")


def evaluate(
    tasks: Iterable[dict[str, Any]],
    repos_dir: Path | None = None,
    backend: str = "auto",
    on_result: Callable[[TaskResult], None] | None = None,
) -> list[TaskResult]:
    """Localize every task's bug; one `TaskResult` each, in order."""
    from agent.debug.localize import localize

    copies = _Copies(repos_dir)
    results = []
    try:
        for task in tasks:
            root = copies.get(task)
            _git_apply(root, task["patch"])
            start = time.monotonic()
            try:
                loc = localize(root, task["FAIL_TO_PASS"], task["test_command"], backend=backend)
                result = TaskResult(
                    task["instance_id"],
                    task["repo"],
                    task["mutation"],
                    _rank_of(loc.ranked, task),
                    _rank_of(loc.ochiai_ranked, task),
                    time.monotonic() - start,
                )
            except (UserError, RuntimeError) as exc:
                result = TaskResult(
                    task["instance_id"],
                    task["repo"],
                    task["mutation"],
                    None,
                    None,
                    time.monotonic() - start,
                    str(exc)[:200],
                )
            finally:
                _git_apply(root, task["patch"], reverse=True)
            results.append(result)
            if on_result:
                on_result(result)
    finally:
        copies.close()
    return results


def summarize(results: list[TaskResult]) -> list[dict[str, Any]]:
    """Rows per repository and overall: n, top-k for ours and Ochiai, median seconds."""
    groups: dict[str, list[TaskResult]] = {}
    for r in results:
        groups.setdefault(r.repo, []).append(r)
    rows = [_row(name, rs) for name, rs in sorted(groups.items())]
    if results:
        rows.append(_row("overall", results))
    return rows


def _row(name: str, rs: list[TaskResult]) -> dict[str, Any]:
    def acc(key: str, k: int) -> float:
        hits = sum(1 for r in rs if getattr(r, key) is not None and getattr(r, key) <= k)
        return 100.0 * hits / len(rs)

    row: dict[str, Any] = {"repo": name, "n": len(rs), "errors": sum(1 for r in rs if r.error)}
    for k in KS:
        row[f"top{k}"] = acc("rank", k)
    for k in KS:
        row[f"ochiai_top{k}"] = acc("ochiai_rank", k)
    row["median_s"] = statistics.median(r.seconds for r in rs)
    row["max_s"] = max(r.seconds for r in rs)
    return row
