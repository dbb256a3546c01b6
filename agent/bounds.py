"""The session's wall-clock bound over everything that waits: model calls and commands.

`Budget.check()` runs between turns; these wrappers carry the same deadline into the calls
themselves, so a hung model server or a slow command cannot run past `--max-time`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from agent.budget import Budget, BudgetExhausted


class TimedModel:
    """A model whose every request carries the session's deadline (see
    `ModelRequest.deadline`); everything else is the wrapped model's."""

    def __init__(self, model: Any, budget: Budget) -> None:
        self.inner = model
        self.budget = budget

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def complete(self, request, on_text=None):
        """The wrapped model's answer, awaited no longer than the time left."""
        if request.deadline is None or request.deadline > self.budget.deadline:
            request = dataclasses.replace(request, deadline=self.budget.deadline)
        return self.inner.complete(request, on_text)


class TimedSandbox:
    """A sandbox whose commands get at most the session's time left."""

    def __init__(self, sandbox: Any, budget: Budget) -> None:
        self.inner = sandbox
        self.budget = budget

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def run(self, argv, cwd=None, timeout=None, network=False, env=None, stdin=None,
            on_output=None):
        """Run as the wrapped sandbox does, with timeout = min(its own, time left)."""
        left = self.budget.time_left()
        if left <= 0:
            raise BudgetExhausted(f"time limit reached ({self.budget.max_wall_s:.0f}s) "
                                  "before a command could start")
        own = self.inner.policy.timeout_s if timeout is None else timeout
        return self.inner.run(argv, cwd=cwd, timeout=min(own, left), network=network,
                              env=env, stdin=stdin, on_output=on_output)
