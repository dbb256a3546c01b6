"""`agent show ID --tui`: a stored session shown in the session screen, read-only."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer

from agent.tui.screens.help import HelpScreen
from agent.tui.widgets.session_view import SessionView
from agent.tui.widgets.status import StatusLine

REPLAY_KEYS = [
    ("tab", "move between panes; enter opens a tool call row"),
    ("ctrl+g", "switch between the changes and tests tabs"),
    ("ctrl+l", "light / dark"),
    ("f1 or ?", "this help"),
    ("q or ctrl+q", "quit"),
]


class ReplayApp(App[None]):
    """Every stored event of one session, applied to the panes in order; nothing runs."""

    CSS_PATH = Path(__file__).with_name("agent.tcss")
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar = [
        Binding("ctrl+g", "next_tab", "tabs"),
        Binding("ctrl+l", "light_dark", "light"),
        Binding("f1,question_mark", "help", "help"),
        Binding("q,ctrl+q", "quit", "quit"),
    ]

    def __init__(self, record, events: list) -> None:
        super().__init__()
        self.record = record
        self.events = events

    def compose(self) -> ComposeResult:
        """The same panes as a live session, without the input box."""
        yield SessionView(id="view")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        """Apply the stored events, then show the session's totals."""
        self.title = f"replay of session {self.record.id}"
        self.screen.set_class(self.size.width >= 120, "-wide")
        view, status = self.query_one(SessionView), self.query_one(StatusLine)
        status.mode = "replay"
        await view.conversation.add_note(
            f"replay of session {self.record.id} (read-only) · {self.record.status}", "session"
        )
        for event in self.events:
            await view.apply(event, status)
        status.model = self.record.model
        status.tokens_in = self.record.input_tokens + self.record.cached_tokens
        status.tokens_out, status.cost = self.record.output_tokens, self.record.cost_usd
        status.started, status.stopped = self.record.created, self.record.updated
        status.refresh_line()
        view.query_one("#conversation").focus()

    def on_resize(self, event) -> None:
        """Wide terminals give the plan and the diff more room."""
        self.screen.set_class(event.size.width >= 120, "-wide")

    def action_next_tab(self) -> None:
        """Switch between the changes and tests tabs."""
        self.query_one(SessionView).next_tab()

    def action_light_dark(self) -> None:
        """Toggle a light or dark theme."""
        self.theme = "textual-dark" if self.theme == "textual-light" else "textual-light"
        self.query_one(SessionView).follow_theme(self.theme != "textual-light")

    def action_help(self) -> None:
        """Show the keys."""
        self.push_screen(HelpScreen(REPLAY_KEYS))
