"""Commands of this area; filled in by the area's owner."""

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the app."""
