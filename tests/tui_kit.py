"""Helpers for the TUI tests: wait for the app, read an SVG screenshot back as text."""

from __future__ import annotations

import asyncio
import functools
import html
import os
import re
import time
from pathlib import Path

SNAPSHOTS = Path(__file__).parent / "snapshots"
TEXT = re.compile(r'<text class="[^"]*-r\d+"[^>]*? x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>')
CELL_WIDTH = 12.2


def sync(test):
    """Run an async test function to completion (pytest here has no asyncio plugin)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


async def until(pilot, predicate, timeout: float = 40.0) -> None:
    """Let the app run until `predicate()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        await pilot.pause(0.05)


def svg_lines(svg: str) -> list[str]:
    """The terminal lines an SVG screenshot shows, as plain text."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in TEXT.findall(svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            column = round(x / CELL_WIDTH)
            line = line.ljust(column) + text
        lines.append(line.rstrip())
    return lines


def snapshot(app, name: str, must_show: list[str], this_run: tuple[str, ...] = ()) -> str:
    """Screenshot `app` as tests/snapshots/NAME.svg; both it and the new one show `must_show`.

    `this_run` are texts that differ per run (ids, times): only the new screen must show them.
    The new screenshot goes to tests/snapshots/latest/ (not tracked) to look at; with
    AGENT_UPDATE_SNAPSHOTS=1 it replaces the checked-in one (commit that when the screen
    changes on purpose). The comparison is on the texts a person must see, not on bytes.
    """
    svg = app.export_screenshot(title=name)
    screen = "\n".join(svg_lines(svg))
    missing = [text for text in [*must_show, *this_run] if text not in screen]
    assert not missing, f"{name}: {missing} not on screen:\n{screen}"
    checked_in = SNAPSHOTS / f"{name}.svg"
    if checked_in.exists():
        before = "\n".join(svg_lines(checked_in.read_text(encoding="utf-8")))
        gone = [text for text in must_show if text not in before]
        assert not gone, f"{name}: the checked-in snapshot lacks {gone}"
    update = os.environ.get("AGENT_UPDATE_SNAPSHOTS") == "1" or not checked_in.exists()
    target = checked_in if update else SNAPSHOTS / "latest" / f"{name}.svg"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(svg, encoding="utf-8")
    return screen
