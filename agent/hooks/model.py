"""The model a hook may use, or the one-line reason it has none (no key, unknown spec).

A commit must never wait on a flaky network, so hook models retry twice, briefly, and every
model step runs under a hard deadline (`within`), after which the hook moves on.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

KEYS = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}


def missing_key(spec: str, env: dict | None = None) -> str | None:
    """Why `spec` cannot be used here (a key it needs is not set), or None."""
    env = os.environ if env is None else env
    provider, _, argument = spec.partition(":")
    variable = KEYS.get(provider.strip().lower())
    if variable is None or env.get(variable):
        return None
    if provider == "openai" and ("@" in argument or env.get("OPENAI_BASE_URL")):
        return None  # a local server may need no key
    return f"{variable} is not set for {spec} (set it, or choose a model with --model)"


def hook_model(spec: str):
    """The model `spec` names, with short retries suited to a hook; ModelError if invalid."""
    from agent.models import load_model
    from agent.models.retry import RetryPolicy

    model = load_model(spec)
    if hasattr(model, "retry"):
        model.retry = RetryPolicy(attempts=2, base_s=0.5, max_s=2.0)
    return model


class DeadlinePassed(Exception):
    """The step did not finish before its deadline (it is left to end in the background)."""


def within(seconds: float, work: Callable[[], Any]) -> Any:
    """`work()`'s value, or DeadlinePassed after `seconds`; its exceptions are re-raised."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as error:  # handed to the caller's thread
            box["error"] = error

    thread = threading.Thread(target=run, name="agent-hook-model", daemon=True)
    thread.start()
    thread.join(max(seconds, 0.0))
    if thread.is_alive():
        raise DeadlinePassed(f"no answer within {seconds:.0f} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")
