"""The extension contract: everything a front end may plug into a session, in one place.

A front end (`agent solve`, the TUI, the pre-commit hook's `--fix`, the ACP server, `agent bench
run`) chooses `agent.runner.SolveOptions` and calls

    run_session(options, sinks, ask=..., hooks=...)

Nothing else reaches into the loop. What may be plugged in:

- event sinks (`EventSink`): callables that receive every typed event of the session
  (agent/events.py), in order, on the loop's thread. The session store is always one of them.
- `ask` (`Ask`): picks one of a plan's readings when the task can be read more than one
  way, given the question and the readings; without it the plan's stated assumption stands.
- `ConversationHooks`: the person's hand on each of the session's conversations: the
  approval of writing calls (`review`), words read before each model turn (`guidance`),
  the stop button (`cancel`) and a copy of every message (`on_message`).
- a model (`SolveOptions.model`): anything that satisfies the `Model` protocol
  (agent/models/__init__.py); without one, the config's model string is loaded.
- `SolveOptions.read_buffer` (`ReadBuffer`): the text a repo-relative path has in the
  person's editor, unsaved changes included, or None to read the file on disk.

Not pluggable, on purpose: the sandbox (the config's `sandbox` backend, never a front end's
object, so no front end can loosen it) and MCP servers (read from the repository's and the
person's settings by agent/mcp/settings.py and started per session; an ACP client's
`mcpServers` are not used).

This module only declares: it imports agent/events.py, agent/messages.py and the `Model`
protocol, nothing heavy and nothing above them, so every layer may import it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.events import Event, EventSink
from agent.messages import Message, ToolCall
from agent.models import Model

Ask = Callable[[str, list[str]], str]
"""The person's answer to the model's question (the question, its choices)."""

ReviewCall = Callable[[ToolCall], "ToolCall | str"]
"""A writing call's verdict: the call to run (possibly edited) or why the person refused it.
It may block until the person answers, and may raise `agent.budget.Interrupted`."""

Guidance = Callable[[], "str | None"]
"""Everything the person said for the model since the last model turn, or None."""

MessageSink = Callable[[Message], None]
"""Receives each message of a conversation as it becomes final."""

ReadBuffer = Callable[[str], "str | None"]
"""A repo-relative path's text as the person's editor holds it, or None."""


def _no_guidance() -> str | None:
    return None


def _ignore_message(message: Message) -> None:
    return None


@dataclass
class ConversationHooks:
    """What a front end plugs into each of the session's conversations.

    `review` sees every call of a tool that is not read-only before it runs (None: nobody
    reviews, every call runs); `guidance` is asked before each model turn; setting `cancel`
    stops the run as interrupted at the next model turn or tool call; `on_message` gets a
    copy of every message (the runner adds the session store's copy).
    """

    review: ReviewCall | None = None
    guidance: Guidance = _no_guidance
    cancel: threading.Event = field(default_factory=threading.Event)
    on_message: MessageSink = _ignore_message


__all__ = [
    "Ask",
    "ConversationHooks",
    "Event",
    "EventSink",
    "Guidance",
    "MessageSink",
    "Model",
    "ReadBuffer",
    "ReviewCall",
]
