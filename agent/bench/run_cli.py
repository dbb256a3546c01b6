"""The work behind `agent bench run` and `agent bench compare`: progress, tables, summaries."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Self

from agent.bench.results import (
    Comparison,
    Summary,
    compare,
    read_rows,
    results_path,
    split_by,
    summarize,
)
from agent.errors import UserError

EXECUTORS = ("local", "ray")


def bench_run(
    tasks_file: Path,
    out: Path,
    settings: Any,
    workers: int,
    limit: int,
    executor_name: str,
    address: str | None,
) -> int:
    """Run the benchmark with progress, print the summary; returns the exit code."""
    from agent.bench.harness import run_bench, select_tasks
    from agent.bench.tasks import load_tasks, write_predictions

    tasks = select_tasks(load_tasks(tasks_file), limit)
    if not tasks:
        raise UserError(f"no tasks in {tasks_file}")
    executor = make_executor(executor_name, workers, address, out / "logs")
    progress = RunProgress(sys.stderr)
    try:
        with progress:
            run_bench(tasks, out, settings, executor, progress.start, progress.row)
    except KeyboardInterrupt:
        print(
            f"interrupted: every finished task is kept in {results_path(out)}; "
            "run the same command again to do the rest",
            file=sys.stderr,
        )
        return 130
    wanted = {t["instance_id"] for t in tasks}
    rows = [r for r in read_rows(out) if r["instance_id"] in wanted]
    predictions = write_predictions(out, rows, settings.model)
    print_summary(summarize(rows), settings.model, results_path(out))
    print_groups(rows)
    print_not_judged(rows)
    print(f"predictions for SWE-bench's harness in {predictions}")
    return 0


def run_mode(model: str | None, gold: bool, empty: bool) -> str:
    """solve (with --model), gold or empty; a clear error for any other mix."""
    if gold and empty:
        raise UserError("--gold and --empty exclude each other")
    if (gold or empty) and model:
        raise UserError("--model is for solving; --gold and --empty use no model")
    if not (gold or empty or model):
        raise UserError("say --model MODEL (or --gold / --empty to check the tasks)")
    return "gold" if gold else "empty" if empty else "solve"


def make_executor(name: str, workers: int, address: str | None, log_dir: Path):
    """The executor `--executor NAME` names."""
    from agent.bench.executors import LocalExecutor, RayExecutor

    if name not in EXECUTORS:
        raise UserError(f"unknown executor {name!r}; use local or ray")
    if workers < 1:
        raise UserError("--workers must be at least 1")
    if address and name != "ray":
        raise UserError("--address is for --executor ray")
    if name == "ray":
        return RayExecutor(workers, address)
    return LocalExecutor(workers, log_dir)


class RunProgress:
    """A rich progress bar with ETA and running resolve rate on a terminal, else a line per task."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.bar = None
        self.job = None
        self.resolved = self.finished = 0

    def __enter__(self) -> Self:
        if self.stream.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("bench"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("resolved {task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
            )
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def start(self, total: int, finished: list[dict[str, Any]]) -> None:
        """Show the tasks already done (a resumed run) before the rest run."""
        self.finished = len(finished)
        self.resolved = sum(1 for r in finished if r.get("resolved"))
        if self.bar is not None:
            self.job = self.bar.add_task(
                "bench", total=total, completed=self.finished, rate=self._rate()
            )
        else:
            print(
                f"bench: {total} tasks, {self.finished} already done", file=self.stream, flush=True
            )

    def row(self, row: dict[str, Any]) -> None:
        """Count one finished task."""
        self.finished += 1
        self.resolved += bool(row.get("resolved"))
        if self.bar is not None:
            self.bar.update(self.job, advance=1, rate=self._rate())
            return
        verdict = "resolved" if row.get("resolved") else f"not resolved ({row.get('status')})"
        if row.get("verdict") in ("tampered", "judge error"):
            verdict += f", {row['verdict']}"
        error = f" error: {row['error'][:200]}" if row.get("error") else ""
        print(
            f"[{self.finished}] {row['instance_id']}: {verdict}, {row.get('turns', 0)} turns, "
            f"${row.get('cost_usd', 0):.4f}, {row.get('wall_s', 0):.0f} s; "
            f"resolved so far {self._rate()}{error}",
            file=self.stream,
            flush=True,
        )

    def _rate(self) -> str:
        share = self.resolved / self.finished if self.finished else 0.0
        return f"{self.resolved}/{self.finished} ({share:.0%})"


def print_summary(summary: Summary, model: str, where: Path) -> None:
    """The summary table and its one-line summary, on stdout."""
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"agent bench run: {model}",
        caption=f"rate 95% CI {summary.low:.1%}-{summary.high:.1%}",
    )
    for column in ("", "mean", "median", "total"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row("resolved", f"{summary.rate:.1%}", "", f"{summary.resolved} of {summary.tasks}")
    table.add_row(
        "cost ($)", f"{summary.cost[0]:.4f}", f"{summary.cost[1]:.4f}", f"{summary.cost[2]:.4f}"
    )
    table.add_row("time (s)", f"{summary.wall_s[0]:.1f}", f"{summary.wall_s[1]:.1f}", "")
    table.add_row("model calls", f"{summary.turns[0]:.1f}", f"{summary.turns[1]:.1f}", "")
    table.add_row(
        "input tokens", f"{summary.input_tokens[0]:.0f}", f"{summary.input_tokens[1]:.0f}", ""
    )
    table.add_row(
        "cache reads", f"{summary.cached_tokens[0]:.0f}", f"{summary.cached_tokens[1]:.0f}", ""
    )
    Console(file=sys.stdout, width=100).print(table)
    print(
        f"resolved {summary.resolved}/{summary.tasks} ({summary.rate:.1%}, 95% CI "
        f"{summary.low:.1%}-{summary.high:.1%}), {summary.errors} errors, "
        f"{summary.tampered} tampered, {summary.judge_errors} judge errors, mean cost "
        f"${summary.cost[0]:.4f}, median time {summary.wall_s[1]:.1f} s; rows in {where}"
    )


def bench_report(out: Path) -> None:
    """`bench report`: the summary of a run's results, its groups and its unjudged tasks."""
    rows = read_rows(_existing(out))
    models = sorted({str(r.get("model", "")) for r in rows})
    print_summary(summarize(rows), ", ".join(models), results_path(out))
    print_groups(rows)
    print_not_judged(rows)


def print_not_judged(rows: list[dict[str, Any]]) -> None:
    """One line per task whose change tampered with the judge or whose report was off."""
    for row in rows:
        if row.get("verdict") == "tampered":
            files = "; ".join(f"{p}: {why}" for p, why in row.get("tampered", {}).items())
            print(f"tampered: {row['instance_id']} ({files})")
        elif row.get("verdict") == "judge error":
            print(f"judge error: {row['instance_id']}: {row.get('judge_error', '')}")


def print_groups(rows: list[dict[str, Any]]) -> None:
    """Resolved rate, cost, calls, input tokens and time per task, by kind and by project."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="by kind and by project")
    for column in (
        "",
        "tasks",
        "resolved",
        "95% CI",
        "cost ($)",
        "calls",
        "input tokens",
        "time (s)",
    ):
        table.add_column(column, justify="right" if column else "left")
    for field, label in (("kind", "kind"), ("repo", "project")):
        for name, s in split_by(rows, field).items():
            table.add_row(
                f"{label} {name}",
                str(s.tasks),
                f"{s.resolved} ({s.rate:.0%})",
                f"{s.low:.0%}-{s.high:.0%}",
                f"{s.cost[0]:.4f}",
                f"{s.turns[0]:.1f}",
                f"{s.input_tokens[0]:.0f}",
                f"{s.wall_s[0]:.1f}",
            )
    Console(file=sys.stdout, width=110).print(table)


def bench_compare(a: Path, b: Path) -> Comparison:
    """Print how run B differs from run A on their common tasks."""
    rows_a, rows_b = read_rows(_existing(a)), read_rows(_existing(b))
    result = compare(rows_a, rows_b)
    if result.common == 0:
        raise UserError(f"{a} and {b} have no task in common")
    print_comparison(result, a, b)
    return result


def print_comparison(c: Comparison, a: Path, b: Path) -> None:
    """The comparison table, the tasks gained and lost, and a one-line summary."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{c.common} common tasks: A={a}  B={b}")
    for column in ("", "A", "B", "B - A"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row(
        "resolve rate",
        f"{c.rate_a:.1%}",
        f"{c.rate_b:.1%}",
        f"{(c.rate_b - c.rate_a) * 100:+.1f} pts",
    )
    for label, a_value, b_value, digits in (
        ("mean cost ($)", c.cost_a, c.cost_b, 4),
        ("mean time (s)", c.wall_a, c.wall_b, 1),
        ("mean model calls", c.turns_a, c.turns_b, 1),
        ("mean input tokens", c.input_a, c.input_b, 0),
        ("mean cache reads", c.cached_a, c.cached_b, 0),
    ):
        share = _percent(b_value, a_value) if label == "mean input tokens" else ""
        table.add_row(
            label,
            f"{a_value:.{digits}f}",
            f"{b_value:.{digits}f}",
            f"{b_value - a_value:+.{digits}f}{share}",
        )
    Console(file=sys.stdout, width=120).print(table)
    for label, ids in (("gained", c.gained), ("lost", c.lost)):
        for instance_id in ids:
            print(f"{label}: {instance_id}")
    only = f"; {c.only_a} only in A, {c.only_b} only in B" if c.only_a or c.only_b else ""
    print(
        f"B vs A: {len(c.gained)} gained, {len(c.lost)} lost, rate "
        f"{(c.rate_b - c.rate_a) * 100:+.1f} pts, mean cost {c.cost_b - c.cost_a:+.4f} $ "
        f"per task, model calls {c.turns_b - c.turns_a:+.1f}, input tokens "
        f"{c.input_b - c.input_a:+.0f}{_percent(c.input_b, c.input_a)}{only}"
    )


def _percent(new: float, old: float) -> str:
    return f" ({(new - old) / old:+.0%})" if old else ""


def _existing(path: Path) -> Path:
    if not results_path(path).exists():
        raise UserError(f"no results at {results_path(path)}")
    return path
