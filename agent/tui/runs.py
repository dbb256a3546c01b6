"""One session run on its own thread; its events reach the app as Textual messages.

The thread is a daemon thread rather than a Textual thread worker: those run on asyncio's
default executor, which is joined when the app's event loop closes, so a model call that
hangs would keep `agent` from quitting. With a daemon thread, quitting sets the stop event,
waits briefly, and leaves; every edit and store write is atomic, so the session stays
resumable and the repository consistent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

from agent import events as ev
from agent.errors import UserError
from agent.extension import Ask

if TYPE_CHECKING:
    from agent.gitops.checkpoints import Workspace


class AgentEvent(Message):
    """A loop event for the UI."""

    def __init__(self, event: ev.Event) -> None:
        super().__init__()
        self.event = event


class SessionDiff(Message):
    """The session's whole diff after an edit (computed on the run's thread)."""

    def __init__(self, diff: str) -> None:
        super().__init__()
        self.diff = diff


class RunEnded(Message):
    """The run is over: its SessionResult, or the one-line error that stopped it."""

    def __init__(self, run: SessionRun, result, error: str = "") -> None:
        super().__init__()
        self.run = run
        self.result = result
        self.error = error


class SessionRun:
    """`run_session` on a daemon thread, posting every event to `post`."""

    def __init__(
        self, post: Callable[[Message], object], options, oversight, ask: Ask | None = None
    ) -> None:
        self.post = post
        self.options = options
        self.oversight = oversight
        self.ask = ask
        self.session_id: str | None = options.resume
        self._workspace: Workspace | None = None
        self.thread = threading.Thread(target=self._main, name="agent-session", daemon=True)

    def start(self) -> None:
        """Begin the run."""
        self.thread.start()

    @property
    def alive(self) -> bool:
        """True while the loop is still working."""
        return self.thread.is_alive()

    def _main(self) -> None:
        from agent.runner import run_session

        try:
            result = run_session(
                self.options, [self._sink], ask=self.ask, hooks=self.oversight.hooks()
            )
        except UserError as error:
            self.post(RunEnded(self, None, str(error)))
        except Exception as error:  # shown to the person, not lost on a thread
            self.post(RunEnded(self, None, f"{type(error).__name__}: {error}"))
        else:
            self.post(RunEnded(self, result))

    def _sink(self, event: ev.Event) -> None:
        self.post(AgentEvent(event))
        if isinstance(event, ev.SessionStarted):
            from agent.gitops.checkpoints import Workspace

            self.session_id = event.session_id
            self._workspace = Workspace.open(event.repo)
        elif (
            isinstance(event, ev.EditApplied)
            and self._workspace is not None
            and self.session_id is not None
        ):
            self.post(SessionDiff(self._workspace.diff(self.session_id)))
