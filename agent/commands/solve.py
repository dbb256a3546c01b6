"""`agent solve` and `agent demo`: run the plan-code-test loop headless."""

from __future__ import annotations

from pathlib import Path

import typer

ALLOW_HOME_HELP = (
    "Allow the workspace to be your home folder, / or a folder holding your "
    "home (refused by default: all of it would be open to the agent)."
)


def register(app: typer.Typer) -> None:
    """Add `solve` and `demo` to the app."""

    @app.command(no_args_is_help=False)
    def solve(
        task: str = typer.Argument("", help="What you want done, in plain words."),
        model: str | None = typer.Option(
            None,
            "--model",
            "-m",
            help="anthropic:MODEL, openai:MODEL@URL, replay:DIR or bridge:DIR.",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document at the end."),
        jsonl: bool = typer.Option(False, "--jsonl", help="Stream every event as a JSON line."),
        allow_dirty: bool = typer.Option(
            False,
            "--allow-dirty",
            help="Start on a tree with uncommitted changes (a snapshot is kept first).",
        ),
        commit: bool = typer.Option(False, "--commit", help="Commit a solved change."),
        branch: str | None = typer.Option(
            None,
            "--branch",
            help="Put a solved change on a new branch NAME; your branch stays as it was.",
        ),
        worktree: bool = typer.Option(
            False,
            "--worktree",
            help="Work in a separate git worktree; your working tree is never touched.",
        ),
        resume: str | None = typer.Option(None, "--resume", help="Continue a stopped session."),
        record: Path | None = typer.Option(
            None,
            "--record",
            help="Record every model request and answer in DIR (replayable with replay:DIR).",
        ),
        sandbox: str | None = typer.Option(
            None,
            "--sandbox",
            help="auto, bwrap, or none (runs commands unconfined; only when you name it).",
        ),
        network: bool | None = typer.Option(
            None,
            "--network/--no-network",
            help="Let sandboxed commands reach the network (off by default).",
        ),
        max_cost: float | None = typer.Option(None, "--max-cost", help="Dollar limit."),
        max_turns: int | None = typer.Option(None, "--max-turns", help="Model call limit."),
        max_time: float | None = typer.Option(None, "--max-time", help="Wall time limit (s)."),
        test_command: str | None = typer.Option(
            None,
            "--test-command",
            help="How to run the tests (detected from the project when not given).",
        ),
        allow_home: bool = typer.Option(False, "--allow-home", help=ALLOW_HOME_HELP),
    ) -> None:
        """Solve a task in this repository: plan, edit, test in a sandbox, debug, hand back a diff.

        Exit codes: 0 solved, 1 not solved, 2 an error (usage, config, model, disk),
        3 a budget ran out, 130 interrupted (the session stays resumable with --resume ID).
        """
        from agent.runner import SolveOptions

        overrides = {
            "model": model,
            "sandbox": sandbox,
            "network": network,
            "max_cost_usd": max_cost,
            "max_turns": max_turns,
            "max_wall_s": max_time,
            "test_command": test_command,
        }
        result_mode = "branch" if branch else "commit" if commit else "leave"
        options = SolveOptions(
            task=task,
            overrides=overrides,
            allow_dirty=allow_dirty,
            result=result_mode,
            branch=branch,
            worktree=worktree,
            resume=resume,
            record=record,
            allow_home=allow_home,
        )
        raise typer.Exit(_run(options, as_json, jsonl))

    @app.command()
    def demo(
        directory: Path | None = typer.Option(
            None, "--dir", help="Where to put the demo project (default: a new temporary folder)."
        ),
        sandbox: str | None = typer.Option(
            None,
            "--sandbox",
            help="auto, bwrap, or none (runs commands unconfined; only when you name it).",
        ),
    ) -> None:
        """Run the whole loop offline on a small buggy project, with a recorded model session.

        Real index, real sandboxed pytest runs, real edits and git checkpoints; only the
        model's answers are recorded. No API key needed.
        """
        from agent.demo import prepare_demo

        project, model_spec = prepare_demo(directory)
        typer.echo(f"demo project: {project}")
        options = _demo_options(project, model_spec, sandbox)
        code = _run(options, as_json=False, jsonl=False)
        typer.echo(f"\nThe change is in {project} (git diff there; `agent undo` takes it back).")
        raise typer.Exit(code)


def _demo_options(project: Path, model_spec: str, sandbox: str | None):
    from agent.demo import DEMO_TASK
    from agent.runner import SolveOptions

    return SolveOptions(
        task=DEMO_TASK, cwd=project, overrides={"model": model_spec, "sandbox": sandbox}
    )


def _run(options, as_json: bool, jsonl: bool) -> int:
    """Run a session with the right printers; returns the exit code."""
    import json
    import sys

    from agent.extension import EventSink
    from agent.progress import JsonlPrinter, ProgressPrinter
    from agent.runner import exit_code, run_session

    sinks: list[EventSink]
    if jsonl:
        sinks = [JsonlPrinter(sys.stdout)]
    elif as_json:
        sinks = [ProgressPrinter(sys.stderr, color=True)] if sys.stderr.isatty() else []
    else:
        sinks = [ProgressPrinter(sys.stdout, color=sys.stdout.isatty())]
    result = run_session(options, sinks)
    if result.outcome.status == "error":  # the reason, on stderr whatever the output mode
        typer.echo(f"agent: {' '.join(result.outcome.stop_reason.split())}", err=True)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    elif not jsonl:
        _print_delivery(result)
    return exit_code(result.outcome.status)


def _print_delivery(result) -> None:
    delivery = result.delivery
    files = ", ".join(result.files) or "no files"
    where = delivery.get("worktree", "the working tree")
    if delivery.get("branch"):
        typer.echo(f"committed on branch {delivery['branch']} ({delivery['commit'][:10]})")
    elif delivery.get("commit"):
        typer.echo(f"committed {delivery['commit'][:10]}: {files}")
    elif result.files:
        typer.echo(
            f"changed in {where}: {files} (session {result.session_id}; "
            "`agent diff` shows it, `agent undo --to-start` takes it back)"
        )
    _print_touched(result.touched)


def _print_touched(touched) -> None:
    """Every file the session touched, tracked or not: ignored ones appear nowhere else."""
    from agent.review.report import report_lines

    if touched:
        typer.echo(
            f"files the session touched ({len(touched)}; tracked, untracked, "
            "git-ignored and under .git):"
        )
        for line in report_lines(touched):
            typer.echo(line)
