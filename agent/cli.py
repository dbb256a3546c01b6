"""The `agent` command line: wires the command modules into one typer app.

Each area owns one module under agent/commands/ with a `register(app)` function.
Those modules import only typer at the top, so `agent --help` and `agent map` start fast;
heavy imports (SDKs, Textual) happen inside the command that needs them.
"""

from __future__ import annotations

import typer

from agent import __version__
from agent.commands import (
    acp,
    bench,
    debug,
    doctor,
    history,
    hook,
    index,
    mcp,
    sandbox,
    solve,
    tools,
    tui,
)

app = typer.Typer(
    name="agent",
    help="A coding agent that runs your code instead of guessing what it does.",
    no_args_is_help=False,
    invoke_without_command=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"agent {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        help="Print the version and exit.",
        callback=_print_version,
        is_eager=True,
    ),
) -> None:
    """A coding agent that runs your code instead of guessing what it does.

    With no command, opens the interactive session (`agent tui`).
    """
    if ctx.invoked_subcommand is None:
        tui.launch()


for module in (solve, doctor, index, sandbox, tools, history, debug, bench, tui, hook, mcp, acp):
    module.register(app)


def main() -> None:
    """Entry point of the console script: user errors become one line and exit 2."""
    import sys

    from agent.errors import UserError, environment_problem

    try:
        app()
    except UserError as error:
        typer.echo(f"agent: {error}", err=True)
        sys.exit(error.exit_code)
    except Exception as error:  # the machine failed (a full disk, ...): one line, not a trace
        problem = environment_problem(error)
        if problem is None:
            raise
        typer.echo(f"agent: {problem}", err=True)
        sys.exit(UserError.exit_code)
