"""`agent doctor`: report what this machine offers the agent."""

import typer


def register(app: typer.Typer) -> None:
    """Add the doctor command to the app."""
