"""Bounds on a session: model turns, dollars and wall time. Each ends the run with a reason."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from agent.messages import Usage


class BudgetExhausted(Exception):
    """A bound was reached; the message is the stop reason shown to the user."""


class Interrupted(Exception):
    """The person stopped the run (Ctrl-C, Esc in the TUI)."""


@dataclass
class Budget:
    """Counts what a session spends and raises `BudgetExhausted` past a bound."""

    max_turns: int = 60
    max_cost_usd: float = 2.0
    max_wall_s: float = 1800.0
    turns: int = 0
    usage: Usage = field(default_factory=Usage)
    started: float = field(default_factory=time.monotonic)

    @property
    def deadline(self) -> float:
        """When the wall-clock bound runs out, as a `time.monotonic()` value."""
        return self.started + self.max_wall_s

    def time_left(self) -> float:
        """Seconds until the wall-clock bound runs out (negative once it has)."""
        return self.deadline - time.monotonic()

    def charge(self, usage: Usage) -> None:
        """Add one model call's usage."""
        self.turns += 1
        self.usage = self.usage + usage

    def check(self) -> None:
        """Raise `BudgetExhausted` if any bound is reached."""
        if self.turns >= self.max_turns:
            raise BudgetExhausted(f"turn limit reached ({self.max_turns} model calls)")
        if self.usage.cost_usd >= self.max_cost_usd:
            raise BudgetExhausted(
                f"cost limit reached (${self.usage.cost_usd:.2f} of ${self.max_cost_usd:.2f})"
            )
        elapsed = time.monotonic() - self.started
        if elapsed >= self.max_wall_s:
            raise BudgetExhausted(f"time limit reached ({elapsed:.0f}s of {self.max_wall_s:.0f}s)")
