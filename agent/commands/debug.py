"""`agent localize TEST_ID...` and `agent trace TEST_ID`: debugging from real execution."""

from __future__ import annotations

import json
from pathlib import Path

import typer

TESTS_HELP = (
    "The project's pytest command (env assignments allowed), e.g. 'PYTHONPATH=src pytest tests'."
)
SANDBOX_HELP = "Sandbox backend: auto, bwrap or none."


def _root(path: Path | None) -> Path:
    here = (path or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return here


def register(app: typer.Typer) -> None:
    """Add `localize` and `trace` to the app."""

    @app.command()
    def localize(
        test_ids: list[str] = typer.Argument(..., help="Failing tests (pytest node ids)."),
        tests: str = typer.Option("python -m pytest", "--tests", help=TESTS_HELP),
        top: int = typer.Option(10, "--top", help="How many functions to show."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
        root: Path = typer.Option(None, "--root", help="Repository root (default: here)."),
        sandbox: str = typer.Option("auto", "--sandbox", help=SANDBOX_HELP),
    ) -> None:
        """Rank the functions most likely to cause the failing tests, with reasons."""
        from agent.debug.localize import localize as run_localize
        from agent.debug.report import localization_text

        loc = run_localize(_root(root), test_ids, tests, backend=sandbox)
        if as_json:
            from dataclasses import asdict

            typer.echo(
                json.dumps(
                    {
                        "ranked": [asdict(s) for s in loc.ranked[:top]],
                        "failing": loc.failing,
                        "passing": loc.passing,
                        "seconds": loc.seconds,
                    },
                    indent=2,
                )
            )
            return
        typer.echo(localization_text(loc, top))

    @app.command()
    def trace(
        test_id: str = typer.Argument(..., help="The test to trace (a pytest node id)."),
        focus: list[str] = typer.Option(
            None, "--focus", help="Only these functions get line-by-line locals (repeatable)."
        ),
        tests: str = typer.Option("python -m pytest", "--tests", help=TESTS_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print the JSON artifact."),
        root: Path = typer.Option(None, "--root", help="Repository root (default: here)."),
        sandbox: str = typer.Option("auto", "--sandbox", help=SANDBOX_HELP),
    ) -> None:
        """Run one test under the tracer and show what really happened on its way to failing."""
        from agent.debug.report import trace_one

        trace_data, text = trace_one(_root(root), test_id, tests, focus or None, sandbox)
        typer.echo(json.dumps(trace_data, indent=1) if as_json else text)
