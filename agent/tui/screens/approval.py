"""The approval prompt: exactly what a call will run or change, and the person's answer."""

from __future__ import annotations

import json
from typing import ClassVar

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea

from agent.messages import ToolCall
from agent.oversight import Pending, Verdict

KEYS = "y approve · n reject with feedback · a always allow {name} · e edit then approve · esc stop"


class ApprovalScreen(ModalScreen[Verdict]):
    """Approve, reject (with feedback), always allow this kind, or edit the call then approve."""

    BINDINGS: ClassVar = [
        Binding("y", "approve", "approve"),
        Binding("n", "reject", "reject"),
        Binding("a", "always", "always allow"),
        Binding("e", "edit", "edit"),
        Binding("ctrl+s", "approve_edited", "approve edited", show=False, priority=True),
        Binding("escape", "back", "stop", priority=True),
    ]

    def __init__(self, pending: Pending, heading: str, body: str) -> None:
        super().__init__()
        self.pending = pending
        self.heading = heading
        self.body = body

    def compose(self) -> ComposeResult:
        """Heading, the preview, then the hidden feedback box and argument editor."""
        name = self.pending.call.name
        with Vertical(id="approval"):
            yield Label(
                f"Allow {self.pending.kind}: {self.heading}?", id="approval-heading", markup=False
            )
            with VerticalScroll(id="approval-preview"):
                yield Static(
                    Syntax(
                        self.body,
                        "diff",
                        theme="ansi_dark",
                        background_color="default",
                        word_wrap=True,
                    ),
                    id="preview",
                )
            feedback = Input(
                placeholder="why not? (the model reads this) · enter sends", id="feedback"
            )
            editor = TextArea(
                json.dumps(self.pending.call.arguments, indent=2), id="edit-arguments"
            )
            feedback.display = editor.display = False  # until asked for
            yield feedback
            yield editor
            yield Label(KEYS.format(name=name), id="approval-keys", markup=False)

    def action_approve(self) -> None:
        """Run the call as it is."""
        self.dismiss(Verdict("approve", self.pending.call))

    def action_always(self) -> None:
        """Run it, and every later call of this tool in the session."""
        self.dismiss(Verdict("always", self.pending.call))

    def action_reject(self) -> None:
        """Open the feedback box; Enter there refuses the call with that text."""
        box = self.query_one("#feedback", Input)
        box.display = True
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """The feedback was written: refuse the call with it."""
        event.stop()
        self.dismiss(Verdict("reject", feedback=event.value))

    def action_edit(self) -> None:
        """Open the arguments as JSON; ctrl+s approves the edited call."""
        editor = self.query_one("#edit-arguments", TextArea)
        editor.display = True
        self.query_one("#approval-keys", Label).update(
            "edit the arguments · ctrl+s approve the edited call · esc back"
        )
        editor.focus()

    def action_approve_edited(self) -> None:
        """Approve the call with the edited arguments (refused if they are not a JSON object)."""
        editor = self.query_one("#edit-arguments", TextArea)
        if not editor.display:
            return
        try:
            arguments = json.loads(editor.text)
        except json.JSONDecodeError as error:
            self.notify(f"not valid JSON: {error}", severity="error")
            return
        if not isinstance(arguments, dict):
            self.notify("the arguments must be a JSON object", severity="error")
            return
        call = self.pending.call
        self.dismiss(Verdict("approve", ToolCall(call.id, call.name, arguments), edited=True))

    def action_back(self) -> None:
        """Close the feedback box or editor; with neither open, stop the run."""
        for widget_id in ("#feedback", "#edit-arguments"):
            widget = self.query_one(widget_id)
            if widget.display:
                widget.display = False
                self.query_one("#approval-keys", Label).update(
                    KEYS.format(name=self.pending.call.name)
                )
                self.focus_next()
                return
        self.dismiss(Verdict("interrupt"))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Letter keys type text while the feedback box or editor has focus."""
        if action in ("approve", "reject", "always", "edit"):
            focused = self.focused
            return not isinstance(focused, (Input, TextArea))
        return True
