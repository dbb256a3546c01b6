"""`agent tui` (and `agent` alone): the interactive session in the terminal."""

from __future__ import annotations

from pathlib import Path

import typer

from agent.commands.solve import ALLOW_HOME_HELP

MODES = ("suggest", "auto-edit", "full-auto")


def register(app: typer.Typer) -> None:
    """Add `tui` to the app."""

    @app.command("tui")
    def tui(
        model: str | None = typer.Option(
            None,
            "--model",
            "-m",
            help="anthropic:MODEL, openai:MODEL@URL, replay:DIR or bridge:DIR.",
        ),
        mode: str = typer.Option(
            "suggest",
            "--mode",
            help="suggest (approve every edit and command), auto-edit (commands ask), "
            "or full-auto (only the budget stops it); ctrl+t switches live.",
        ),
        sandbox: str | None = typer.Option(
            None,
            "--sandbox",
            help="auto, bwrap, or none (runs commands unconfined; only when you name it).",
        ),
        max_cost: float | None = typer.Option(None, "--max-cost", help="Dollar limit."),
        allow_home: bool = typer.Option(False, "--allow-home", help=ALLOW_HOME_HELP),
    ) -> None:
        """Oversee the agent in an interactive session: plan, approvals, diffs, tests, cost.

        `agent` with no arguments opens it too. F1 inside lists every key.
        """
        launch(model=model, mode=mode, sandbox=sandbox, max_cost=max_cost, allow_home=allow_home)


def launch(
    model: str | None = None,
    mode: str = "suggest",
    sandbox: str | None = None,
    max_cost: float | None = None,
    allow_home: bool = False,
) -> None:
    """Open the TUI on the repository around the current directory."""
    from agent.confine import refuse_home_workspace
    from agent.errors import UserError
    from agent.gitops.checkpoints import Workspace

    if mode not in MODES:
        raise UserError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    root = Workspace.open(Path.cwd()).root
    refuse_home_workspace(root, allow_home)
    from agent.tui.app import AgentApp

    overrides = {"model": model, "sandbox": sandbox, "max_cost_usd": max_cost}
    app = AgentApp(root, overrides=overrides, mode=mode, allow_home=allow_home)
    app.run()
    if app.session_id:
        typer.echo(
            f"session {app.session_id}: {app.last_status or 'stopped'} "
            f"(`agent tui`, ctrl+r resumes it; `agent show {app.session_id}` prints it)"
        )


def replay(session: str) -> None:
    """Show a stored session read-only in the session screen (`agent show ID --tui`)."""
    from agent.gitops.checkpoints import Workspace
    from agent.session import SessionStore

    store = SessionStore.open(Workspace.open(Path.cwd()).root)
    record = store.get(session)
    from agent.tui.replay import ReplayApp

    ReplayApp(record, store.events(record.id)).run()
