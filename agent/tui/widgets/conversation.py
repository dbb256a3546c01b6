"""The conversation pane: the model's text as Markdown, each tool call as a collapsible row."""

from __future__ import annotations

import json
import time

from rich.markup import escape
from textual.containers import VerticalScroll
from textual.widgets import Collapsible, Markdown, Static

RESULT_LINES = 40
ARGUMENT_CHARS = 400


class ConversationPane(VerticalScroll):
    """What the model said and did, newest at the bottom."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._stream: Markdown | None = None
        self._streamed = ""
        self._calls: dict[str, tuple[Collapsible, Static, float]] = {}

    async def add_note(self, text: str, classes: str = "note") -> None:
        """A line from the app or the person (task, guidance, undo, outcome)."""
        self._stream = None
        await self.mount(Static(text, classes=classes, markup=False))
        self.scroll_end(animate=False)

    async def add_text(self, text: str, delta: bool) -> None:
        """Model text: streamed pieces join one Markdown block; a whole message closes it."""
        if delta:
            if self._stream is None:
                self._stream, self._streamed = Markdown(classes="model"), ""
                await self.mount(self._stream)
            self._streamed += text
            await self._stream.append(text)
        elif self._stream is not None and self._streamed.strip() == text.strip():
            self._stream = None  # the whole message was already streamed
        else:
            self._stream = None
            await self.mount(Markdown(text, classes="model"))
        self.scroll_end(animate=False)

    async def call_started(self, call_id: str, name: str, arguments: dict) -> None:
        """A collapsed row for a running tool call, its arguments inside."""
        self._stream = None
        result = Static("running…", classes="result", markup=False)
        row = Collapsible(
            Static(format_arguments(arguments), classes="arguments", markup=False),
            result,
            title=_title("…", name, arguments, "running"),
            collapsed=True,
            classes="call",
        )
        row.call_arguments = arguments  # the title is rebuilt from these when the call ends
        self._calls[call_id] = (row, result, time.monotonic())
        await self.mount(row)
        self.scroll_end(animate=False)

    def call_finished(
        self, call_id: str, name: str, output: str, is_error: bool, duration_s: float
    ) -> None:
        """Status, duration and result on the call's row."""
        found = self._calls.get(call_id)
        if found is None:
            return
        row, result, _ = found
        mark, status = ("✗", "error") if is_error else ("✓", f"{duration_s:.2f}s")
        row.title = _title(mark, name, getattr(row, "call_arguments", {}), status)
        row.set_class(is_error, "failed")
        result.update(clip_lines(output, RESULT_LINES))


def _title(mark: str, name: str, arguments: dict, status: str) -> str:
    subject = arguments.get("path") or arguments.get("command") or arguments.get("target") or ""
    subject = " ".join(str(subject).split())
    if len(subject) > 40:
        subject = subject[:39] + "…"
    return escape(f"{mark} {name} {subject} · {status}".replace("  ", " "))


def format_arguments(arguments: dict) -> str:
    """A tool call's arguments, one per line, long values clipped."""
    lines = []
    for key, value in arguments.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if len(shown) > ARGUMENT_CHARS:
            shown = shown[:ARGUMENT_CHARS] + f"… ({len(shown)} chars)"
        lines.append(f"{key}: {shown}" if "\n" not in shown else f"{key}:\n{shown}")
    return "\n".join(lines) or "(no arguments)"


def clip_lines(text: str, limit: int) -> str:
    """At most `limit` lines of `text`, saying how many were left out."""
    lines = text.rstrip("\n").splitlines()
    if len(lines) <= limit:
        return "\n".join(lines) or "(no output)"
    return "\n".join([*lines[:limit], f"… ({len(lines) - limit} more lines)"])
