"""An ACP client built on the SDK's client side, driving `agent acp` in a real subprocess.

The model is a bridge folder (`--model bridge:DIR`) answered by a thread, as the other
subprocess tests do; everything else (the loop, the sandbox, pytest, git) is real.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import threading
import time
from pathlib import Path

from acp import spawn_agent_process, text_block
from acp.schema import ClientCapabilities, FileSystemCapabilities, RequestPermissionResponse

ROOT = Path(__file__).resolve().parents[1]


class RecordingClient:
    """A client that keeps every update, answers permissions from a list, and serves
    editor buffers (path -> unsaved text) for fs/read_text_file."""

    def __init__(self, answers: list | None = None, buffers: dict | None = None) -> None:
        self.updates: list = []
        self.permissions: list = []
        self.answers = list(answers or [])  # (option_id, reason) or "cancel" or a callable
        self.buffers = dict(buffers or {})
        self.reads: list[str] = []
        self.asked = asyncio.Event()

    async def session_update(self, session_id, update, **_) -> None:
        """Keep the update."""
        self.updates.append(update)

    async def request_permission(self, session_id, tool_call, options, **_):
        """Answer with the next scripted answer."""
        self.permissions.append(tool_call)
        self.asked.set()
        answer = self.answers.pop(0)
        if callable(answer):
            answer = await answer()
        if answer == "cancel":
            return RequestPermissionResponse(outcome={"outcome": "cancelled"})
        option, reason = answer
        meta = {"reason": reason} if reason else None
        return RequestPermissionResponse(
            outcome={"outcome": "selected", "optionId": option}, field_meta=meta
        )

    async def read_text_file(self, session_id, path, line=None, limit=None, **_):
        """The buffer the test set for `path`, else the file on disk."""
        from acp.schema import ReadTextFileResponse

        self.reads.append(path)
        text = self.buffers.get(path)
        return ReadTextFileResponse(content=text if text is not None else Path(path).read_text())

    def kinds(self) -> list[str]:
        """The session_update kinds received, in order."""
        return [u.session_update for u in self.updates]

    def of(self, kind: str) -> list:
        """The updates of one kind."""
        return [u for u in self.updates if u.session_update == kind]

    def message_text(self) -> str:
        """Everything the agent said, joined."""
        return "".join(u.content.text for u in self.of("agent_message_chunk"))


def capabilities(read_buffers: bool = False) -> ClientCapabilities:
    """What the test client offers."""
    return ClientCapabilities(fs=FileSystemCapabilities(read_text_file=read_buffers))


@contextlib.asynccontextmanager
async def agent_acp(client: RecordingClient, repo: Path, bridge: Path, *args: str):
    """`agent acp --model bridge:DIR` started in `repo`, connected to `client`."""
    env = {"PYTHONPATH": str(ROOT)}
    async with spawn_agent_process(
        client,
        sys.executable,
        "-m",
        "agent",
        "acp",
        "--model",
        f"bridge:{bridge}",
        *args,
        cwd=repo,
        env=env,
    ) as (conn, process):
        yield conn, process


def answer_model(folder: Path, turns: list, start: int = 1) -> threading.Thread:
    """A thread that answers the bridge's requests start.. with the scripted turns."""

    def run() -> None:
        for number, response in enumerate(turns, start):
            request = folder / f"{number:04d}.request.json"
            while not request.exists():
                time.sleep(0.05)
            temporary = folder / f".{number:04d}.tmp"
            temporary.write_text(json.dumps(as_bridge(response)))
            os.replace(temporary, folder / f"{number:04d}.response.json")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def as_bridge(response) -> dict:
    """A scripted turn in the bridge folder's answer format, its text included."""
    message = response.message
    calls = [
        {"type": "tool_call", "id": c.id, "name": c.name, "arguments": c.arguments}
        for c in message.tool_calls
    ]
    return {"content": ([{"type": "text", "text": message.text}] if message.text else []) + calls}


def request_text(folder: Path, number: int) -> str:
    """All the text of the bridge's request `number` (what the model was sent)."""
    return json.dumps(json.loads((folder / f"{number:04d}.request.json").read_text()))


def prompt_of(text: str) -> list:
    """A prompt of one text block."""
    return [text_block(text)]
