"""The results file of a benchmark run, its summary, and the comparison of two runs.

results.jsonl holds one JSON line per finished task. Lines are appended whole and
flushed to disk as each task finishes, so an interrupted run keeps every finished row
and never a partial one; a rerun skips the tasks already there.
"""

from __future__ import annotations

import json
import math
import os
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import UserError

RESULTS_NAME = "results.jsonl"


def results_path(path: Path) -> Path:
    """A run's results file from the file itself or the run's --out folder."""
    path = Path(path)
    return path / RESULTS_NAME if path.is_dir() else path


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The complete rows of a results file (the last row for a task wins)."""
    path = results_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as problem:
        raise UserError(f"cannot read {path}: {problem.strerror}") from None
    rows: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        if not line.endswith("\n"):
            break  # a line cut short by a crash: that task did not finish
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise UserError(f"{path}:{number} is not a JSON line; fix or remove it") from None
        rows[row["instance_id"]] = row
    return list(rows.values())


class ResultsFile:
    """Appends finished rows to results.jsonl, one whole flushed line each."""

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.path = out / RESULTS_NAME
        self._drop_partial_tail()
        self.rows = read_rows(self.path)

    def finished(self) -> set[str]:
        """Ids of the tasks with a row."""
        return {row["instance_id"] for row in self.rows}

    def append(self, row: dict[str, Any]) -> None:
        """Add one finished task's row, on disk before this returns."""
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.rows.append(row)

    def _drop_partial_tail(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.path.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a proportion (95% by default)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Summary:
    """Resolve rate with its 95% interval; mean and median cost, time, turns (model calls),
    input tokens and the input tokens read from the prompt cache."""

    tasks: int
    resolved: int
    errors: int
    low: float
    high: float
    cost: tuple[float, float, float]  # mean, median, total
    wall_s: tuple[float, float]
    turns: tuple[float, float]
    input_tokens: tuple[float, float] = (0.0, 0.0)
    cached_tokens: tuple[float, float] = (0.0, 0.0)
    tampered: int = 0  # changes that added start-up files or stood in for pytest
    judge_errors: int = 0  # test reports that did not match the tests asked for

    @property
    def rate(self) -> float:
        """The share of tasks resolved."""
        return self.resolved / self.tasks if self.tasks else 0.0


def summarize(rows: list[dict[str, Any]]) -> Summary:
    """The summary of a run's rows."""
    resolved = sum(1 for r in rows if r.get("resolved"))
    costs = [float(r.get("cost_usd", 0.0)) for r in rows]
    low, high = wilson_interval(resolved, len(rows))
    return Summary(
        len(rows),
        resolved,
        sum(1 for r in rows if r.get("status") == "error"),
        low,
        high,
        (*_mean_median(costs), sum(costs)),
        _mean_median([float(r.get("wall_s", 0.0)) for r in rows]),
        _mean_median([float(r.get("turns", 0)) for r in rows]),
        _mean_median([float(input_tokens(r)) for r in rows]),
        _mean_median([float(r.get("cached_tokens", 0)) for r in rows]),
        sum(1 for r in rows if r.get("verdict") == "tampered"),
        sum(1 for r in rows if r.get("verdict") == "judge error"),
    )


def split_by(rows: list[dict[str, Any]], field: str) -> dict[str, Summary]:
    """A summary per value of `field` ("kind" or "repo"), sorted by that value.

    Rows written before the field existed count as kind "bug" and as the project their
    instance id names (its part before "__").
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        fallback = "bug" if field == "kind" else str(row["instance_id"]).split("__")[0]
        groups.setdefault(str(row.get(field) or fallback), []).append(row)
    return {name: summarize(groups[name]) for name in sorted(groups)}


def input_tokens(row: dict[str, Any]) -> int:
    """All the input tokens of a task: uncached, read from the cache and written to it."""
    return sum(
        int(row.get(key, 0)) for key in ("input_tokens", "cached_tokens", "cache_write_tokens")
    )


def _mean_median(values: list[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 0.0
    return statistics.fmean(values), statistics.median(values)


@dataclass
class Comparison:
    """Run B against run A on the tasks both ran."""

    common: int
    gained: list[str]  # resolved in B, not in A
    lost: list[str]  # resolved in A, not in B
    rate_a: float
    rate_b: float
    cost_a: float  # mean cost per common task
    cost_b: float
    wall_a: float
    wall_b: float
    only_a: int
    only_b: int
    turns_a: float = 0.0  # mean model calls per common task
    turns_b: float = 0.0
    input_a: float = 0.0  # mean input tokens per common task (cache reads included)
    input_b: float = 0.0
    cached_a: float = 0.0  # mean input tokens read from the cache
    cached_b: float = 0.0


def compare(rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]]) -> Comparison:
    """Tasks gained and lost, and the rate, cost and time deltas on the common tasks."""
    a = {r["instance_id"]: r for r in rows_a}
    b = {r["instance_id"]: r for r in rows_b}
    common = sorted(a.keys() & b.keys())

    def mean(rows: dict[str, dict[str, Any]], key: str) -> float:
        if key == "all_input":
            return statistics.fmean(input_tokens(rows[i]) for i in common) if common else 0.0
        return statistics.fmean(float(rows[i].get(key, 0)) for i in common) if common else 0.0

    return Comparison(
        len(common),
        gained=[i for i in common if b[i].get("resolved") and not a[i].get("resolved")],
        lost=[i for i in common if a[i].get("resolved") and not b[i].get("resolved")],
        rate_a=mean(a, "resolved"),
        rate_b=mean(b, "resolved"),
        cost_a=mean(a, "cost_usd"),
        cost_b=mean(b, "cost_usd"),
        wall_a=mean(a, "wall_s"),
        wall_b=mean(b, "wall_s"),
        only_a=len(a.keys() - b.keys()),
        only_b=len(b.keys() - a.keys()),
        turns_a=mean(a, "turns"),
        turns_b=mean(b, "turns"),
        input_a=mean(a, "all_input"),
        input_b=mean(b, "all_input"),
        cached_a=mean(a, "cached_tokens"),
        cached_b=mean(b, "cached_tokens"),
    )
