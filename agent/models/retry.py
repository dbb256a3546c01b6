"""Retries with exponential backoff and jitter, honouring the server's retry-after.

Providers translate their SDK's exceptions: a failure worth another try becomes
`Retryable` (with the server's retry-after when it sent one); anything else propagates
at once. Streamed text is passed through a `ReplayGuard` so text already shown to the
user is not shown twice when a dropped stream is retried.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from agent.budget import BudgetExhausted
from agent.models import ModelError, TextSink

T = TypeVar("T")
log = logging.getLogger("agent.models")


class Retryable(Exception):
    """A failure that may pass on another try (rate limit, overload, dropped connection)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait: attempt n waits base_s * 2**n, capped at max_s,
    scaled by a random factor in [1 - jitter, 1]; a retry-after from the server wins
    (up to max_retry_after_s)."""

    attempts: int = 6
    base_s: float = 1.0
    max_s: float = 30.0
    jitter: float = 0.5
    max_retry_after_s: float = 120.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before try number `attempt + 1` (attempt counts from 0)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after_s)
        ceiling = min(self.max_s, self.base_s * 2**attempt)
        return ceiling * (1 - self.jitter * random.random())


def with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float | None = None,
) -> T:
    """Run `call`, retrying on `Retryable` as the policy says; after the last attempt a
    ModelError names `what` failed and why. A wait that would pass `deadline` (the
    session's time limit, a `time.monotonic()` value) ends it at once as a budget stop."""
    for attempt in range(policy.attempts):
        try:
            return call()
        except Retryable as failure:
            if attempt + 1 >= policy.attempts:
                raise ModelError(
                    f"{what} still failing after {policy.attempts} attempts: {failure.reason}"
                ) from None
            wait = policy.delay(attempt, failure.retry_after)
            _check_time_for(wait, deadline, what, failure.reason)
            log.warning("%s: %s; retrying in %.1f s", what, failure.reason, wait)
            sleep(wait)
    raise ModelError(f"{what}: no attempts allowed by the retry policy")


def _check_time_for(wait: float, deadline: float | None, what: str, reason: str) -> None:
    """Raise `BudgetExhausted` when waiting `wait` seconds would pass the deadline."""
    if deadline is None:
        return
    left = deadline - time.monotonic()
    if wait >= left:
        raise BudgetExhausted(
            f"time limit reached: {what} failed ({reason}); the next "
            f"try is {wait:.0f} s away, but {max(left, 0):.0f} s are left"
        )


def transport_errors() -> tuple[type[BaseException], ...]:
    """The HTTP library's connection errors, which the SDKs let through when a stream breaks
    mid-way (httpx2 for the current SDKs, httpx for older ones)."""
    try:
        import httpx2 as http
    except ImportError:
        import httpx as http  # type: ignore[no-redef]
    return (http.TransportError,)


def parse_retry_after(headers: object) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds) headers, if present."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = get(name)
        if value is None:
            continue
        try:
            return float(value) * scale
        except ValueError:
            continue  # an HTTP date: fall back to our own backoff
    return None


class ReplayGuard:
    """Passes streamed text on, but after a retry swallows the part the user already saw
    (when the new answer starts the same way), so a dropped stream does not repeat text."""

    def __init__(self, sink: TextSink | None) -> None:
        self._sink = sink
        self._shown = ""
        self._attempt = ""
        self._replaying = False

    def start_attempt(self) -> None:
        """Call before each try; the new stream's text is compared with what was shown."""
        self._attempt = ""
        self._replaying = bool(self._shown)

    def __call__(self, delta: str) -> None:
        self._attempt += delta
        if self._replaying:
            if self._shown.startswith(self._attempt):
                return
            self._replaying = False
            repeats = self._attempt.startswith(self._shown)
            new = self._attempt[len(self._shown) :] if repeats else self._attempt
        else:
            new = delta
        self._shown = self._attempt
        if new and self._sink is not None:
            self._sink(new)
