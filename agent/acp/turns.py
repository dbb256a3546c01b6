"""One ACP session and its prompts: the first runs the loop on the task, each later one
continues the same stored session with the prompt as the person's words (as the TUI's
follow-ups do); a cancel stops the run at its next safe point and leaves it resumable.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

from agent.acp.outbox import Outbox
from agent.extension import Event
from agent.oversight import Oversight

STOP_REASONS = {"interrupted": "cancelled", "budget_exhausted": "max_turn_requests"}


@dataclass
class Launch:
    """How `agent acp` was started: the settings every session's runs take."""

    overrides: dict
    mode: str = "suggest"
    allow_dirty: bool = False
    allow_home: bool = False


@dataclass
class AcpSession:
    """A session the client named: its repository, its oversight, whether it has run."""

    id: str
    root: Path
    outbox: Outbox
    oversight: Oversight
    stored: bool = False  # the store holds it (a prompt ran, or it was loaded)
    running: bool = False
    read_buffers: bool = False  # the client offered fs/read_text_file

    async def prompt(self, text: str, launch: Launch) -> str:
        """Run the loop for one prompt; the ACP stop reason once every update is sent."""
        from agent.runner import SolveOptions

        options = SolveOptions(
            cwd=self.root,
            overrides=launch.overrides,
            allow_dirty=launch.allow_dirty,
            allow_home=launch.allow_home,
            read_buffer=self.outbox.read_buffer if self.read_buffers else None,
        )
        self.oversight.cancel = threading.Event()
        if self.stored:
            options.resume = self.id
            self.oversight.give_guidance(text)
        else:
            options.task, options.session_id = text, self.id
        self.running = True
        try:
            result = await in_daemon_thread(self._run, options)
        finally:
            self.running = False
            await self.outbox.drain()
        return STOP_REASONS.get(result.outcome.status, "end_turn")

    def _run(self, options):
        from agent.runner import run_session

        try:
            return run_session(options, [self._seen], hooks=self.oversight.hooks())
        finally:
            self.oversight.take_guidance()  # words the run never read are not kept for later

    def _seen(self, event: Event) -> None:
        if event.kind == "session_started":
            self.stored = True
        self.outbox.put_event(event)

    def cancel(self) -> None:
        """Stop the running prompt at its next safe point (a pending question is withdrawn)."""
        self.oversight.cancel.set()
        self.outbox.stop_asking()


async def in_daemon_thread(function, *args):
    """`function(*args)` on a daemon thread, awaited: a run that hangs (a model call) never
    keeps `agent acp` from exiting when the client goes away."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def main() -> None:
        try:
            value = function(*args)
        except BaseException as error:  # handed to the awaiting coroutine
            loop.call_soon_threadsafe(_settle, done, None, error)
        else:
            loop.call_soon_threadsafe(_settle, done, value, None)

    threading.Thread(target=main, name="agent-acp-session", daemon=True).start()
    return await done


def _settle(future: asyncio.Future, value, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
