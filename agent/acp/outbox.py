"""What goes from a running session to the client, in the order the session made it.

The loop runs on its own thread (and its read-only tools on more); each event, permission
question and editor-buffer read is handed to the asyncio loop that owns the connection. One
pump task sends the updates one after another, so a client sees them in the loop's order
and a prompt's answer is sent only after all its updates (`drain`).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from agent.acp.permissions import permission_request, verdict_of
from agent.acp.updates import UpdateTranslator
from agent.oversight import Pending, Verdict

log = logging.getLogger("agent.acp")
BUFFER_WAIT_S = 5.0


class Outbox:
    """One session's line to the client: updates, permission requests, buffer reads."""

    def __init__(
        self, client, session_id: str, root: Path, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.client = client
        self.session_id = session_id
        self.root = root
        self.loop = loop
        self.translator = UpdateTranslator(root)
        self._queue: asyncio.Queue = asyncio.Queue()
        self._asking: asyncio.Task | None = None
        self._pump = loop.create_task(self._run())

    def put_event(self, event) -> None:
        """For the session's threads: send what `event` shows, after everything before it."""
        self.loop.call_soon_threadsafe(self._queue.put_nowait, ("event", event))

    def ask_person(self, pending: Pending) -> None:
        """For Oversight (the loop's thread): ask the client about `pending`; the answer
        reaches `pending` when the person chooses."""
        self.loop.call_soon_threadsafe(self._queue.put_nowait, ("ask", pending))

    def read_buffer(self, shown: str) -> str | None:
        """For the read_file tool (a tool thread): the editor's text of `shown`, or None."""
        request = self.client.read_text_file(
            session_id=self.session_id, path=str(self.root / shown)
        )
        future = asyncio.run_coroutine_threadsafe(request, self.loop)
        try:
            return future.result(BUFFER_WAIT_S).content
        except Exception as problem:  # the client could not: the file on disk is read
            future.cancel()
            log.info("fs/read_text_file %s failed: %s", shown, problem)
            return None

    def stop_asking(self) -> None:
        """A cancel: withdraw the permission question still open (the run stops)."""
        if self._asking is not None:
            self._asking.cancel()

    async def drain(self) -> None:
        """Wait until everything put so far has been sent."""
        done = self.loop.create_future()
        self._queue.put_nowait(("flush", done))
        await done

    async def close(self) -> None:
        """Stop the pump."""
        self._pump.cancel()

    async def _run(self) -> None:
        while True:
            kind, item = await self._queue.get()
            if kind == "flush":
                item.set_result(None)
            elif kind == "ask":
                await self._ask(item)
            else:
                await self._send(item)

    async def _send(self, event) -> None:
        for update in self.translator.updates(event):
            try:
                await self.client.session_update(session_id=self.session_id, update=update)
            except Exception as problem:  # the client went away: the run is stopped elsewhere
                log.info("session/update not sent: %s", problem)
                return

    async def _ask(self, pending: Pending) -> None:
        request = permission_request(pending, self.root)
        self._asking = self.loop.create_task(
            self.client.request_permission(session_id=self.session_id, **request)
        )
        try:
            pending.answer(verdict_of(await self._asking))
        except asyncio.CancelledError:
            pending.answer(Verdict("interrupt"))
            if asyncio.current_task().cancelling():  # the pump itself is stopping
                raise
        except Exception as problem:  # no answer can come: stop the run, resumable
            log.warning("session/request_permission failed: %s", problem)
            pending.answer(Verdict("interrupt"))
        finally:
            self._asking = None
