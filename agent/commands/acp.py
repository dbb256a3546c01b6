"""`agent acp`: speak the Agent Client Protocol on stdin/stdout for an editor or Toad."""

from __future__ import annotations

import typer

from agent.commands.solve import ALLOW_HOME_HELP
from agent.commands.tui import MODES


def register(app: typer.Typer) -> None:
    """Add `acp` to the app."""

    @app.command("acp")
    def acp(
        model: str | None = typer.Option(
            None,
            "--model",
            "-m",
            help="anthropic:MODEL, openai:MODEL@URL, replay:DIR or bridge:DIR.",
        ),
        mode: str = typer.Option(
            "suggest",
            "--mode",
            help="suggest (the editor approves every edit and command), auto-edit "
            "(commands ask), or full-auto (only the budget stops it).",
        ),
        sandbox: str | None = typer.Option(
            None,
            "--sandbox",
            help="auto, bwrap, or none (runs commands unconfined; only when you name it).",
        ),
        max_cost: float | None = typer.Option(None, "--max-cost", help="Dollar limit per prompt."),
        allow_dirty: bool = typer.Option(
            False,
            "--allow-dirty",
            help="Start on a tree with uncommitted changes (a snapshot is kept first).",
        ),
        allow_home: bool = typer.Option(False, "--allow-home", help=ALLOW_HOME_HELP),
    ) -> None:
        """Be an ACP agent on stdin/stdout: Zed, JetBrains, Neovim plugins and Toad drive it.

        Each session works in the repository the client names, under its config; edits and
        commands still go through our sandbox, even when the client offers its own.
        """
        import asyncio

        from agent.acp.server import serve
        from agent.acp.turns import Launch
        from agent.errors import UserError

        if mode not in MODES:
            raise UserError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        _log_one_line()
        overrides = {"model": model, "sandbox": sandbox, "max_cost_usd": max_cost}
        launch = Launch(overrides, mode=mode, allow_dirty=allow_dirty, allow_home=allow_home)
        try:
            asyncio.run(serve(launch))
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except (ConnectionError, ValueError, AttributeError, TypeError) as problem:
            raise UserError(
                f"the ACP client sent what cannot be read ({problem}); the connection is closed"
            ) from None


def _log_one_line() -> None:
    """Problems go to stderr as one line each (stdout carries the protocol)."""
    import logging
    import sys

    class OneLine(logging.Formatter):
        def formatException(self, exc_info) -> str:
            return ""

        def format(self, record: logging.LogRecord) -> str:
            problem = f": {record.exc_info[1]}" if record.exc_info and record.exc_info[1] else ""
            return f"agent acp: {record.getMessage()}{problem}"

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine())
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
