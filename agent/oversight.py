"""The person's hand on a running session: permission modes, approvals, guidance, the stop button.

Shared by the TUI and the ACP server; it knows nothing of Textual. The loop's worker thread
calls `Oversight.review_call` and `Oversight.take_guidance`; the UI thread answers through
`Pending.answer` and `give_guidance`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.budget import Interrupted
from agent.extension import ConversationHooks
from agent.messages import ToolCall

MODES = ("suggest", "auto-edit", "full-auto")
MODE_HELP = {
    "suggest": "every edit and command waits for your approval",
    "auto-edit": "edits apply at once, commands wait for your approval",
    "full-auto": "nothing waits; only the budget stops the agent",
}
EDIT_TOOLS = frozenset({"edit_file", "create_file", "delete_file"})
POLL_S = 0.05


@dataclass(frozen=True)
class Verdict:
    """The person's answer to one approval prompt."""

    action: str  # approve | reject | always | interrupt
    call: ToolCall | None = None  # for approve: the call to run, maybe edited
    feedback: str = ""  # for reject: why, for the model
    edited: bool = False  # for approve: the person changed the call's arguments


@dataclass
class Pending:
    """A call waiting for the person; the worker thread blocks until `answer` is called."""

    call: ToolCall
    kind: str  # edit | command
    verdict: Verdict | None = None
    _done: threading.Event = field(default_factory=threading.Event)

    def answer(self, verdict: Verdict) -> None:
        """Give the answer and wake the waiting worker."""
        self.verdict = verdict
        self._done.set()


def call_kind(name: str) -> str:
    """Whether a tool call changes files ("edit") or runs something ("command")."""
    return "edit" if name in EDIT_TOOLS else "command"


class Oversight:
    """What the person allows, what they said, and whether they pressed stop."""

    def __init__(
        self, mode: str = "suggest", ask_person: Callable[[Pending], None] | None = None
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown permission mode {mode!r}")
        self.mode = mode
        self.always: set[str] = set()  # tool names the person allowed for this session
        self.ask_person = ask_person or (lambda pending: None)
        self.cancel = threading.Event()
        self._guidance: list[str] = []
        self._lock = threading.Lock()

    def next_mode(self) -> str:
        """Switch to the next permission mode (suggest -> auto-edit -> full-auto -> suggest)."""
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        return self.mode

    def needs_approval(self, call: ToolCall) -> bool:
        """True when the current mode and the always-allowed kinds leave this call to the person."""
        if self.mode == "full-auto" or call.name in self.always:
            return False
        return self.mode == "suggest" or call_kind(call.name) == "command"

    def review_call(self, call: ToolCall) -> ToolCall | str:
        """For the loop (worker thread): the call to run, or the reason the person refused it.

        Blocks until the person answers; pressing stop meanwhile ends the run as interrupted.
        """
        if not self.needs_approval(call):
            return call
        pending = Pending(call, call_kind(call.name))
        self.ask_person(pending)
        while not pending._done.wait(POLL_S):
            if self.cancel.is_set():
                raise Interrupted("stopped by the person")
        verdict = pending.verdict
        assert verdict is not None  # `answer` sets it before waking this thread
        if verdict.action == "interrupt":
            self.cancel.set()
            raise Interrupted("stopped by the person")
        if verdict.action == "reject":
            return verdict.feedback.strip() or "no reason given"
        if verdict.action == "always":
            self.always.add(call.name)
        return verdict.call or call

    def give_guidance(self, text: str) -> None:
        """Queue words for the model; it reads them before its next turn."""
        with self._lock:
            self._guidance.append(text)

    def take_guidance(self) -> str | None:
        """For the loop: everything the person said since the last turn, or None."""
        with self._lock:
            said, self._guidance = self._guidance, []
        return "\n".join(said) if said else None

    def hooks(self) -> ConversationHooks:
        """The hooks `run_session` passes to the loop's conversations."""
        return ConversationHooks(
            review=self.review_call, guidance=self.take_guidance, cancel=self.cancel
        )
