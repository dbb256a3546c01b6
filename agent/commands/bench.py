"""`agent bench ...`: make tasks from a repository (synthesized bugs, its history) and run them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from agent.commands import bounded

SANDBOX_HELP = "Sandbox backend: auto, bwrap or none."


def register(app: typer.Typer) -> None:
    """Add the `bench` sub-app with `synth`, `mine`, `localize`, `run`, `compare` and `report`."""
    bench = typer.Typer(
        help="Synthesize bug tasks and measure the agent on them.", no_args_is_help=True
    )
    app.add_typer(bench, name="bench")

    @bench.command()
    def synth(
        repo: Path = typer.Argument(..., help="The repository to break (a git checkout)."),
        tests: str = typer.Option(
            ...,
            "--tests",
            help="Its pytest command, e.g. 'PYTHONPATH=src python -m pytest -q tests'.",
        ),
        seed: int = typer.Option(0, "--seed", help="Same seed, same tasks."),
        max_tasks: int = typer.Option(50, "--max", help="Stop after this many validated bugs."),
        out: Path = typer.Option(None, "--out", help="JSONL file to write (default: stdout)."),
        workers: int = typer.Option(2, "--workers", help="Validation processes."),
        timeout: float = typer.Option(
            None,
            "--timeout",
            callback=bounded("--timeout"),
            help="Seconds per test-suite run (default: 5x the clean run, at least 30).",
        ),
        sandbox: str = typer.Option("auto", "--sandbox", help=SANDBOX_HELP),
    ) -> None:
        """Break REPO's functions on purpose; keep the bugs its tests catch (JSONL tasks)."""
        from agent.bench.synth_cli import run_synth

        tasks = run_synth(repo, tests, seed, max_tasks, workers, timeout, sandbox)
        text = "".join(json.dumps(t) + "\n" for t in tasks)
        if out is None:
            sys.stdout.write(text)
        else:
            from agent.bench.synth_cli import write_atomic_text

            write_atomic_text(out, text)
        typer.echo(f"{len(tasks)} validated bugs from {repo}", err=True)

    @bench.command("localize")
    def localize_cmd(
        tasks_file: Path = typer.Argument(..., help="Tasks from `agent bench synth`."),
        repos: Path = typer.Option(
            None,
            "--repos",
            help="Directory holding the repositories by name (default: each task's repo_path).",
        ),
        limit: int = typer.Option(0, "--limit", help="Only the first N tasks (0: all)."),
        as_json: bool = typer.Option(False, "--json", help="Print per-task JSON lines too."),
        sandbox: str = typer.Option("auto", "--sandbox", help=SANDBOX_HELP),
    ) -> None:
        """Apply each bug, localize it from its failing tests, report top-1/3/5 accuracy."""
        from agent.bench.synth_cli import run_localize_bench

        run_localize_bench(tasks_file, repos, limit, as_json, sandbox)

    _register_mine(bench)
    _register_run(bench)


def _register_mine(bench: typer.Typer) -> None:
    """Add `bench mine`."""

    @bench.command("mine")
    def mine_cmd(
        repo: Path = typer.Argument(..., help="The repository whose history to mine."),
        tests: str = typer.Option(
            ...,
            "--tests",
            help="Its pytest command, e.g. 'python -m pytest -q' (test paths are replaced).",
        ),
        out: Path = typer.Option(
            ...,
            "--out",
            help="JSONL file of tasks; OUT.state beside it "
            "records every commit decided, so a rerun resumes.",
        ),
        max_tasks: int = typer.Option(50, "--max", help="Stop after this many tasks."),
        since: str = typer.Option(None, "--since", help="Only commits after this revision."),
        grep: str = typer.Option(
            None,
            "--grep",
            help="Only commits whose message matches this regular expression (case-insensitive).",
        ),
        kind: str = typer.Option(
            "all",
            "--kind",
            help="bug, feature (the commit adds public functions or classes) or all.",
        ),
        workers: int = typer.Option(2, "--workers", help="Commits mined at once."),
        timeout: float = typer.Option(
            300.0,
            "--timeout",
            callback=bounded("--timeout"),
            help="Seconds per test run (three runs per commit).",
        ),
        sandbox: str = typer.Option("auto", "--sandbox", help=SANDBOX_HELP),
    ) -> None:
        """Turn REPO's fix and feature commits into tasks with hidden tests (SWE-bench style).

        A commit that changes code and test modules becomes a task when some of its tests
        fail at its parent (with only its test changes) and pass with the whole commit.
        """
        from agent.bench.mine_cli import mine_tasks, print_verdict

        tasks = mine_tasks(
            repo,
            tests,
            out,
            max_tasks=max_tasks,
            since=since,
            grep=grep,
            kind=kind,
            workers=workers,
            timeout=timeout,
            backend=sandbox,
            on_verdict=print_verdict,
        )
        typer.echo(f"{len(tasks)} tasks from {repo} in {out}", err=True)


def _register_run(bench: typer.Typer) -> None:
    """Add `bench run`, `bench compare` and `bench report`."""

    @bench.command("run")
    def run_cmd(
        tasks_file: Path = typer.Argument(
            ...,
            help="Tasks (JSONL) from `agent bench synth`, "
            "`agent bench mine` or a SWE-bench instance file.",
        ),
        model: str = typer.Option(
            None,
            "--model",
            "-m",
            help="anthropic:MODEL, openai:MODEL@URL, "
            "replay:DIR or bridge:DIR (DIR/<instance_id> per task).",
        ),
        gold: bool = typer.Option(
            False,
            "--gold",
            help="Apply each task's own fix instead of "
            "solving: every task must resolve (checks tasks and harness).",
        ),
        empty: bool = typer.Option(False, "--empty", help="Apply nothing: no task may resolve."),
        workers: int = typer.Option(2, "--workers", help="Tasks at once."),
        limit: int = typer.Option(0, "--limit", help="Only the first K tasks (0: all)."),
        out: Path = typer.Option(
            Path("bench-results"),
            "--out",
            help="Folder for results.jsonl, sessions and logs; a rerun skips finished tasks.",
        ),
        task_timeout: float = typer.Option(
            1800.0,
            "--task-timeout",
            callback=bounded("--task-timeout"),
            help="Seconds per task for the agent (its max_wall_s).",
        ),
        task_cost: float = typer.Option(
            None,
            "--task-cost",
            callback=bounded("--task-cost"),
            help="Dollars per task (its max_cost_usd; default: the config's).",
        ),
        executor: str = typer.Option(
            "local", "--executor", help="local (worker processes) or ray."
        ),
        address: str = typer.Option(
            None, "--address", help="Ray cluster to join (default: start a local Ray instance)."
        ),
        repos: Path = typer.Option(
            None,
            "--repos",
            help="Directory holding the repositories by name (default: each task's repo_path).",
        ),
        sandbox: str = typer.Option(None, "--sandbox", help=SANDBOX_HELP),
    ) -> None:
        """Solve each task in a fresh copy and judge it by its FAIL_TO_PASS / PASS_TO_PASS tests.

        Tasks with a test_patch (mined or SWE-bench) are solved without it; the evaluation
        puts back the agent's edits to those test files and applies it. Each run also writes
        predictions.jsonl in SWE-bench's format next to results.jsonl.
        """
        from agent.bench.run import BenchSettings, absolute_model_spec
        from agent.bench.run_cli import bench_run, run_mode

        mode = run_mode(model, gold, empty)
        settings = BenchSettings(
            model=absolute_model_spec(model) if model else mode,
            task_timeout_s=task_timeout,
            mode=mode,
            task_cost_usd=task_cost,
            sandbox=sandbox,
            repos=str(repos.resolve()) if repos else None,
            tasks_file=str(tasks_file.resolve()),
        )
        raise typer.Exit(bench_run(tasks_file, out, settings, workers, limit, executor, address))

    @bench.command("compare")
    def compare_cmd(
        a: Path = typer.Argument(..., help="Results of run A (results.jsonl or its --out)."),
        b: Path = typer.Argument(..., help="Results of run B."),
    ) -> None:
        """Tasks B resolves that A did not (gained), the reverse (lost), rate and cost deltas."""
        from agent.bench.run_cli import bench_compare

        bench_compare(a, b)

    @bench.command("report")
    def report_cmd(
        out: Path = typer.Argument(..., help="Results of a run (results.jsonl or its --out)."),
    ) -> None:
        """The run's summary, by kind and project, and the tasks judged tampered or in error."""
        from agent.bench.run_cli import bench_report

        bench_report(out)
