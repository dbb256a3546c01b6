"""The session's wall-clock bound over everything that waits: model calls and commands.

`Budget.check()` runs between turns; these wrappers carry the same deadline into the calls
themselves, so a hung model server or a slow command cannot run past `--max-time`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.budget import Budget, BudgetExhausted

if TYPE_CHECKING:
    from agent.messages import ModelRequest, ModelResponse
    from agent.models import Model, TextSink
    from agent.sandbox import OutputSink, Result, Sandbox


class TimedModel:
    """A model whose every request carries the session's deadline (see
    `ModelRequest.deadline`); everything else is the wrapped model's."""

    def __init__(self, model: Model, budget: Budget) -> None:
        self.inner = model
        self.budget = budget
        self.name = model.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def with_overlays(self, overlays: tuple[tuple[Path, Path], ...]) -> TimedSandbox | None:
        """The same bounded sandbox with `overlays` bound, if its backend can bind them."""
        rebind = getattr(self.inner, "with_overlays", None)
        return None if rebind is None else TimedSandbox(rebind(overlays), self.budget)

    def complete(self, request: ModelRequest, on_text: TextSink | None = None) -> ModelResponse:
        """The wrapped model's answer, awaited no longer than the time left."""
        if request.deadline is None or request.deadline > self.budget.deadline:
            request = dataclasses.replace(request, deadline=self.budget.deadline)
        return self.inner.complete(request, on_text)


class TimedSandbox:
    """A sandbox whose commands get at most the session's time left."""

    def __init__(self, sandbox: Sandbox, budget: Budget) -> None:
        self.inner = sandbox
        self.budget = budget
        self.policy = sandbox.policy

    @property
    def backend(self) -> str:
        """The wrapped sandbox's backend."""
        return self.inner.backend

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def run(
        self,
        argv: Sequence[str],
        cwd: Path | str | None = None,
        timeout: float | None = None,
        network: bool = False,
        env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
        on_output: OutputSink | None = None,
        writable: Sequence[Path] = (),
    ) -> Result:
        """Run as the wrapped sandbox does, with timeout = min(its own, time left)."""
        left = self.budget.time_left()
        if left <= 0:
            raise BudgetExhausted(
                f"time limit reached ({self.budget.max_wall_s:.0f}s) before a command could start"
            )
        own = self.inner.policy.timeout_s if timeout is None else timeout
        return self.inner.run(
            argv,
            cwd=cwd,
            timeout=min(own, left),
            network=network,
            env=env,
            stdin=stdin,
            on_output=on_output,
            writable=writable,
        )
