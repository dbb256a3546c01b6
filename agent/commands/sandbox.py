"""`agent sandbox -- CMD ARGS...`: run any command exactly as the agent's commands run."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from agent.sandbox import Result


def register(app: typer.Typer) -> None:
    """Add the sandbox command to the app."""

    @app.command("sandbox")
    def sandbox_command(
        command: list[str] = typer.Argument(
            None, metavar="-- CMD [ARGS]...", help="The command to run, after --."
        ),
        network: bool = typer.Option(False, "--network", help="Let the command use the network."),
        timeout: float | None = typer.Option(
            None,
            "--timeout",
            min=0.001,
            metavar="S",
            help="Kill the command after S seconds (default: command_timeout_s, 120).",
        ),
        backend: str | None = typer.Option(
            None,
            "--backend",
            "--sandbox",
            metavar="B",
            help="auto or bwrap (confined), or none (no isolation; say it explicitly).",
        ),
    ) -> None:
        """Run CMD in the sandbox with this repository's policy and pass its exit code through.

        The git root of the current folder (or the folder itself) is writable, the rest of
        the system read-only; secrets are hidden; the network is off unless allowed.
        """
        from pathlib import Path

        from agent.config import load_config
        from agent.errors import UserError
        from agent.sandbox import create_sandbox, find_workspace, unconfined_warning
        from agent.sandboxing import sandbox_policy

        if not command:
            raise UserError("give the command to run after --, e.g. agent sandbox -- pytest -q")
        workspace = find_workspace(Path.cwd())
        config = load_config(
            workspace,
            {"sandbox": backend, "network": network or None, "command_timeout_s": timeout},
        )
        policy = sandbox_policy(workspace, config)
        box = create_sandbox(policy, config.sandbox)
        warning = unconfined_warning(box)
        if warning:
            typer.secho(warning, err=True, fg="red", bold=True)
        stdin = sys.stdin.buffer.read() if _stdin_is_data() else None
        result = box.run(command, cwd=Path.cwd(), stdin=stdin, on_output=_echo_output)
        raise typer.Exit(_exit_code(result, command[0], policy.timeout_s))


def _exit_code(result: Result, name: str, timeout_s: float) -> int:
    """The shell's code for how the command ended: its own, 128 + signal, 124 on timeout."""
    if result.timed_out:
        typer.echo(f"agent: {name} timed out after {timeout_s:g} s and was killed", err=True)
        return 124
    if result.killed_by:
        typer.echo(f"agent: {name} was killed by {result.killed_by}", err=True)
    return 128 - result.exit_code if result.exit_code < 0 else result.exit_code


def _stdin_is_data() -> bool:
    """True when stdin is a pipe or a file (input meant for the command), not a terminal."""
    import os
    import stat

    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def _echo_output(stream: str, data: bytes) -> None:
    target = sys.stdout if stream == "stdout" else sys.stderr
    target.buffer.write(data)
    target.flush()
