"""`agent bench ...`: synthesize bug tasks from a repository and evaluate on them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

SANDBOX_HELP = "Sandbox backend: auto, bwrap or none."


def register(app: typer.Typer) -> None:
    """Add the `bench` sub-app with `synth` and `localize`."""
    bench = typer.Typer(help="Synthesize bug tasks and measure the agent on them.",
                        no_args_is_help=True)
    app.add_typer(bench, name="bench")

    @bench.command()
    def synth(
        repo: Path = typer.Argument(..., help="The repository to break (a git checkout)."),
        tests: str = typer.Option(..., "--tests", help="Its pytest command, e.g. "
                                  "'PYTHONPATH=src python -m pytest -q tests'."),
        seed: int = typer.Option(0, "--seed", help="Same seed, same tasks."),
        max_tasks: int = typer.Option(50, "--max", help="Stop after this many validated bugs."),
        out: Path = typer.Option(None, "--out", help="JSONL file to write (default: stdout)."),
        workers: int = typer.Option(2, "--workers", help="Validation processes."),
        timeout: float = typer.Option(None, "--timeout", help="Seconds per test-suite run "
                                      "(default: 5x the clean run, at least 30)."),
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
        repos: Path = typer.Option(None, "--repos", help="Directory holding the "
                                   "repositories by name (default: each task's repo_path)."),
        limit: int = typer.Option(0, "--limit", help="Only the first N tasks (0: all)."),
        as_json: bool = typer.Option(False, "--json", help="Print per-task JSON lines too."),
        sandbox: str = typer.Option("auto", "--sandbox", help=SANDBOX_HELP),
    ) -> None:
        """Apply each bug, localize it from its failing tests, report top-1/3/5 accuracy."""
        from agent.bench.synth_cli import run_localize_bench

        run_localize_bench(tasks_file, repos, limit, as_json, sandbox)
