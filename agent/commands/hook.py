"""`agent hook check|review|install`: the pre-commit hook, with or without the framework."""

from __future__ import annotations

from pathlib import Path

import typer

from agent.commands import bounded
from agent.commands.solve import ALLOW_HOME_HELP

MODEL_HELP = "The model (default: the config's model), e.g. anthropic:claude-sonnet-5-5."
STRICT_HELP = "Fail when the model step cannot run (no key, no network) instead of skipping it."


def register(app: typer.Typer) -> None:
    """Add the `hook` group to the app."""
    hook = typer.Typer(
        help="The pre-commit hook: check and review what is staged.", no_args_is_help=True
    )
    app.add_typer(hook, name="hook")

    @hook.command()
    def check(
        files: list[str] = typer.Argument(None, help="Changed files (default: all staged)."),
        fix: bool = typer.Option(
            False,
            "--fix",
            help="When tests fail, let the agent write a fix to the working tree (unstaged).",
        ),
        model: str | None = typer.Option(None, "--model", "-m", help=MODEL_HELP),
        timeout: float = typer.Option(
            300.0, "--timeout", help="Hard limit for the tests (s).", callback=bounded("--timeout")
        ),
        suite_limit: float = typer.Option(
            60.0,
            "--suite-limit",
            callback=bounded("--suite-limit", more_than=False),
            help="Run the whole suite when no test maps to the change, if it takes at most this (s).",
        ),
        fix_cost: float = typer.Option(
            0.5, "--fix-cost", help="Dollar limit for --fix.", callback=bounded("--fix-cost")
        ),
        fix_time: float = typer.Option(
            300.0,
            "--fix-time",
            help="Hard time limit for --fix (s).",
            callback=bounded("--fix-time"),
        ),
        strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
        no_cache: bool = typer.Option(False, "--no-cache", help="Ignore earlier results."),
        allow_home: bool = typer.Option(False, "--allow-home", help=ALLOW_HOME_HELP),
    ) -> None:
        """Run the tests the staged Python files affect, in the sandbox, on the staged content.

        Exit codes: 0 the tests pass (or nothing to test), 1 they fail, 2 usage error.
        """
        from agent.hooks.fix import FixBudget
        from agent.hooks.precommit import CheckOptions
        from agent.hooks.precommit import check as run_check

        options = CheckOptions(
            files=tuple(files or ()),
            timeout_s=timeout,
            suite_limit_s=suite_limit,
            fix=fix,
            model=model,
            budget=FixBudget(cost_usd=fix_cost, wall_s=fix_time),
            strict=strict,
            use_cache=not no_cache,
            allow_home=allow_home,
        )
        raise typer.Exit(run_check(Path.cwd(), options, typer.echo))

    @hook.command()
    def review(
        files: list[str] = typer.Argument(None, help="Changed files (default: all staged)."),
        fail_on: str = typer.Option(
            "high", "--fail-on", help="Fail at this severity or above: high, medium or low."
        ),
        model: str | None = typer.Option(None, "--model", "-m", help=MODEL_HELP),
        timeout: float = typer.Option(
            120.0, "--timeout", help="Hard limit for the model (s).", callback=bounded("--timeout")
        ),
        strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
        no_cache: bool = typer.Option(False, "--no-cache", help="Ignore earlier results."),
        allow_home: bool = typer.Option(False, "--allow-home", help=ALLOW_HOME_HELP),
    ) -> None:
        """Have the model review the staged diff for real defects, as file:line: severity: message.

        Exit codes: 0 nothing at or above --fail-on (or skipped), 1 a finding is, 2 usage error.
        """
        from agent.errors import UserError
        from agent.hooks.precommit import ReviewOptions
        from agent.hooks.precommit import review as run_review
        from agent.hooks.review import SEVERITIES

        if fail_on not in SEVERITIES:
            raise UserError(f"--fail-on must be one of {', '.join(SEVERITIES)}, not {fail_on!r}")
        options = ReviewOptions(
            files=tuple(files or ()),
            fail_on=fail_on,
            model=model,
            timeout_s=timeout,
            strict=strict,
            use_cache=not no_cache,
            allow_home=allow_home,
        )
        raise typer.Exit(run_review(Path.cwd(), options, typer.echo))

    @hook.command()
    def install(
        plain: bool = typer.Option(
            False,
            "--plain",
            help="Write .git/hooks/pre-commit even if the repository uses pre-commit.",
        ),
        framework: bool = typer.Option(
            False,
            "--pre-commit",
            help="Add to .pre-commit-config.yaml even if the repository has none yet.",
        ),
        with_review: bool = typer.Option(
            False, "--review", help="Plain hook only: also run the review before each commit."
        ),
    ) -> None:
        """Add agent-check and agent-review to .pre-commit-config.yaml, or write a git hook.

        Uses .pre-commit-config.yaml when the repository has one; otherwise writes a plain
        .git/hooks/pre-commit (never over a different existing hook). Safe to run twice.
        """
        from agent.errors import UserError
        from agent.hooks.install import install as run_install

        if plain and framework:
            raise UserError("choose one of --plain and --pre-commit")
        mode = "plain" if plain else "pre-commit" if framework else "auto"
        for line in run_install(Path.cwd(), mode, with_review):
            typer.echo(line)
