"""The status line: model, phase, permission mode, tokens, cost and elapsed time."""

from __future__ import annotations

import time

from textual.widgets import Static

MODEL_WIDTH = 24


class StatusLine(Static):
    """One line of running totals above the key footer."""

    def __init__(self, **kwargs) -> None:
        super().__init__(markup=False, **kwargs)
        self.model = "-"
        self.phase = "idle"
        self.mode = "suggest"
        self.tokens_in = self.tokens_out = 0
        self.cost = 0.0
        self.started: float | None = None
        self.stopped: float | None = None

    def on_mount(self) -> None:
        """Tick once a second so the elapsed time moves while a session runs."""
        self.set_interval(1.0, self.refresh_line)
        self.refresh_line()

    def start_clock(self) -> None:
        """A run began: elapsed counts from now (continuing across resumed runs)."""
        if self.started is None or self.stopped is not None:
            paused = (self.stopped - self.started) if self.started and self.stopped else 0.0
            self.started, self.stopped = time.monotonic() - paused, None

    def stop_clock(self) -> None:
        """The run ended: elapsed stays put."""
        self.stopped = time.monotonic()

    def refresh_line(self) -> None:
        """Redraw the line from the current values."""
        elapsed = (
            0 if self.started is None else int((self.stopped or time.monotonic()) - self.started)
        )
        self.update(
            f"{_clip(self.model, MODEL_WIDTH)} · {self.phase} · mode {self.mode} · "
            f"tokens {_short(self.tokens_in)} in / {_short(self.tokens_out)} out · "
            f"${self.cost:.4f} · {elapsed // 60}:{elapsed % 60:02d}"
        )


def _clip(text: str, width: int) -> str:
    """`text` in at most `width` characters, keeping both ends (a model's name and its source)."""
    if len(text) <= width:
        return text
    half = (width - 1) // 2
    return text[:half] + "…" + text[len(text) - (width - 1 - half) :]


def _short(count: int) -> str:
    return f"{count / 1000:.1f}k" if count >= 1000 else str(count)
