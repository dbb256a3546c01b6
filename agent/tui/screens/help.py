"""The help screen: every key, what it does."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from agent.oversight import MODE_HELP

SESSION_KEYS = [
    ("enter", "send: a task, guidance to the running agent, or a follow-up"),
    ("esc", "interrupt now; then type guidance and press enter to resume"),
    ("ctrl+t", "permission mode: suggest → auto-edit → full-auto"),
    ("ctrl+z", "undo the last change (git checkpoint)"),
    ("ctrl+o", "outcome: keep, commit, branch or discard, per file"),
    ("ctrl+r", "sessions: resume a previous session"),
    ("ctrl+n", "new session"),
    ("ctrl+g", "switch between the changes and tests tabs"),
    ("ctrl+l", "light / dark"),
    ("tab", "move between panes; enter opens a tool call row"),
    ("f1 or ?", "this help"),
    ("ctrl+q", "quit (a running session stops and stays resumable)"),
]
APPROVAL_KEYS = [
    ("y", "approve the call"),
    ("n", "reject it; write why, the model reads it"),
    ("a", "approve, and allow this tool for the rest of the session"),
    ("e", "edit the call's arguments, then ctrl+s approves the edited call"),
    ("esc", "stop the run"),
]


def key_table(title: str, rows: list[tuple[str, str]]) -> Table:
    """A two-column table of keys and what they do."""
    table = Table(title=title, title_justify="left", box=None, show_header=False, expand=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, what in rows:
        table.add_row(key, what)
    return table


class HelpScreen(ModalScreen[None]):
    """Keys for the session, the approval prompt, and the permission modes."""

    BINDINGS: ClassVar = [Binding("escape,q,question_mark,f1", "dismiss", "close")]

    def __init__(self, rows: list[tuple[str, str]] | None = None) -> None:
        super().__init__()
        self.rows = rows or SESSION_KEYS

    def compose(self) -> ComposeResult:
        """The tables in a scrolling box."""
        modes = [(mode, what) for mode, what in MODE_HELP.items()]
        with VerticalScroll(id="help"):
            yield Static(key_table("Keys", self.rows))
            yield Static(key_table("In an approval prompt", APPROVAL_KEYS))
            yield Static(key_table("Permission modes", modes))
            yield Static("esc, q or ? closes this help", classes="hint")
