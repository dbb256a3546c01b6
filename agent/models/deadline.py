"""Holding one model call to the session's wall-clock deadline (`ModelRequest.deadline`).

The SDKs' timeouts bound each read, not a whole answer: a server that sends a byte a
second keeps a stream alive forever. So each try gets a read timeout of at most the time
left (a server that never answers times out at the deadline), and a watchdog shuts the
stream's socket when the deadline passes (a dripping stream ends at once). Whatever fails
after the deadline is reported as the budget stop it is, not as a provider error.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, TypeVar

from agent.budget import BudgetExhausted

T = TypeVar("T")


def time_left(deadline: float | None) -> float | None:
    """Seconds until `deadline` (a `time.monotonic()` value), None when there is none."""
    return None if deadline is None else deadline - time.monotonic()


def out_of_time(what: str) -> BudgetExhausted:
    """The budget stop for a model call cut short by the session's time limit."""
    return BudgetExhausted(f"time limit reached while waiting for {what}")


class CallWatch:
    """One try of a model call under a deadline; use it as a context manager.

    Inside, `timeout(own)` is the SDK timeout to pass and `stream(s)` arms the watchdog on a
    streamed response. On leaving, any error raised once the deadline has passed becomes a
    `BudgetExhausted`.
    """

    def __init__(self, deadline: float | None, what: str) -> None:
        self.deadline = deadline
        self.what = what
        self._timer: threading.Timer | None = None

    def __enter__(self) -> CallWatch:
        left = time_left(self.deadline)
        if left is not None and left <= 0:
            raise out_of_time(self.what)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: Any
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if kind is not None and issubclass(kind, Exception) and self.expired():
            raise out_of_time(self.what) from None

    def expired(self) -> bool:
        """True once the deadline has passed."""
        left = time_left(self.deadline)
        return left is not None and left <= 0

    def timeout(self, own: float) -> float:
        """The SDK timeout for this try: `own`, or the time left if that is shorter."""
        left = time_left(self.deadline)
        return own if left is None else max(min(own, left), 0.001)

    def stream(self, response: T) -> T:
        """Arm the watchdog on an SDK stream: at the deadline its socket is shut and the
        stream closed, which ends a read blocked on it."""
        left = time_left(self.deadline)
        if left is not None:
            self._timer = threading.Timer(max(left, 0), _cut, args=(response,))
            self._timer.daemon = True
            self._timer.start()
        return response

    def events(self, events: Any) -> Iterator[Any]:
        """The stream's events, checking the clock between them."""
        for event in events:
            if self.expired():
                raise out_of_time(self.what)
            yield event


def _cut(stream: Any) -> None:
    """Shut the socket under an SDK stream (waking a blocked read) and close the stream."""
    response = getattr(stream, "response", None)
    network = getattr(response, "extensions", {}).get("network_stream")
    raw = network.get_extra_info("socket") if network is not None else None
    if isinstance(raw, socket.socket):
        try:
            raw.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    try:
        stream.close()
    except Exception:  # noqa: BLE001 - the reader reports what went wrong, not the watchdog
        pass
