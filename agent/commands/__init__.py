"""The command modules; each has a `register(app)` function (see agent/cli.py)."""

from __future__ import annotations

from collections.abc import Callable


def bounded(
    flag: str, least: float = 0, more_than: bool = True
) -> Callable[[float | None], float | None]:
    """A typer callback for a number flag that refuses NaN, infinity and values below
    `least` (or equal to it with `more_than`) with one line and exit 2."""

    def check(value: float | None) -> float | None:
        if value is None:
            return None
        from agent.config import check_number

        return check_number(flag, value, "the command line", least, more_than)

    return check
